"""Everything a coordinator can break in a flow, found before the flow is used."""

from __future__ import annotations

from flows.answers import check_arg
from flows.flowset import SOURCE_LANGUAGE, FlowSet, Translation
from flows.limits import (
    MAX_BUTTON_LABEL,
    MAX_BUTTONS,
    MAX_MESSAGE_LENGTH,
    MAX_NODES_PER_FLOW,
    WORD_LIMITED_LANGUAGES,
)
from flows.measure import WELCOME, measure, over_limits
from flows.model import Flow, Node
from flows.problems import WARNING, Problem
from flows.steps import load_all

STEPS = load_all()


def check_flows(flows: list[Flow]) -> list[Problem]:
    """Structure: targets, reachability, actions, limits, loops that never wait."""
    names = {flow.name for flow in flows}
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for flow in flows:
        if flow.name in seen:
            problems.append(
                Problem(flow.file, None, f"flow '{flow.name}' is also defined in {seen[flow.name]}")
            )
        seen[flow.name] = flow.file
        problems += _check_flow(flow, names)
    return problems


def _check_flow(flow: Flow, names: set[str]) -> list[Problem]:
    out: list[Problem] = []

    def bad(node: str | None, message: str, line: int | None = None) -> None:
        out.append(Problem(flow.file, node, message, line=line))

    if len(flow.nodes) > MAX_NODES_PER_FLOW:
        bad(None, f"{len(flow.nodes)} nodes; a flow may have at most {MAX_NODES_PER_FLOW}")
    if flow.start not in flow.nodes:
        bad(None, f"'start' names a node that does not exist: {flow.start!r}")
    if flow.returning is not None and flow.returning not in flow.nodes:
        bad(None, f"'returning' names a node that does not exist: {flow.returning!r}")
    for node in flow.nodes.values():
        for where, target in node.targets():
            if target not in flow.nodes:
                message = f"'{where}' goes to a node that does not exist: {target!r}"
                bad(node.id, message, node.exit_lines.get(where))
        for problem in _check_node(node, names):
            bad(node.id, problem)
    if flow.start in flow.nodes:
        reached = _reachable(flow)
        for node_id in flow.nodes:
            if node_id not in reached:
                bad(node_id, "no path leads to this node (unreachable)")
    for loop in _loops_without_wait(flow):
        bad(
            loop[0],
            "these nodes go round without ever waiting for the parent: "
            + " → ".join([*loop, loop[0]]),
        )
    return out


def _check_node(node: Node, names: set[str]) -> list[str]:
    out = []
    if node.waits and node.next:
        out.append("a node that waits cannot also have 'next'")
    if node.waits and not node.other:
        out.append("every wait needs an 'other' exit: where to go when the answer does not fit")
    if node.choose and not node.say:
        out.append("buttons need a question to hang under: add 'say'")
    if node.no_response and not node.waits:
        out.append("'no_response' only makes sense on a node that waits")
    if len(node.choose) > MAX_BUTTONS:
        out.append(f"{len(node.choose)} buttons; at most {MAX_BUTTONS}")
    for option in node.choose:
        if len(option.label) > MAX_BUTTON_LABEL:
            out.append(
                f"button label is {len(option.label)} characters, more than "
                f"{MAX_BUTTON_LABEL}: {option.label!r}"
            )
        if option.goto is None and not any(a.kind in ("start_flow", "end") for a in option.actions):
            out.append(f"button {option.label!r} needs 'goto' (or a 'start_flow' or 'end')")
    for text in node.say:
        if len(text) > MAX_MESSAGE_LENGTH:
            out.append(f"a message is {len(text)} characters; at most {MAX_MESSAGE_LENGTH}")
    if node.ask is not None:
        problem = check_arg(node.ask.test, node.ask.arg)
        if problem:
            out.append(problem)
        if node.ask.goto is None:
            out.append("'ask' needs 'goto': where to go with the answer")
        if node.ask.test == "yes_no" and node.ask.no is None:
            out.append("a yes/no question needs 'no': where a 'no' leads ('goto' is for yes)")
    actions = [*node.actions, *(a for o in node.choose for a in o.actions)]
    for action in actions:
        step = STEPS.get(action.kind)
        if step is None:
            out.append(f"unknown action {action.kind!r}; known: {', '.join(sorted(STEPS))}")
            continue
        problem = step.check(action.args, names)
        if problem:
            out.append(problem)
    return out


def _reachable(flow: Flow) -> set[str]:
    reached, todo = set(), [flow.start, *([flow.returning] if flow.returning else [])]
    while todo:
        node_id = todo.pop()
        if node_id in reached or node_id not in flow.nodes:
            continue
        reached.add(node_id)
        todo += [target for _, target in flow.nodes[node_id].targets()]
    return reached


def _loops_without_wait(flow: Flow) -> list[list[str]]:
    """Cycles through 'next' among nodes that never wait."""
    loops, done = [], set()
    for first in flow.nodes:
        path: list[str] = []
        node_id = first
        while node_id in flow.nodes and node_id not in done:
            node = flow.nodes[node_id]
            if node.waits or node.next is None:
                break
            if node_id in path:
                loops.append(path[path.index(node_id) :])
                break
            path.append(node_id)
            node_id = node.next
        done.update(path)
    return loops


def check_translations(
    flows: list[Flow],
    translations: dict[str, dict[str, tuple[str, Translation]]],
    languages: list[str],
    extra: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> list[Problem]:
    """Missing and out-of-date (edited source) translations are warnings: a text published
    in the console is translated after it is published (parents reading that language see
    the Dutch, or the old translation, meanwhile); the console and `i18n status` show what
    is left to translate."""
    out: list[Problem] = []
    for lang in languages:
        if lang == SOURCE_LANGUAGE:
            continue
        table = translations.get(lang, {})
        for flow in flows:
            for context, source in flow.texts():
                out += _check_text(flow.file, context, source, table.get(context), lang)
        for context, source in extra:
            out += _check_text("(built in)", context, source, table.get(context), lang)
    return out


def _check_text(
    file: str, context: str, source: str, found: tuple[str, Translation] | None, lang: str
) -> list[Problem]:
    node = context.split(":")[1] if context.count(":") >= 2 else None
    field = context.rsplit(":", 1)[-1]
    if found is None or not found[1].text:
        return [
            Problem(
                file,
                node,
                f"no {lang} translation of {field} yet: {source[:50]!r} (shown in Dutch meanwhile)",
                WARNING,
            )
        ]
    msgid, translation = found
    if translation.fuzzy or msgid != source:
        return [
            Problem(
                file,
                node,
                f"the {lang} translation of {field} is out of date "
                "(the source text changed); the old one is used meanwhile",
                WARNING,
            )
        ]
    return []


def check_measures(flows: FlowSet, languages: list[str]) -> list[Problem]:
    """Warnings when the welcome asks too much reading or too many taps of a parent: the
    organisation's own wording is flagged, never refused (`flows measure` shows the figures).
    Taps are the same in every language, so they are measured in the limited ones only."""
    welcome = flows.flows.get(WELCOME)
    if welcome is None:
        return []
    out: list[Problem] = []
    for lang in [code for code in WORD_LIMITED_LANGUAGES if code in languages]:
        for problem in over_limits(measure(flows, lang)):
            out.append(Problem(welcome.file, None, f"{problem} (`flows measure`)", WARNING))
    return out
