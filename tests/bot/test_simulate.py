"""`python -m bot simulate`: seeded scenarios give their known results, through the
production routing, ladder and task runner on a virtual clock."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pytest import MonkeyPatch

from bot.simulate import SCENARIOS, STEP, Referring, Simulation, simulate

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


# The referral ladders shortened so a seeded run takes seconds: appointments within 3 days,
# a check-in 2 days after a referral without one, again 1 day after "not yet", closed after
# 2 days without an answer (the check-in after the appointment day stays the shipped 1d).
SHORT = Referring(
    appointment_within=3,
    timings=(("checkin_without_date", "2d"), ("ask_again_after", "1d"), ("no_answer_after", "2d")),
)
REFERRAL = replace(SCENARIOS["referral"], days=2, referring=SHORT)
ZONE = ZoneInfo("Europe/Amsterdam")


async def test_a_seeded_referral_run_gives_the_same_figures_and_every_referral_ends() -> None:
    first = await simulate(REFERRAL, seed=11)
    second = await simulate(REFERRAL, seed=11)
    assert first.lines() == second.lines()
    figures = first.referral
    assert figures is not None and first.cases == 12 and first.urgent == 0
    # every case was contacted and referred once; every ladder ended before the run did
    assert len(first.contacted) == 12 and figures.referrals == 12 and len(figures.rows) == 12
    assert figures.still_open == 0 and all(r.ended_at is not None for r in figures.rows)
    assert "(shortened for this run)" in first.lines()[1]
    assert figures.to_partner and figures.stalled > 0 and figures.no_answer > 0
    other = await simulate(REFERRAL, seed=12)
    assert other.lines() != first.lines()


async def test_the_mediation_share_is_the_stalled_referrals_counted_per_partner() -> None:
    report = await simulate(REFERRAL, seed=11)
    figures = report.referral
    assert figures is not None
    referrals = sum(int(row["referrals"]) for row in figures.partners)
    stalled = sum(int(row["stalled"]) for row in figures.partners)
    assert (referrals, stalled) == (figures.referrals, figures.stalled)
    assert stalled == sum(r.stalled_at is not None for r in figures.rows)
    line = next(line for line in report.lines() if "needed mediation" in line)
    assert line == (
        f"  needed mediation: {100 * stalled / referrals:.1f}% ({stalled} of {referrals} referrals)"
    )
    # reached: the parent said it helps (or the VP closed it as helped, which counts too)
    reached = sum(int(row["reached"]) for row in figures.partners)
    assert reached == len(figures.to_partner)


async def test_the_partner_is_reached_only_after_the_check_in_and_never_asked_at_night() -> None:
    figures = (await simulate(REFERRAL, seed=11)).referral
    assert figures is not None
    reached = [r for r in figures.rows if r.reached_at is not None]
    assert sorted(r.reached_at - r.referred_at for r in reached if r.reached_at) == sorted(
        figures.to_partner
    )
    for referral in reached:
        assert referral.reached_at is not None
        if referral.appointment_on is None:
            checkin = referral.referred_at + timedelta(days=2)  # checkin_without_date
        else:  # the day after the appointment, at 10:00 local time
            day = referral.appointment_on + timedelta(days=1)
            checkin = datetime.combine(day, time(10), ZONE).astimezone(UTC)
        assert referral.reached_at > max(checkin, referral.referred_at)
    # Without appointment days the check-ins come due at any hour: those in the night are
    # asked at 08:00, when the quiet hours end.
    undated = replace(REFERRAL, referring=replace(SHORT, no_date_share=1.0))
    figures = (await simulate(undated, seed=11)).referral
    assert figures is not None and figures.referrals == 12
    asked = [r.asked_at.astimezone(ZONE).time() for r in figures.rows if r.asked_at]
    assert len(asked) == 12 and all(time(8) <= moment < time(21) for moment in asked)
    assert time(8) in asked


async def test_skipping_the_quiet_stretches_changes_no_figure(monkeypatch: MonkeyPatch) -> None:
    scenario = replace(REFERRAL, days=1, cases_per_day=4)
    skipped = await simulate(scenario, seed=5)
    nearest = Simulation._next_event

    async def every_step(
        self: Simulation, now: datetime, arrivals: list[tuple[datetime, bool]]
    ) -> datetime | None:
        return None if await nearest(self, now, arrivals) is None else now + STEP

    monkeypatch.setattr(Simulation, "_next_event", every_step)
    stepped = await simulate(scenario, seed=5)
    assert stepped.lines() == skipped.lines()
    assert skipped.referral is not None and skipped.referral.referrals == 4


def test_the_command_prints_the_referral_figures(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "simulate", "--scenario", "referral", "--days", "2"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "referral to partner contact" in done.stdout
    assert "needed mediation: " in done.stdout and "% (" in done.stdout
    assert "(14d without one)" in done.stdout  # the shipped timings
    assert "breaches of the 48-hour path" not in done.stdout
