"""A Babel extractor for flow files: every text with a context naming flow, node and field.

Registered as the entry point `tussenin_flows` (see pyproject.toml and locales/babel.cfg).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from flows.loader import parse_flow


def extract_flows(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, tuple[str, str], list[str]]]:
    text = fileobj.read().decode("utf-8")
    flow, _ = parse_flow(text, getattr(fileobj, "name", "flow"))
    if flow is None or not flow.nodes:
        return  # not a flow (settings.yaml lives in the same folder)
    for context, source in flow.texts():
        node = flow.nodes[context.split(":")[1]]
        yield node.line, "pgettext", (context, source), [f"flow {flow.name}, node {node.id}"]
