"""The reception service without Telegram: picker, remembered language, help, fallbacks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.i18n import Catalogs
from bot.services.languages import LANGUAGES
from bot.services.privacy import IdentityVault
from bot.services.reception import Reception, Subject
from flows.inputs import Command, Media, Pick, Text
from flows.outputs import Reply
from storage import Database
from tests.conftest import TEST_SECRET_KEY

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PARENT = Subject("telegram", 4242)
ENABLED = ["nl", "en", "ar", "tr"]


@pytest.fixture
def reception() -> Reception:
    return Reception(IdentityVault(TEST_SECRET_KEY), Catalogs(list(LANGUAGES)), lambda: ENABLED)


async def say(
    db: Database,
    reception: Reception,
    incoming: object,
    hint: str | None = None,
    subject: Subject = PARENT,
) -> list[Reply]:
    async with db.transaction() as uow:
        return await reception.handle(uow, subject, incoming, NOW, language_hint=hint)  # type: ignore[arg-type]


async def test_first_start_shows_the_picker_preselecting_the_hint(
    database: Database, reception: Reception
) -> None:
    [picker] = await say(database, reception, Command("start"), hint="tr")
    assert picker.text.startswith("Hangi dilde")
    labels = [c.label for c in picker.all_choices]
    assert labels == ["Nederlands", "English", "العربية", "✓ Türkçe"]
    assert [c.action for c in picker.all_choices] == ["lang:nl", "lang:en", "lang:ar", "lang:tr"]


async def test_no_hint_preselects_dutch(database: Database, reception: Reception) -> None:
    [picker] = await say(database, reception, Command("start"))
    assert picker.all_choices[0].label == "✓ Nederlands" and picker.text.startswith("In welke taal")


async def test_choice_is_remembered_and_used_for_the_next_start(
    database: Database, reception: Reception
) -> None:
    confirm, greeting = await say(database, reception, Pick("lang:ar"), hint="en")
    assert confirm.rtl and greeting.rtl and "بالعربية" in confirm.text
    [again] = await say(database, reception, Command("start"), hint="en")
    assert again.text.startswith("أهلًا بك") and not again.choices


async def test_typed_language_name_counts_as_the_button(
    database: Database, reception: Reception
) -> None:
    replies = await say(database, reception, Text("  \u200fTÜRKÇE "))
    assert replies[0].text.startswith("Tamam, Türkçe")


async def test_writing_instead_of_choosing_takes_the_preselected_language(
    database: Database, reception: Reception
) -> None:
    await say(database, reception, Command("start"), hint="en")
    confirm, greeting = await say(database, reception, Text("hello?"), hint="en")
    assert confirm.text.startswith("Fine, we will write in English")
    assert greeting.text.startswith("Welcome to Tussen In")


async def test_a_forged_language_action_shows_the_picker_again(
    database: Database, reception: Reception
) -> None:
    sorry, picker = await say(database, reception, Pick("lang:xx"))
    assert sorry.text == "Die keuze is er niet meer." and len(picker.all_choices) == len(LANGUAGES)
    stale, help_ = await say(database, reception, Pick("something:else"))
    assert stale.text == "Die knop werkt niet meer." and "/language" in help_.text


async def test_help_unknown_command_and_media_answer_in_the_parent_language(
    database: Database, reception: Reception
) -> None:
    await say(database, reception, Pick("lang:tr"))
    [help_] = await say(database, reception, Command("help"))
    [unknown] = await say(database, reception, Command("foo"))
    [media] = await say(database, reception, Media("voice"))
    assert help_.text.startswith("Burada yapabileceklerin")
    assert unknown.text.startswith("Bu komutu bilmiyorum")
    assert media.text.startswith("Şimdilik sadece yazılı")


async def test_parents_are_kept_apart(database: Database, reception: Reception) -> None:
    await say(database, reception, Pick("lang:ar"))
    [other] = await say(database, reception, Command("start"), subject=Subject("telegram", 7))
    assert other.choices  # the other parent still has to choose
