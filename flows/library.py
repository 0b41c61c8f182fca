"""Loading a folder of flow files with their translations into a checked FlowSet."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from babel.messages.pofile import read_po

from flows.flowset import FlowSet, Translation
from flows.limits import MAX_FLOWS
from flows.loader import parse_flow, read_source
from flows.model import Flow
from flows.problems import ERROR, FlowError, Problem
from flows.steps.emergency import BUILT_IN
from flows.validate import check_flows, check_measures, check_translations

NOT_FLOWS = {"settings.yaml"}
Catalog = dict[str, dict[str, tuple[str, Translation]]]  # lang → context → (msgid, text)


def flow_paths(folder: Path) -> list[Path]:
    return [path for path in sorted(folder.glob("*.yaml")) if path.name not in NOT_FLOWS]


def flow_sources(folder: Path) -> tuple[dict[str, str], list[Problem]]:
    """The text of every flow file in `folder` by file name; too large a file is refused
    before a byte of it is read."""
    paths = flow_paths(folder)
    if len(paths) > MAX_FLOWS:
        message = f"refused: {len(paths)} flow files; at most {MAX_FLOWS}"
        return {}, [Problem(str(folder), None, message)]
    texts: dict[str, str] = {}
    problems: list[Problem] = []
    for path in paths:
        text, found = read_source(path)
        problems += found
        if text is not None:
            texts[path.name] = text
    if not texts and not problems:
        problems.append(Problem(str(folder), None, "no flow files (*.yaml) in this folder"))
    return texts, problems


def parse_flows(texts: Mapping[str, str]) -> tuple[list[Flow], list[Problem]]:
    """Flows from their texts (by file name): from a folder, or as published."""
    if len(texts) > MAX_FLOWS:
        return [], [Problem("flows", None, f"refused: {len(texts)} flows; at most {MAX_FLOWS}")]
    flows: list[Flow] = []
    problems: list[Problem] = []
    for file, text in sorted(texts.items()):
        flow, found = parse_flow(text, file)
        problems += found
        if flow is not None:
            flows.append(flow)
    return flows, problems


def read_flows(folder: Path) -> tuple[list[Flow], list[Problem]]:
    texts, problems = flow_sources(folder)
    flows, found = parse_flows(texts)
    return flows, problems + found


def read_translations(
    locales: Path, languages: list[str], texts: Mapping[str, str] | None = None
) -> Catalog:
    """Every entry with a context, from the .po files (or the published `texts` of a
    language, where given): fuzzy ones kept, marked as such."""
    out: Catalog = {}
    for lang in languages:
        path = locales / lang / "LC_MESSAGES" / "messages.po"
        if texts is not None and lang in texts:
            catalog = read_po(io.BytesIO(texts[lang].encode("utf-8")), locale=None)
        elif not path.exists():
            out[lang] = {}
            continue
        else:
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=None)
        out[lang] = {
            str(m.context): (str(m.id), Translation(str(m.string), m.fuzzy))
            for m in catalog
            if m.context and m.id and isinstance(m.string, str)
        }
    return out


def check_folder(
    folder: Path,
    locales: Path,
    languages: list[str],
    texts: Mapping[str, str] | None = None,
    flow_texts: Mapping[str, str] | None = None,
) -> tuple[list[Flow], Catalog, list[Problem]]:
    """The flows (from `flow_texts` by file name where given, else the folder's files) with
    their translations, and every problem, each at its line where it has one. Media files
    are looked for in `folder` either way."""
    flows, problems = read_flows(folder) if flow_texts is None else parse_flows(flow_texts)
    problems += check_flows(flows)
    for flow in flows:
        for node in flow.nodes.values():
            for lang, path in node.media.files.items() if node.media else []:
                if not (folder / path).is_file():
                    problems.append(
                        Problem(flow.file, node.id, f"media file for {lang} not found: {path}")
                    )
    catalog = read_translations(locales, languages, texts)
    problems += check_translations(flows, catalog, languages, BUILT_IN)
    if not any(p.level == ERROR for p in problems):  # measured by running the flows
        problems += check_measures(_flowset(flows, catalog, frozenset()), languages)
    return flows, catalog, located(problems, flows)


def located(problems: list[Problem], flows: list[Flow]) -> list[Problem]:
    """Each problem of a node with the line the node starts on in its file."""
    lines = {(f.file, node.id): node.line for f in flows for node in f.nodes.values()}
    return [
        replace(p, line=lines.get((p.file, p.node)) or None) if p.line is None and p.node else p
        for p in problems
    ]


def _flowset(flows: list[Flow], catalog: Catalog, rtl: frozenset[str]) -> FlowSet:
    translations = {
        lang: {ctxt: found for ctxt, (_, found) in table.items()} for lang, table in catalog.items()
    }
    return FlowSet({f.name: f for f in flows}, translations, rtl)


def load_flowset(
    folder: Path,
    locales: Path,
    languages: list[str],
    rtl: frozenset[str],
    texts: Mapping[str, str] | None = None,
    flow_texts: Mapping[str, str] | None = None,
) -> tuple[FlowSet, list[Problem]]:
    """The flows ready to run, and the warnings; errors raise FlowError. `texts`: the
    published catalogs (.po texts by language), where they replace the files; `flow_texts`:
    the published flows (YAML by file name), where they replace the folder's files."""
    flows, catalog, problems = check_folder(folder, locales, languages, texts, flow_texts)
    errors = [p for p in problems if p.level == ERROR]
    if errors:
        raise FlowError(errors)
    return _flowset(flows, catalog, rtl), problems
