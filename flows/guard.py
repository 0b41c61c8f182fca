"""Hostile YAML refused before it is built: too large, anchors and aliases, too deep, too many.

Only the event stream is read here; it never expands an alias, so a "billion laughs" file
costs as little as its bytes. Flow files and the coordinator's settings file both pass here.
"""

from __future__ import annotations

import stat
from pathlib import Path

import yaml

from flows.limits import MAX_FILE_BYTES, MAX_NODES_BEFORE_BUILD, MAX_YAML_DEPTH, MAX_YAML_EVENTS

_FAST = getattr(yaml, "CSafeLoader", None)  # libyaml; the pure parser decides when they differ
_ITEM = (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent, yaml.AliasEvent)


class Refused(Exception):
    """A file turned away unread or unbuilt; the message is short and quotes nothing of it."""


def read_bounded(path: Path) -> str:
    """The text of a regular file of at most MAX_FILE_BYTES; its size is known before reading."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise Refused("not a regular file")
    if info.st_size > MAX_FILE_BYTES:
        raise Refused(_too_large(info.st_size))
    with path.open("rb") as handle:
        raw = handle.read(MAX_FILE_BYTES + 1)  # it may have grown since the stat
    if len(raw) > MAX_FILE_BYTES:
        raise Refused(_too_large(len(raw)))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Refused(f"not UTF-8 text (byte {error.start})") from None


def screen(text: str, *, nodes_key: str | None = None) -> None:
    """Raise Refused for YAML that would grow when built; `nodes_key` names a top-level
    mapping whose keys are counted (a flow's nodes). Invalid YAML passes: its loader says why."""
    if len(text) > MAX_FILE_BYTES:
        raise Refused(_too_large(len(text.encode("utf-8", "replace"))))
    if _FAST is not None:
        try:
            _scan(text, _FAST, nodes_key)
            return
        except yaml.YAMLError:
            pass  # the pure parser, which the loader uses, has the last word
    try:
        _scan(text, yaml.SafeLoader, nodes_key)
    except yaml.YAMLError:
        return


def _scan(text: str, loader_class: type, nodes_key: str | None) -> None:
    loader = loader_class(text)
    # One frame per open mapping or list: [is_mapping, expecting_key, key, counts_nodes].
    frames: list[list[object]] = []
    events = nodes = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            events += 1
            if events > MAX_YAML_EVENTS:
                raise Refused(f"more than {MAX_YAML_EVENTS:,} YAML items; a flow is far smaller")
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                line = event.start_mark.line + 1
                raise Refused(
                    f"YAML anchors and aliases (&name, *name) are not allowed (line {line})"
                )
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                frames.pop()
                continue
            if not isinstance(event, _ITEM):
                continue
            parent = frames[-1] if frames else None
            key = None
            if parent is not None and parent[0]:
                if parent[1]:  # this item is a key
                    if parent[3]:
                        nodes += 1
                        if nodes > MAX_NODES_BEFORE_BUILD:
                            raise Refused(
                                f"more than {MAX_NODES_BEFORE_BUILD} nodes; "
                                "split the flow into smaller ones"
                            )
                    parent[2] = event.value if isinstance(event, yaml.ScalarEvent) else None
                else:
                    key = parent[2]
                parent[1] = not parent[1]
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                if len(frames) >= MAX_YAML_DEPTH:
                    raise Refused(f"nested deeper than {MAX_YAML_DEPTH} levels")
                is_mapping = isinstance(event, yaml.MappingStartEvent)
                counts = (
                    is_mapping and len(frames) == 1 and nodes_key is not None and key == nodes_key
                )
                frames.append([is_mapping, True, None, counts])
    finally:
        loader.dispose()


def _too_large(size: int) -> str:
    return f"the file has {size:,} bytes; at most {MAX_FILE_BYTES:,} (1 MB) are read"
