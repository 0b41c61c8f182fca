"""The flow model: what a validated flow file becomes. Plain, frozen data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class Action:
    """One step run when a node is entered or an option chosen: `kind` names its module."""

    kind: str
    args: Any = None


@dataclass(frozen=True)
class Option:
    label: str
    goto: str | None
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True)
class Ask:
    """Wait for free text (and, with `voice`, a voice message) that passes `test`."""

    test: str
    arg: Any
    save: str | None
    goto: str | None
    voice: bool = False
    no: str | None = None  # for test yes_no: where "no" leads (`goto` is for "yes")


@dataclass(frozen=True)
class NoResponse:
    after: timedelta
    goto: str


@dataclass(frozen=True)
class NodeMedia:
    """A voice prompt, audio, photo or document of the node, per language (paths relative
    to the flows folder). Audio, photos and documents fall back to Dutch; a voice prompt is
    the node's texts spoken, so it is only ever played in its own language."""

    kind: str
    files: dict[str, str]

    def file_for(self, lang: str) -> str:
        """Audio, photo or document: the file in `lang`, else the Dutch one."""
        return self.files.get(lang) or self.files["nl"]

    def spoken(self, lang: str) -> str | None:
        """The voice prompt in exactly `lang`; None where there is none (no fallback)."""
        return self.files.get(lang) if self.kind == "voice" else None


@dataclass(frozen=True)
class Node:
    id: str
    say: tuple[str, ...] = ()
    actions: tuple[Action, ...] = ()
    choose: tuple[Option, ...] = ()
    ask: Ask | None = None
    next: str | None = None
    other: str | None = None
    no_response: NoResponse | None = None
    media: NodeMedia | None = None
    line: int = 0
    # Where each exit is written ("choose[1]", "next", "ask.goto"…: Node.targets), by line.
    exit_lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def waits(self) -> bool:
        return bool(self.choose) or self.ask is not None

    def targets(self) -> list[tuple[str, str]]:
        """(where, target) for every edge out of this node."""
        edges = [(f"choose[{i}]", o.goto) for i, o in enumerate(self.choose) if o.goto]
        if self.ask is not None:
            edges += [("ask.goto", self.ask.goto)] if self.ask.goto else []
            edges += [("ask.no", self.ask.no)] if self.ask.no else []
        edges += [("next", self.next)] if self.next else []
        edges += [("other", self.other)] if self.other else []
        edges += [("no_response", self.no_response.goto)] if self.no_response else []
        return [(where, target) for where, target in edges if target]


@dataclass(frozen=True)
class Flow:
    name: str
    start: str
    nodes: dict[str, Node]
    # Where a returning parent's /start begins (a short greeting, then the menu); None: `start`
    returning: str | None = None
    file: str = ""
    source: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def texts(self) -> list[tuple[str, str]]:
        """(message context, source text) of every translatable text, in file order."""
        out = []
        for node in self.nodes.values():
            out += [(f"{self.name}:{node.id}:say.{i}", text) for i, text in enumerate(node.say)]
            out += [
                (f"{self.name}:{node.id}:choose.{i}", option.label)
                for i, option in enumerate(node.choose)
            ]
        return out
