"""What `flows check` reports: a file, a node and a plain-language reason."""

from __future__ import annotations

from dataclasses import dataclass

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Problem:
    file: str
    node: str | None
    message: str
    level: str = ERROR

    def __str__(self) -> str:
        where = f"{self.file}" + (f", node '{self.node}'" if self.node else "")
        return f"{self.level}: {where}: {self.message}"


class FlowError(Exception):
    """A flow (or set of flows) failed validation; `problems` says why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems
