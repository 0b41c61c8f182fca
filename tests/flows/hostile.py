"""Hostile flow files, made for the tests: small to write, enormous if they were built."""

from __future__ import annotations

from pathlib import Path


def billion_laughs() -> str:
    """About 600 bytes that expand to 10^9 'lol's when built."""
    lines = ["schema: 1", "flow: laughs", "start: a", 'l0: &l0 "lol"']
    for n in range(1, 10):
        lines.append(f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 10) + "]")
    lines += ["nodes:", "  a:", "    say: *l9"]
    return "\n".join(lines) + "\n"


def many_nodes(count: int) -> str:
    """A flow of `count` plain nodes in a chain: no anchors, no aliases."""
    nodes = "".join(f"  n{i}:\n    say: Hallo {i}\n    next: n{i + 1}\n" for i in range(count))
    return f"schema: 1\nflow: many\nstart: n0\nnodes:\n{nodes}  n{count}:\n    do: [end]\n"


def huge(path: Path, size: int) -> Path:
    """A valid-looking flow padded to `size` bytes, written without holding it in memory."""
    head = b"schema: 1\nflow: huge\nstart: a\nnodes:\n  a:\n    say: |\n"
    line = b"      " + b"lol " * 30 + b"\n"
    with path.open("wb") as out:
        out.write(head)
        written = len(head)
        while written < size:
            out.write(line * 1000)
            written += len(line) * 1000
    return path
