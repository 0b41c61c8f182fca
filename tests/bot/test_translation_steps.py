"""The README's translation steps, run exactly as written on a copy of the project: afterwards
the bot still starts, and every language still has the emergency numbers and control words."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.pofile import read_po

from bot.services.flow_library import FlowLibrary
from bot.services.languages import LANGUAGES
from flows import engine
from tests.conftest import SETTING_NAMES

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PACKAGES = ("bot", "handlers", "flows", "storage", "locales")
EMERGENCY_NUMBERS = ("112", "0800-2000", "0800-0432", "0800-0113", "113")
OLD = "Wil je dat ook een vertrouwenspersoon met spoed contact met je opneemt?"
NEW = "Wil je dat er ook een vertrouwenspersoon met spoed contact met je opneemt?"
STEP_TIMEOUT = 120


def readme_translation_commands(readme: str) -> list[str]:
    """The shell commands in the README's **Translations** item, in order."""
    start = readme.index("- **Translations**")
    end = readme.find("\n- **", start + 1)
    section = readme[start : end if end != -1 else None]
    commands = []
    for block in re.findall(r"```(?:sh|console|bash)?\n(.*?)```", section, re.DOTALL):
        for line in block.splitlines():
            command = line.split(" #", 1)[0].strip().removeprefix("$ ")
            if command:
                commands.append(command)
    return commands


def copy_of_the_project(tmp_path: Path) -> Path:
    """The packages with their catalogs, uncompiled: the repo's own locales stay untouched."""
    project = tmp_path / "project"
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            project / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.mo"),
        )
    return project


def run_in(project: Path, command: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env["PYTHONPATH"] = str(project)  # the copy is what `python -m bot` imports
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["DATABASE_URL"] = f"sqlite:///{project / 'tussenin.db'}"
    return subprocess.run(
        ["bash", "-c", command],
        cwd=project,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
    )


def test_the_readme_translation_steps_keep_the_bot_working(tmp_path: Path) -> None:
    commands = readme_translation_commands(README.read_text(encoding="utf-8"))
    assert commands, "the README's Translations item shows no commands"
    project = copy_of_the_project(tmp_path)
    # A coordinator's edit for the steps to carry into every catalog.
    danger = project / "flows" / "defaults" / "danger.yaml"
    danger.write_text(danger.read_text(encoding="utf-8").replace(OLD, NEW), encoding="utf-8")

    for command in commands:
        done = run_in(project, command)
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"

    locales = project / "locales"
    for code in LANGUAGES:
        with (locales / code / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalog = read_po(handle)
        controls = [m for m in catalog if m.context == "control words" and m.string]
        assert controls, f"{code}: the control words are gone"
        edited = next(m for m in catalog if m.id and str(m.id).startswith(NEW))
        assert edited.string, f"{code}: the edited text lost its translation"
        assert (locales / code / "LC_MESSAGES" / "messages.mo").exists(), f"{code}: not compiled"

    library = FlowLibrary(
        project / "flows" / "defaults",
        lambda: list(LANGUAGES),
        frozenset(code for code, language in LANGUAGES.items() if language.rtl),
        locales=locales,
    )
    for code in LANGUAGES:
        [numbers, *_] = engine.begin(library.current, "danger", code, datetime.now(UTC)).outputs
        missing = [n for n in EMERGENCY_NUMBERS if n not in (numbers.text or "")]
        assert missing == [], f"{code}: the emergency numbers {missing} are gone"

    started = run_in(project, "python -m bot shell", stdin="/start\n")
    assert started.returncode == 0, started.stderr
    assert "In welke taal wil je schrijven?" in started.stdout
