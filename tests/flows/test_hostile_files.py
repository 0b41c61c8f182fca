"""Hostile flow and settings files are refused before they are built, in a few short words."""

from __future__ import annotations

import contextlib
import re
import resource
import shutil
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.services.coordinator_settings import SettingsFile, SettingsFileError, parse_settings
from bot.settings import DEFAULT_FLOWS_DIR
from flows.library import read_flows
from flows.limits import MAX_FILE_BYTES, MAX_NODES_BEFORE_BUILD, MAX_YAML_DEPTH, MAX_YAML_EVENTS
from flows.loader import parse_flow, read_flow_file
from flows.problems import ERROR, FlowError, Problem
from tests.flows.hostile import billion_laughs, huge, many_nodes

ROOT = Path(__file__).resolve().parents[2]
UNDER_1_KB = 1024
MEMORY_BUDGET = 20 * 1024 * 1024  # far below what any of these files would grow into


def refusal(problems: list[Problem]) -> str:
    [problem] = problems
    assert problem.level == ERROR
    line = str(problem)
    assert len(line.encode()) < UNDER_1_KB and "\n" not in line
    return line


def within_budget() -> None:
    _, peak = tracemalloc.get_traced_memory()
    assert peak < MEMORY_BUDGET, f"{peak / 1e6:.0f} MB"


@pytest.fixture(autouse=True)
def traced() -> Iterator[None]:
    tracemalloc.start()
    yield
    tracemalloc.stop()


@contextlib.contextmanager
def address_space_capped(extra: int) -> Iterator[None]:
    """A regression fails fast with MemoryError instead of expanding for minutes."""
    status = Path("/proc/self/status").read_text()
    match = re.search(r"^VmSize:\s+(\d+) kB", status, re.MULTILINE)
    assert match, status
    size = int(match[1]) * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (size + extra, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def test_a_billion_laughs_is_refused_unexpanded() -> None:
    text = billion_laughs()
    assert 500 < len(text) < 700
    tracemalloc.stop()  # so that a regression fails in seconds
    with address_space_capped(512 * 1024 * 1024):
        flow, problems = parse_flow(text, "laughs.yaml")
    tracemalloc.start()
    assert flow is None
    assert "anchors and aliases" in refusal(problems)
    within_budget()


def test_anchors_alone_are_refused() -> None:
    text = "schema: 1\nflow: a\nstart: a\nnodes:\n  a: &first\n    do: [end]\n"
    flow, problems = parse_flow(text, "anchor.yaml")
    assert flow is None and "anchors and aliases" in refusal(problems)
    assert "(line 5)" in str(problems[0])


def test_a_file_over_1_mb_is_refused_unread(tmp_path: Path) -> None:
    path = huge(tmp_path / "big.yaml", MAX_FILE_BYTES + 1)
    flow, problems = read_flow_file(path)
    assert flow is None
    line = refusal(problems)
    assert "refused: the file has" in line and "lol" not in line
    within_budget()


def test_a_50_mb_file_is_refused_unread(tmp_path: Path) -> None:
    tracemalloc.reset_peak()
    path = huge(tmp_path / "fifty.yaml", 50 * 1024 * 1024)
    tracemalloc.reset_peak()
    flow, problems = read_flow_file(path)
    assert flow is None and "(1 MB)" in refusal(problems)
    _, peak = tracemalloc.get_traced_memory()
    assert peak < 1024 * 1024  # not read at all: its size was known from stat


def test_text_over_1_mb_is_refused_without_a_file() -> None:
    flow, problems = parse_flow("a: " + "x" * MAX_FILE_BYTES, "big.yaml")
    assert flow is None and "refused: the file has" in refusal(problems)


def test_ten_thousand_nodes_are_refused_before_the_model_is_built() -> None:
    text = many_nodes(10_000)
    assert len(text) < MAX_FILE_BYTES and "&" not in text and "*" not in text
    flow, problems = parse_flow(text, "many.yaml")
    assert flow is None
    assert f"more than {MAX_NODES_BEFORE_BUILD} nodes" in refusal(problems)
    within_budget()


def test_up_to_the_cap_the_flow_is_built_and_validation_limits_it() -> None:
    flow, problems = parse_flow(many_nodes(MAX_NODES_BEFORE_BUILD - 1), "many.yaml")
    assert flow is not None and problems == []  # MAX_NODES_PER_FLOW is checked later


def test_too_many_items_and_too_deep_are_refused() -> None:
    items = (
        "schema: 1\nflow: a\nstart: a\nnodes:\n  a:\n    say: [" + "x, " * MAX_YAML_EVENTS + "]\n"
    )
    assert f"more than {MAX_YAML_EVENTS:,} YAML items" in refusal(parse_flow(items, "i.yaml")[1])
    deep = "a: " + "[" * (MAX_YAML_DEPTH + 1) + "]" * (MAX_YAML_DEPTH + 1) + "\n"
    assert "nested deeper" in refusal(parse_flow(deep, "d.yaml")[1])
    bottomless = "[" * 200_000  # the composer would recurse until Python gives up
    assert "nested deeper" in refusal(parse_flow(bottomless, "b.yaml")[1])


def test_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes("schema: 1\nflow: caf\xe9\n".encode("latin-1"))
    assert "not UTF-8" in refusal(read_flow_file(path)[1])


def test_quoted_content_is_cut(tmp_path: Path) -> None:
    """A problem that quotes the file (a long node name, a long label) stays under 1 kB."""
    name = "n" * 1000  # YAML keys are at most 1024 characters; values may be longer
    keys = "".join(f"    {letter * 1000}: 1\n" for letter in "abcdefghijklmnopqrst")
    after = f"    no_response: {{after: {'x' * 50_000}, goto: a}}\n"
    text = f"schema: 1\nflow: a\nstart: {name}\nnodes:\n  {name}:\n{keys}{after}"
    _, problems = parse_flow(text, "long.yaml")
    assert len(problems) == 3 and all(len(str(p).encode()) < UNDER_1_KB for p in problems)
    error = FlowError([Problem("f.yaml", None, "x" * 2000)] * 5000)
    assert len(str(error).encode()) < UNDER_1_KB and "more)" in str(error)


def test_a_folder_with_a_hostile_file_reports_each_on_one_line(tmp_path: Path) -> None:
    for path in DEFAULT_FLOWS_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "laughs.yaml").write_text(billion_laughs(), encoding="utf-8")
    (tmp_path / "many.yaml").write_text(many_nodes(10_000), encoding="utf-8")
    huge(tmp_path / "fifty.yaml", 50 * 1024 * 1024)
    flows, problems = read_flows(tmp_path)
    assert len(flows) == 7
    assert sorted(p.file for p in problems) == ["fifty.yaml", "laughs.yaml", "many.yaml"]
    assert all(len(str(p).encode()) < UNDER_1_KB for p in problems)
    within_budget()


