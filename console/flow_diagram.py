"""A flow as a Mermaid flowchart: each node a box (its name and first words), each way out an
arrow (a button, an answer, next, other, no answer, another flow, the end). The browser
draws it with the vendored Mermaid; without JavaScript the source shows as text, which still
reads as a list of arrows. Layout is Mermaid's: nothing here places a box."""

from __future__ import annotations

import re
from collections import defaultdict

from console.words import Words
from flows.model import Action, Flow, Node

MAX_WORDS = 48  # characters of a node's first message in its box
MAX_LABEL = 32  # characters of one arrow label (a button's label is at most 32)
# Mermaid reads these inside a quoted label; written as its entity codes they are just text.
ESCAPES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "`": "#96;"}
SPACES = re.compile(r"\s+")


def quoted(text: str, limit: int) -> str:
    """A label as Mermaid text: one line, clipped, every special character escaped."""
    plain = SPACES.sub(" ", text).strip()
    if len(plain) > limit:
        plain = plain[: limit - 1].rstrip() + "…"
    return '"' + "".join(ESCAPES.get(char, char) for char in plain) + '"'


def mermaid(flow: Flow, words: Words) -> str:
    """The flowchart's source, top to bottom. A way out to a node that does not exist (a
    draft with an error) ends in a box marked missing."""
    _ = words.gettext
    ids = {name: f"n{index}" for index, name in enumerate(flow.nodes)}
    missing: dict[str, str] = {}  # a node named but not there → its box
    others: dict[str, str] = {}  # another flow's name → its box

    def box(name: str | None) -> str:
        if not name:
            return ""
        return ids.get(name) or missing.setdefault(name, f"m{len(missing)}")

    lines = ["flowchart TD"]
    for name, node in flow.nodes.items():
        lines.append(f"  {ids[name]}[{_box(node)}]")
    start = quoted(_("start"), MAX_LABEL)
    lines.append(f"  start([{start}]) --> {box(flow.start)}")
    if flow.returning:
        returning = quoted(_("a parent who returns"), MAX_LABEL)
        lines.append(f"  returning([{returning}]) --> {box(flow.returning)}")
    ends = False
    for name, node in flow.nodes.items():
        edges: dict[tuple[str, str], list[str]] = defaultdict(list)  # (arrow, target) → labels
        for index, option in enumerate(node.choose):
            jump = _jump(option.actions)
            target = box(option.goto) or (_other(others, jump) if jump else "")
            if target:
                edges[("-->", target)].append(option.label or f"[{index + 1}]")
        if node.ask is not None and node.ask.goto:
            answer = _("yes") if node.ask.test == "yes_no" else _("an answer")
            edges[("-->", box(node.ask.goto))].append(answer)
        if node.ask is not None and node.ask.no:
            edges[("-->", box(node.ask.no))].append(_("no"))
        jump = _jump(node.actions)
        if jump:
            edges[("-->", _other(others, jump))].append("")
        elif node.next:
            edges[("-->", box(node.next))].append("")
        elif not node.waits:  # `end`, or nowhere to go: the conversation is over
            edges[("-->", "finish")].append("")
            ends = True
        if node.other and node.other != name:  # asking again is left out: no clutter
            edges[("-.->", box(node.other))].append(_("other"))
        if node.no_response is not None:
            after = words.span(node.no_response.after)
            label = _("no answer in {time}").format(time=after)
            edges[("-.->", box(node.no_response.goto))].append(label)
        for (arrow, target), labels in edges.items():
            shown = [label for label in labels if label]
            joined = "<br>".join(quoted(label, MAX_LABEL)[1:-1] for label in shown)
            text = f'|"{joined}"|' if shown else ""
            lines.append(f"  {ids[name]} {arrow}{text} {target}")
    if ends:
        finish = quoted(_("the end"), MAX_LABEL)
        lines.append(f"  finish([{finish}])")
    for flow_name, other in others.items():
        label = _("flow {name}").format(name=flow_name)
        lines.append(f"  {other}[[{quoted(label, MAX_LABEL)}]]")
    for name, absent in missing.items():
        label = _("{name}: missing").format(name=name)
        lines.append(f"  {absent}[{quoted(label, MAX_LABEL)}]:::missing")
    if missing:
        lines.append("  classDef missing stroke:#a1141b,stroke-width:3px,stroke-dasharray:6 3")
    return "\n".join(lines) + "\n"


def _box(node: Node) -> str:
    """The node's name, and the first words the parent reads there."""
    first = quoted(node.say[0], MAX_WORDS)[1:-1] if node.say else ""
    name = quoted(node.id, MAX_LABEL)[1:-1]
    return f'"{name}<br>{first}"' if first else f'"{name}"'


def _jump(actions: tuple[Action, ...]) -> str:
    """The flow a `start_flow` among these actions continues in; "" when none."""
    for action in actions:
        if action.kind == "start_flow":
            return str(action.args)
    return ""


def _other(others: dict[str, str], flow_name: str) -> str:
    return others.setdefault(flow_name, f"f{len(others)}")
