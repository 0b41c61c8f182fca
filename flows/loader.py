"""Reading flow files into the model, collecting every problem instead of stopping at one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from flows.durations import parse_duration
from flows.guard import Refused, read_bounded, screen
from flows.limits import SCHEMA_VERSION
from flows.model import Action, Ask, Flow, Node, NodeMedia, NoResponse, Option
from flows.problems import Problem

NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
NODE_KEYS = {"say", "media", "do", "choose", "ask", "next", "other", "no_response"}
MEDIA_KINDS = ("voice", "audio", "photo", "document")
ASK_KEYS = {"test", "save", "voice", "goto", "no"}


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, node: str | None, message: str) -> None:
        self.problems.append(Problem(self.file, node, message))

    def actions(self, node: str, raw: Any, where: str) -> tuple[Action, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.problem(node, f"{where} must be a list of actions, like '- end:'")
            return ()
        out = []
        for item in raw:
            if isinstance(item, str):
                out.append(Action(item))
            elif isinstance(item, dict) and len(item) == 1:
                [(kind, args)] = item.items()
                out.append(Action(str(kind), args))
            else:
                self.problem(node, f"{where}: each action is one name, like '- mark_urgent:'")
        return tuple(out)

    def option(self, node: str, raw: Any, index: int) -> Option | None:
        if not isinstance(raw, dict) or "label" not in raw:
            self.problem(node, f"button {index + 1} needs a label")
            return None
        unknown = set(raw) - {"label", "goto", "do"}
        if unknown:
            self.problem(node, f"button {index + 1} has unknown keys: {', '.join(sorted(unknown))}")
        return Option(
            label=str(raw["label"]),
            goto=str(raw["goto"]) if raw.get("goto") is not None else None,
            actions=self.actions(node, raw.get("do"), f"button {index + 1} 'do'"),
        )

    def ask(self, node: str, raw: Any) -> Ask | None:
        if not isinstance(raw, dict):
            self.problem(node, "'ask' must say which test to use, e.g. 'test: text'")
            return None
        unknown = set(raw) - ASK_KEYS
        if unknown:
            self.problem(node, f"'ask' has unknown keys: {', '.join(sorted(unknown))}")
        test = raw.get("test", "text")
        arg = None
        if isinstance(test, dict) and len(test) == 1:
            [(test, arg)] = test.items()
        return Ask(
            test=str(test),
            arg=arg,
            save=str(raw["save"]) if raw.get("save") else None,
            goto=str(raw["goto"]) if raw.get("goto") else None,
            # Every question that takes free text takes a voice message too (voice: false to refuse)
            voice=bool(raw.get("voice", test == "text")),
            no=str(raw["no"]) if raw.get("no") else None,
        )

    def no_response(self, node: str, raw: Any) -> NoResponse | None:
        if not isinstance(raw, dict) or "after" not in raw or "goto" not in raw:
            self.problem(node, "'no_response' needs 'after' (like 2d) and 'goto'")
            return None
        try:
            after = parse_duration(raw["after"])
        except ValueError as error:
            self.problem(node, f"'no_response.after' {raw['after']!r}: {error}")
            return None
        return NoResponse(after, str(raw["goto"]))

    def media(self, node: str, raw: Any) -> NodeMedia | None:
        if not isinstance(raw, dict) or len(raw) != 1:
            self.problem(
                node,
                "'media' names one kind (voice, audio, photo or document) "
                "with a file per language, e.g. 'voice: {nl: vraag-nl.ogg}'",
            )
            return None
        [(kind, files)] = raw.items()
        if kind not in MEDIA_KINDS:
            self.problem(node, f"'media' kind {kind!r} is not one of {', '.join(MEDIA_KINDS)}")
            return None
        if not isinstance(files, dict) or not files:
            self.problem(node, "'media' needs a file per language, e.g. 'nl: vraag-nl.ogg'")
            return None
        # A voice prompt is heard only in its own language; other media fall back to Dutch.
        if kind != "voice" and "nl" not in files:
            self.problem(node, "'media' needs a Dutch file ('nl'), used where a language has none")
            return None
        return NodeMedia(str(kind), {str(lang): str(path) for lang, path in files.items()})

    def node(self, node_id: str, raw: Any, line: int, exit_lines: dict[str, int]) -> Node | None:
        if not NAME.match(node_id):
            self.problem(node_id, "a node name uses a-z, 0-9 and _, starting with a letter")
        if not isinstance(raw, dict):
            self.problem(node_id, "a node is a set of keys such as 'say' and 'choose'")
            return None
        unknown = set(raw) - NODE_KEYS
        if unknown:
            self.problem(
                node_id,
                f"unknown keys: {', '.join(sorted(unknown))} "
                f"(a node may have {', '.join(sorted(NODE_KEYS))})",
            )
        say = raw.get("say") or []
        if isinstance(say, str):
            say = [say]
        choose_raw = raw.get("choose") or []
        options = [self.option(node_id, o, i) for i, o in enumerate(choose_raw)]
        return Node(
            id=node_id,
            say=tuple(str(text) for text in say),
            actions=self.actions(node_id, raw.get("do"), "'do'"),
            choose=tuple(o for o in options if o is not None),
            ask=self.ask(node_id, raw["ask"]) if "ask" in raw else None,
            next=str(raw["next"]) if raw.get("next") else None,
            other=str(raw["other"]) if raw.get("other") else None,
            no_response=self.no_response(node_id, raw["no_response"])
            if "no_response" in raw
            else None,
            media=self.media(node_id, raw["media"]) if "media" in raw else None,
            line=line,
            exit_lines=exit_lines,
        )


def _node_lines(root: yaml.Node | None) -> dict[str, tuple[int, dict[str, int]]]:
    """Each node's first line, and the lines of its exits (as Node.targets names them)."""
    if not isinstance(root, yaml.MappingNode):
        return {}
    for key, value in root.value:
        if key.value == "nodes" and isinstance(value, yaml.MappingNode):
            return {
                k.value: (k.start_mark.line + 1, _exit_lines(v))
                for k, v in value.value
                if isinstance(k.value, str)
            }
    return {}


