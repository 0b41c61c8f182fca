"""`python -m bot simulate`: seeded scenarios give their known results, through the
production routing, ladder and task runner on a virtual clock."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from bot.simulate import SCENARIOS, simulate

ROOT = Path(__file__).resolve().parents[2]


async def test_when_no_vp_ever_answers_every_urgent_case_breaches_once() -> None:
    report = await simulate(replace(SCENARIOS["nobody answers"], days=2), seed=7)
    assert report.urgent > 0 and report.cases == 12
    assert report.breaches == report.urgent and report.urgent_breached_once
    assert report.accepted == [] and report.contacted == []


async def test_when_every_vp_answers_quickly_nothing_breaches() -> None:
    report = await simulate(replace(SCENARIOS["quick"], days=2), seed=7)
    assert report.breaches == 0 and len(report.contacted) == report.cases
    assert max(report.urgent_contacted).total_seconds() < 2 * 3600
    assert max(report.accepted).total_seconds() < 3600


async def test_the_same_seed_gives_the_same_figures() -> None:
    first = await simulate(replace(SCENARIOS["mixed"], days=2), seed=3)
    second = await simulate(replace(SCENARIOS["mixed"], days=2), seed=3)
    assert first.lines() == second.lines()
    assert first.breaches <= first.urgent


def test_the_command_prints_the_figures(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "simulate", "--scenario", "nobody-answers", "--days", "1"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "time to first contact" in done.stdout and "breaches of the 48-hour path" in done.stdout
    wrong = subprocess.run(
        [sys.executable, "-m", "bot", "simulate", "--scenario", "nope"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert wrong.returncode == 2 and "mixed" in wrong.stderr


async def test_with_no_language_match_the_hand_assignment_comes_at_once_not_at_24_hours() -> None:
    report = await simulate(replace(SCENARIOS["no language match"], days=2), seed=7)
    assert (report.cases, report.urgent) == (12, 4)
    # the coordinator reacts an hour after the buttons came: at once, not after 24 h
    assert len(report.assigned_by_hand) == report.urgent
    assert max(report.assigned_by_hand) <= timedelta(hours=1, minutes=10)
    # nobody on the cases speaks Ukrainian: a message is no contact, so each breaches once
    assert report.contacted == [] and report.breaches == report.urgent
    assert report.urgent_breached_once
    assert "urgent: to hand assignment" in "\n".join(report.lines())
