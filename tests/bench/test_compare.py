"""`python -m bench.compare` end to end in its smallest configuration (no speed asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_smallest_comparison_reports_every_row_and_no_lost_or_duplicate_reply(
    tmp_path: Path,
) -> None:
    report_file = tmp_path / "report.json"
    command = ["-m", "bench.compare", "--quick", "--only", "echo,ptb,sqlite,tasks"]
    done = subprocess.run(
        [sys.executable, *command, "--json", str(report_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(report_file.read_text())
    rows = {row["key"]: row for row in report["rows"]}
    assert set(rows) == {"echo", "ptb-default", "ptb-flush", "sqlite"}
    for row in rows.values():
        assert row["updates"] > 0 and row["rate"] > 0 and row["rss_mb"] > 0
        assert (row["lost"], row["duplicates"]) == (0, 0)
    assert (report["lost"], report["duplicates"], report["failures"]) == (0, 0, [])
    assert [ratio["key"] for ratio in report["ratios"]] == ["sqlite"]
    assert {lone["key"] for lone in report["lone"]} == {"echo", "sqlite"}
    assert [task["database"] for task in report["tasks"]] == ["sqlite"]
    assert report["tasks"][0]["done"] > 0
    for heading in ("| who |", "| this bot |", "| a lone parent |", "| due tasks |"):
        assert heading in done.stdout
    assert "0 lost and 0 duplicate replies" in done.stdout


def test_the_profile_of_a_short_walk_names_where_the_cpu_went() -> None:
    """`python -m bench.profile` on SQLite for a few seconds: a summary by part, with the
    database layer and the project among them and idle waiting kept out of the shares."""
    short = ["--backend", "sqlite", "--parents", "5", "--seconds", "3", "--top", "5"]
    done = subprocess.run(
        [sys.executable, "-m", "bench.profile", *short],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {
        line.split("|")[1].strip(): line.split("|")[3].strip()
        for line in done.stdout.splitlines()
        if line.startswith("| ") and not line.startswith("| part")
    }
    assert rows["SQLAlchemy"].endswith("%") and rows["the project (bot, flows, handlers, storage)"]
    assert rows["waiting in epoll (idle, not CPU)"] == "–"
    shares = [int(v.rstrip("%")) for v in rows.values() if v.endswith("%")]
    assert 95 <= sum(shares) <= 105  # the CPU parts add up to the whole
