"""The partners in the coordinator's settings: a partner written in the file is read back as
written; each mistake is named at its line and field in plain words (a misspelled key with
the key it resembles); the console's partner form puts its errors at their fields; the
Settings page's form keeps the partners it does not show."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.services import staff_words
from bot.services.coordinator_settings import (
    PARTNER_KINDS,
    CoordinatorSettings,
    SettingsFileError,
    parse_settings,
)
from bot.settings import DEFAULT_FLOWS_DIR
from console import partners as partner_form
from console.settings import read_form, settings_text, shown
from console.words import ConsoleCatalogs
from tests.bot.services.test_cases import CATALOGS

SHIPPED = (DEFAULT_FLOWS_DIR / "settings.yaml").read_text(encoding="utf-8")
WORDS = ConsoleCatalogs(CATALOGS, ZoneInfo("Europe/Amsterdam")).for_code("nl")
_ = WORDS.gettext
CJG = """
  - id: cjg_zuidoost
    name: CJG Zuidoost
    kind: cjg
    languages: [ar, nl]
    contact:
      phone: "+31 20 123 4567"
      address: Voorbeeldstraat 1, Amsterdam
      website: https://cjg.example
      email: info@cjg.example
    contact_person: Fatima Amrani
"""


def with_partners(block: str) -> str:
    assert "partners: []\n" in SHIPPED
    return SHIPPED.replace("partners: []\n", "partners:" + block)


def parsed(block: str) -> CoordinatorSettings:
    return parse_settings(with_partners(block), Path("settings.yaml"))


def problems(block: str) -> list[str]:
    with pytest.raises(SettingsFileError) as caught:
        parsed(block)
    return caught.value.problems


def test_the_shipped_file_has_no_partners_and_a_partner_reads_back() -> None:
    assert parse_settings(SHIPPED, Path("settings.yaml")).partners == []
    settings = parsed(CJG)
    [cjg] = settings.partners
    assert (cjg.id, cjg.name, cjg.kind, cjg.languages) == (
        "cjg_zuidoost",
        "CJG Zuidoost",
        "cjg",
        ["ar", "nl"],
    )
    assert cjg.contact.phone == "+31 20 123 4567" and cjg.contact.email == "info@cjg.example"
    assert cjg.contact_person == "Fatima Amrani"
    assert settings.partner("cjg_zuidoost") == cjg and settings.partner("nope") is None
    # the console writes the settings back as text: the partner survives it
    assert parse_settings(settings_text(settings), Path("s")) == settings
    # only a name and a kind are needed
    [bare] = parsed("\n  - {id: school_1, name: De Regenboog, kind: school}\n").partners
    assert bare.languages == [] and bare.contact.phone is None and bare.contact_person is None


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("    kind: cjg", "    kind: bank", "(partners.0.kind): Input should be 'cjg'"),
        ("[ar, nl]", "[ar, xx]", "(partners.0.languages): no language xx; choose from nl"),
        ("[ar, nl]", "[ar, ar]", "(partners.0.languages): name each language once"),
        ('"+31 20 123 4567"', "call us", "(partners.0.contact.phone): write a phone number"),
        ("https://cjg.example", "cjg.example", "(partners.0.contact.website): write a web address"),
        ("info@cjg.example", "info at cjg", "(partners.0.contact.email): write an email address"),
        ("name: CJG Zuidoost", "name: <b>CJG</b>", "(partners.0.name): write plain text"),
        ("id: cjg_zuidoost", "id: CJG Zuidoost", "(partners.0.id): write at most 40 characters"),
        (
            "      email:",
            "      emial:",
            "(partners.0.contact.emial): Extra inputs are not permitted; did you mean email?",
        ),
        (
            "    contact_person:",
            "    contactperson:",
            "(partners.0.contactperson): Extra inputs are not permitted; "
            "did you mean contact_person?",
        ),
    ],
)
def test_each_mistake_is_named_at_its_line_and_field(old: str, new: str, expected: str) -> None:
    assert old in CJG
    broken = with_partners(CJG.replace(old, new))
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if new.strip() in text)
    with pytest.raises(SettingsFileError) as caught:
        parse_settings(broken, Path("settings.yaml"))
    assert any(p.startswith(f"line {line} {expected}") for p in caught.value.problems), caught.value


def test_two_partners_with_one_id_are_refused() -> None:
    [problem] = problems(CJG + CJG.replace("CJG Zuidoost", "CJG Noord"))
    assert "(partners): each partner needs its own id; used more than once: cjg_zuidoost" in problem


def test_a_misspelled_key_elsewhere_gets_a_suggestion_too() -> None:
    broken = SHIPPED.replace("  email: contact", "  emial: contact")
    with pytest.raises(SettingsFileError) as caught:
        parse_settings(broken, Path("s"))
    assert "(organisation.emial): Extra inputs are not permitted; did you mean email?" in str(
        caught.value.problems
    )


def test_every_kind_has_words() -> None:
    for kind in PARTNER_KINDS:
        assert staff_words.partner_kind(CATALOGS.translator("en"), kind) != kind
        assert staff_words.partner_kind(CATALOGS.translator("nl"), kind)


# --- the console's forms --------------------------------------------------------------


def test_the_partner_form_puts_each_error_at_its_field() -> None:
    current = parse_settings(SHIPPED, Path("s"))
    values = partner_form.shown(None) | {
        "name": "CJG Zuidoost",
        "kind": "cjg",
        "languages": ["nl", "ar"],
        "contact.phone": "+31 20 123 4567",
    }
    settings, errors = partner_form.read_form(WORDS, current, "cjg_zuidoost", values)
    assert errors == {} and settings is not None
    [cjg] = settings.partners
    assert cjg.languages == ["nl", "ar"] and cjg.contact.website is None
    bad = values | {
        "name": "",
        "kind": "bank",
        "languages": ["ar", "xx"],
        "contact.phone": "bel ons",
        "contact.website": "cjg.example",
        "contact.email": "info",
        "contact_person": "Fatima\nAmrani",
    }
    settings, errors = partner_form.read_form(WORDS, current, "cjg_zuidoost", bad)
    assert settings is None
    assert errors == {
        "name": _("Fill this in."),
        "kind": _("Choose one from the list."),
        "languages": _("Choose languages from the list."),
        "contact.phone": _("Write a phone number with digits, like +31 20 123 4567."),
        "contact.website": _("Write a web address that starts with https://."),
        "contact.email": _("Write an email address like info@cjg.example."),
        "contact_person": _(partner_form.PLAIN).format(n=partner_form.MAX_TYPED),
    }
    assert partner_form.new_id("CJG Zuid-Oost (Ümit)", set()) == "cjg_zuid_oost_umit"
    assert partner_form.new_id("CJG", {"cjg"}) == "cjg_2"
    assert partner_form.new_id("New", set()) == "new_2"
    assert partner_form.new_id("عربي", set()) == "partner"


def test_the_settings_form_keeps_the_partners() -> None:
    current = parsed(CJG)
    values = shown(current) | {"urgent.everyone_after": "5h"}
    settings, errors = read_form(WORDS, current, values)
    assert errors == {} and settings is not None
    assert settings.partners == current.partners
    assert parse_settings(settings_text(settings), Path("s")).partners == current.partners
