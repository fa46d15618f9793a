#!/usr/bin/env python3
"""Checks the arrows between the crate's top-level modules (src/<module>.rs or src/<module>/).

An arrow a -> b is a `crate::b` path in a's code (comments and inline `#[cfg(test)] mod … {}` left out;
a `#[cfg(test)] mod tests;` file is a module of its own and counted).
Fails on a cycle between modules, and on any arrow into `bindings` (the thin layer on top: the
core never knows which binding runs it). Run by `./dev test`; `-v` prints the graph.
"""
import collections
import os
import re
import sys

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
PATH = re.compile(r"crate::([a-z_]+)")
TESTS = re.compile(r"#\[cfg\(test\)\]\s*mod \w+\s*\{")


def arrows():
    edges = collections.defaultdict(lambda: collections.defaultdict(list))
    for root, _, files in os.walk(SRC):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(root, name)
            top = os.path.relpath(path, SRC).split(os.sep)[0].removesuffix(".rs")
            if top in ("lib", "bin"):
                continue
            code = open(path, encoding="utf-8").read()
            inline_tests = TESTS.search(code)
            if inline_tests:
                code = code[: inline_tests.start()]
            for number, line in enumerate(code.split("\n"), 1):
                if line.strip().startswith("//"):
                    continue
                for m in PATH.finditer(line):
                    if m.group(1) != top:
                        where = f"{os.path.relpath(path, os.path.join(SRC, '..'))}:{number}"
                        edges[top][m.group(1)].append(where)
    return edges


def reachable(edges, start):
    seen, stack = set(), [start]
    while stack:
        for nxt in edges.get(stack.pop(), {}):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def main():
    edges = arrows()
    faults = []
    for a in sorted(edges):
        for b, places in sorted(edges[a].items()):
            if b == "bindings":
                faults.append(f"{a} -> bindings (upward), e.g. {places[0]}")
            elif a in reachable(edges, b):
                faults.append(f"{a} -> {b} is part of a cycle, e.g. {places[0]}")
    if "-v" in sys.argv:
        for a in sorted(edges):
            print(f"{a} -> {', '.join(sorted(edges[a]))}")
    for fault in faults:
        print(fault, file=sys.stderr)
    print(f"module graph: {len(edges)} modules, {len(faults)} faults")
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