def test_the_checks_say_it_in_one_short_line_each(tmp_path: Path) -> None:
    flows_dir = tmp_path / "flows"
    shutil.copytree(DEFAULT_FLOWS_DIR, flows_dir)
    (flows_dir / "laughs.yaml").write_text(billion_laughs(), encoding="utf-8")
    huge(flows_dir / "fifty.yaml", 50 * 1024 * 1024)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "FLOWS_DIR": str(flows_dir)}
    flows = subprocess.run(
        [sys.executable, "-m", "bot", "flows", "check"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert flows.returncode == 1, flows.stderr
    refused = [line for line in flows.stdout.splitlines() if "refused" in line]
    assert [line.split(":")[1].strip() for line in refused] == ["fifty.yaml", "laughs.yaml"]
    assert all(len(line.encode()) < 200 for line in refused), refused
    (flows_dir / "settings.yaml").write_text(billion_laughs(), encoding="utf-8")
    settings = subprocess.run(
        [sys.executable, "-m", "bot", "settings", "check"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert settings.returncode == 1, settings.stderr
    [line] = settings.stdout.splitlines()
    assert "refused: YAML anchors and aliases" in line and len(line.encode()) < UNDER_1_KB


def test_settings_with_aliases_are_refused() -> None:
    shipped = (DEFAULT_FLOWS_DIR / "settings.yaml").read_text(encoding="utf-8")
    text = shipped.replace("languages:", "languages: &all").rstrip() + "\nextra: *all\n"
    with pytest.raises(SettingsFileError) as caught:
        parse_settings(text, Path("settings.yaml"))
    [problem] = caught.value.problems
    assert problem.startswith("refused: YAML anchors and aliases")
    with pytest.raises(SettingsFileError) as caught:
        parse_settings(billion_laughs(), Path("settings.yaml"))
    assert len(str(caught.value).encode()) < UNDER_1_KB
    within_budget()


def test_settings_over_1_mb_and_many_mistakes_stay_short(tmp_path: Path) -> None:
    shutil.copy(DEFAULT_FLOWS_DIR / "settings.yaml", tmp_path / "settings.yaml")
    file = SettingsFile(tmp_path)
    huge(tmp_path / "settings.yaml", 50 * 1024 * 1024)
    [problem] = file.reload()
    assert problem.startswith("refused: the file has") and file.current.languages
    mistakes = "".join(f"{'k' * 900}{i}: 1\n" for i in range(300))
    (tmp_path / "settings.yaml").write_text(f"version: 1\n{mistakes}", encoding="utf-8")
    problems = file.reload()
    assert len(problems) <= 21 and problems[-1].startswith("and ")
    assert all(len(p.encode()) < UNDER_1_KB for p in problems)
    assert file.current.languages  # the last good settings keep serving
