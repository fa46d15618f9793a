"""Drives the Worker's /mcp with the official Python SDK (`mcp` 2.x), for the Node test suite.

Usage: mcp_client.py URL TOKEN MODE QUERY, with MODE one of `legacy`, `auto`, `2026-07-28`.
Connects, lists the tools, remembers a fact, reads the context for QUERY, searches, forgets the
memory, and prints one JSON object of what it saw (the Node test asserts on it). Errors are
printed as {"error": ...} with exit status 1.
"""

import asyncio
import json
import sys

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


async def main(url: str, token: str, mode: str, query: str) -> dict:
    http = httpx2.AsyncClient(headers={"authorization": f"Bearer {token}"})
    async with http, Client(streamable_http_client(url, http_client=http), mode=mode) as client:
        out: dict = {"protocol_version": client.protocol_version}
        tools = await client.list_tools()
        out["tools"] = [t.name for t in tools.tools]
        remembered = await client.call_tool(
            "remember", {"text": "prefers aisle seats on flights", "key": "seat_preference"}
        )
        out["remember"] = {"is_error": remembered.is_error, "structured": remembered.structured_content}
        again = await client.call_tool("remember", {"text": "Prefers aisle seats on flights."})
        out["remember_again"] = again.structured_content
        ctx = await client.call_tool("get_user_context", {"query": query})
        out["context"] = ctx.structured_content
        found = await client.call_tool("search_profile", {"query": query, "limit": 3})
        out["search"] = found.structured_content
        refused = await client.call_tool("remember", {"text": "my email is ana.private@example.com"})
        out["refused"] = {"is_error": refused.is_error, "text": refused.content[0].text}
        memory_id = (remembered.structured_content or {}).get("memory", {}).get("id")
        forgot = await client.call_tool("forget", {"id": memory_id})
        out["forget"] = forgot.structured_content
        bad = await client.call_tool("forget", {"id": "no-such-memory"})
        out["forget_again"] = {"is_error": bad.is_error}
        return out


if __name__ == "__main__":
    try:
        result = asyncio.run(main(*sys.argv[1:5]))
    except BaseException as e:  # noqa: BLE001 - report anything, the test asserts
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        sys.exit(1)
    print(json.dumps(result))