def _exit_lines(node: yaml.Node) -> dict[str, int]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    found: dict[str, int] = {}
    for key, value in node.value:
        line = key.start_mark.line + 1
        if key.value in ("next", "other", "no_response"):
            found[key.value] = line
        elif key.value == "choose" and isinstance(value, yaml.SequenceNode):
            for index, item in enumerate(value.value):
                gotos = [k for k, _ in getattr(item, "value", ()) if k.value == "goto"]
                found[f"choose[{index}]"] = (gotos[0] if gotos else item).start_mark.line + 1
        elif key.value == "ask" and isinstance(value, yaml.MappingNode):
            for ask_key, _ in value.value:
                if ask_key.value in ("goto", "no"):
                    found[f"ask.{ask_key.value}"] = ask_key.start_mark.line + 1
    return found


def read_source(path: Path) -> tuple[str | None, list[Problem]]:
    """A flow file's text; too large a file is refused before a byte of it is read."""
    try:
        return read_bounded(path), []
    except Refused as refusal:
        return None, [Problem(path.name, None, f"refused: {refusal}")]
    except OSError as error:
        return None, [Problem(path.name, None, f"could not be read ({error.strerror})")]


def read_flow_file(path: Path) -> tuple[Flow | None, list[Problem]]:
    text, problems = read_source(path)
    return (None, problems) if text is None else parse_flow(text, path.name)


def parse_flow(text: str, file: str) -> tuple[Flow | None, list[Problem]]:
    try:
        screen(text, nodes_key="nodes")
    except Refused as refusal:
        return None, [Problem(file, None, f"refused: {refusal}")]
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()  # composed once: for the data and for node lines
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        line = mark.line + 1 if mark else None
        return None, [Problem(file, None, f"this is not valid YAML{where}", line=line)]
    finally:
        loader.dispose()
    return flow_from_data(data, file, _node_lines(root))


def flow_from_data(
    data: Any, file: str, lines: dict[str, tuple[int, dict[str, int]]] | None = None
) -> tuple[Flow | None, list[Problem]]:
    reader = _Reader(file)
    lines = lines or {}
    if not isinstance(data, dict):
        reader.problem(None, "a flow file starts with 'schema:', 'flow:', 'start:' and 'nodes:'")
        return None, reader.problems
    if data.get("schema") != SCHEMA_VERSION:
        reader.problem(
            None,
            f"'schema' must be {SCHEMA_VERSION} (this bot reads version "
            f"{SCHEMA_VERSION}); found {data.get('schema')!r}",
        )
    name, start, nodes = data.get("flow"), data.get("start"), data.get("nodes")
    if not isinstance(name, str) or not NAME.match(name):
        reader.problem(None, "'flow' must name the flow (a-z, 0-9, _)")
        name = Path(file).stem
    if not isinstance(nodes, dict) or not nodes:
        reader.problem(None, "'nodes' must list the flow's nodes")
        return None, reader.problems
    unknown = set(data) - {"schema", "flow", "start", "returning", "nodes"}
    if unknown:
        reader.problem(None, f"unknown top-level keys: {', '.join(sorted(unknown))}")
    parsed = {str(k): reader.node(str(k), v, *lines.get(str(k), (0, {}))) for k, v in nodes.items()}
    flow = Flow(
        name=name,
        start=str(start) if start else "",
        returning=str(data["returning"]) if data.get("returning") else None,
        nodes={k: v for k, v in parsed.items() if v is not None},
        file=file,
        source=data,
    )
    return flow, reader.problems
