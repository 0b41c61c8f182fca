"""`flows check`: the defaults pass; each kind of broken flow fails with a clear message."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flows.flowset import Translation
from flows.library import read_flows
from flows.problems import ERROR, WARNING
from flows.validate import check_flows, check_translations

ROOT = Path(__file__).resolve().parents[2]
BROKEN = Path(__file__).parent / "fixtures" / "broken"


def expected(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    return first.removeprefix("# expect: ")


@pytest.mark.parametrize("path", sorted(BROKEN.glob("*.yaml")), ids=lambda p: p.stem)
def test_each_broken_flow_is_reported(path: Path, tmp_path: Path) -> None:
    shutil.copy(path, tmp_path / path.name)
    flows, problems = read_flows(tmp_path)
    problems += check_flows(flows)
    shown = [str(p) for p in problems if p.level == ERROR]
    assert any(expected(path) in line for line in shown), shown
    assert all(line.startswith(f"error: {path.name}") for line in shown)


def test_the_default_flows_pass() -> None:
    flows, problems = read_flows(ROOT / "flows" / "defaults")
    assert len(flows) == 7 and problems + check_flows(flows) == []


def test_missing_and_out_of_date_translations() -> None:
    flows, _ = read_flows(BROKEN.parent / "translated")
    [flow] = flows
    catalog = {"ar": {"main:a:say.0": ("Hallo, oude tekst", Translation("مرحبا"))}}
    problems = check_translations(flows, catalog, ["nl", "ar", "tr"])
    assert [(p.level, p.message.split(" (")[0]) for p in problems] == [
        (WARNING, "the ar translation of say.0 is out of date"),
        (WARNING, "no tr translation of say.0 yet: 'Hallo'"),
    ]
    assert all(p.node == "a" and p.file == "main.yaml" for p in problems)
    assert flow.name == "main"


def test_the_command_exits_non_zero_with_file_node_and_reason(tmp_path: Path) -> None:
    shutil.copy(BROKEN / "dangling_target.yaml", tmp_path / "main.yaml")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "flows", "check", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 1
    assert "error: main.yaml, node 'a': 'next' goes to a node that does not exist" in done.stdout
