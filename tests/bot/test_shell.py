"""The terminal channel, run as a person would: `python -m bot shell` in an empty folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.shell import parse, render
from flows.inputs import Command, Pick, Text
from flows.outputs import Choice, Reply

ROOT = Path(__file__).resolve().parents[2]


def run_shell(cwd: Path, lines: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input="".join(line + "\n" for line in lines),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_a_token_bot_opens_the_terminal_chat_in_dutch(tmp_path: Path) -> None:
    done = run_shell(tmp_path, ["/start"])
    assert done.returncode == 0, done.stderr
    assert "In welke taal wil je schrijven?" in done.stdout
    assert "[1] Nederlands" in done.stdout and "[3] العربية" in done.stdout  # none marked
    assert (tmp_path / "tussenin.db").exists() and (tmp_path / "tussenin.db.secret").exists()


def test_numbered_choice_and_memory_across_runs(tmp_path: Path) -> None:
    first = run_shell(tmp_path, ["/start", "4"], "shell")
    assert "Hoş geldiniz" in first.stdout and "  [1] 💬 Soru sormak" in first.stdout
    second = run_shell(tmp_path, ["/start"], "shell")
    assert "Yeniden hoş geldiniz." in second.stdout and "  [1] 💬 Soru sormak" in second.stdout


def test_parse_and_render() -> None:
    choices = [Choice("Nederlands", "lang:nl"), Choice("English", "lang:en")]
    assert parse("2", choices) == Pick("lang:en")
    assert parse("3", choices) == Text("3")  # no such button: it is just text
    assert parse("/Help me", choices) == Command("help", "me")
    assert parse("/close K7F2", choices) == Command("close", "K7F2")
    assert parse("   ", choices) is None
    shown = render(Reply("Kies", ((choices[0],), (choices[1],))))
    assert shown == "Kies\n  [1] Nederlands\n  [2] English"


def test_a_coordinator_rehearses_a_handoff_with_the_demo_vp(tmp_path: Path) -> None:
    """Parent asks, the demo VP accepts, they write both ways, the VP closes the case."""
    lines = ["/start", "1", "1", "2", "Mijn zoon spijbelt", "3", "2", "1"]  # ask, school…
    lines += [":vp", "1", "Hallo, ik ben er. Vertel eens?", ":parent", "Sinds twee weken"]
    lines += [":vp", "/close", "1"]
    done = run_shell(tmp_path, lines, "shell")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    offer = out.index("── to Demo VP ──\nNieuwe vraag")
    accepted = out.index("De vraag:", offer)
    question = out.index("Mijn zoon spijbelt", accepted)
    to_parent = out.index("── to the parent ──\nDemo:\nHallo, ik ben er. Vertel eens?", question)
    to_vp = out.index("▸\nSinds twee weken", to_parent)
    closed = out.index("── to the parent ──\nDemo", to_vp)
    assert offer < accepted < question < to_parent < to_vp < closed
