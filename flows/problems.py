"""What `flows check` reports: a file, a node and a plain-language reason."""

from __future__ import annotations

from dataclasses import dataclass

from flows.limits import MAX_PROBLEM_BYTES

ERROR, WARNING = "error", "warning"
_FILE_BYTES, _NODE_BYTES = 200, 100  # the message gets the rest of MAX_PROBLEM_BYTES


def clip(text: str, limit: int) -> str:
    """At most `limit` bytes of UTF-8, cut with an ellipsis: a quoted file never floods a log."""
    raw = text.encode("utf-8", "replace")
    if len(raw) <= limit:
        return text
    return raw[: limit - 3].decode("utf-8", "ignore") + "…"


@dataclass(frozen=True)
class Problem:
    file: str
    node: str | None
    message: str
    level: str = ERROR
    line: int | None = None  # where in the file, when known (a node's first line, a YAML error)

    def __post_init__(self) -> None:
        rest = MAX_PROBLEM_BYTES - _FILE_BYTES - _NODE_BYTES - 30  # level and punctuation
        object.__setattr__(self, "file", clip(self.file, _FILE_BYTES))
        object.__setattr__(self, "node", clip(self.node, _NODE_BYTES) if self.node else self.node)
        object.__setattr__(self, "message", clip(self.message, rest))

    def __str__(self) -> str:
        where = f"{self.file}" + (f", node '{self.node}'" if self.node else "")
        return f"{self.level}: {where}: {self.message}"


def summary(problems: list[str], limit: int = MAX_PROBLEM_BYTES) -> str:
    """As many of the problems as fit in `limit` bytes, then how many more there are."""
    shown: list[str] = []
    used = 0
    for problem in problems:
        size = len(problem.encode("utf-8", "replace")) + 2
        if shown and used + size > limit - 40:
            break
        shown.append(problem)
        used += size
    text = "; ".join(shown)
    more = len(problems) - len(shown)
    return clip(text, limit - 40) + (f" (and {more} more)" if more else "")


class FlowError(Exception):
    """A flow (or set of flows) failed validation; `problems` says why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(summary([str(p) for p in problems]))
        self.problems = problems
