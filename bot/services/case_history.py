"""A case's history in words: each event kind has a renderer that turns its stored detail
(plain values: codes, VP ids, numbers) into a sentence in the reader's language. VPs are
named by number and display name, looked up when the history is read; parents never."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any

from bot.i18n import N_, Translator
from bot.services import staff_words as words
from storage.cases import CaseDetail

Detail = Mapping[str, Any]
Names = Callable[[Any], str]  # a person's id → "VP 3 (Amina)"
Renderer = Callable[[Translator, Detail, Names], str]
PEOPLE_KEYS = ("vp", "second", "coordinator", "colleague")  # detail keys with a person's id
BEFORE_CONTACT = "_before_contact"  # CaseDesk.close of an urgent case before contact

# Why a VP was released from a case (CaseDesk.release_vp).
_RELEASED = {
    "deactivated": N_("deactivated by a coordinator"),
    "blocked the bot": N_("blocked the bot"),
    "away": N_("gave it back while away"),
}


def skipped(t: Translator, detail: Detail) -> str:
    """Why routing passed a VP over (bot.services.routing.Reason.code), in words."""
    why = detail.get("why")
    if why == "already_offered":
        return t.gettext("already asked")
    if why == "inactive":
        return t.gettext("inactive")
    if why == "away":
        return t.gettext("away")
    if why == "language":
        return t.gettext("does not speak {language}").format(
            language=words.language(t, str(detail.get("language")))
        )
    if why == "full":
        return t.gettext("full ({open} of {capacity} questions)").format(
            open=detail.get("open"), capacity=detail.get("capacity")
        )
    if why == "gender":
        if detail.get("gender") == "m":
            return t.gettext("the parent asked for a man")
        return t.gettext("the parent asked for a woman")
    return str(why)


def _opened(t: Translator, d: Detail, who: Names) -> str:
    return t.gettext("Opened: {language}, {urgency}.").format(
        language=words.language(t, str(d.get("language"))),
        urgency=words.urgency(t, bool(d.get("urgent"))),
    )


def _skipped(t: Translator, d: Detail, who: Names) -> str:
    return t.gettext("{vp} cannot take it: {reason}.").format(
        vp=who(d.get("vp")), reason=skipped(t, d)
    )


def _nobody(t: Translator, d: Detail, who: Names) -> str:
    return t.gettext("No vertrouwenspersoon can take it now.")


def _offered(t: Translator, d: Detail, who: Names) -> str:
    if d.get("topic_match"):
        text = t.gettext(
            "Offered to {vp}: speaks {language}, knows the topic, has {open} of {capacity} "
            "questions."
        )
    else:
        text = t.gettext("Offered to {vp}: speaks {language}, has {open} of {capacity} questions.")
    return text.format(
        vp=who(d.get("vp")),
        language=words.language(t, str(d.get("language"))),
        open=d.get("open"),
        capacity=d.get("capacity"),
    )


def _by_vp(message: str) -> Renderer:
    def render(t: Translator, d: Detail, who: Names) -> str:
        return t.gettext(message).format(vp=who(d.get("vp")))

    return render


def _withdrawn(t: Translator, d: Detail, who: Names) -> str:
    if "outcome" in d:  # the VP closed it as withdrawn
        return _closed(t, d, who)
    if "vp" in d:  # an offer taken back from a VP who left
        return t.gettext("The offer to {vp} was withdrawn: {reason}.").format(
            vp=who(d.get("vp")), reason=_released_reason(t, d)
        )
    return t.gettext("The parent would rather stop; the question is closed.")


def _released(t: Translator, d: Detail, who: Names) -> str:
    return t.gettext("{vp} can no longer continue: {reason}.").format(
        vp=who(d.get("vp")), reason=_released_reason(t, d)
    )


def _released_reason(t: Translator, d: Detail) -> str:
    reason = str(d.get("reason"))
    if reason.endswith(BEFORE_CONTACT):  # an urgent case given back: "blocked_before_contact"
        outcome = reason.removesuffix(BEFORE_CONTACT)
        return t.gettext("gave it back before anyone was in contact ({outcome})").format(
            outcome=words.outcome(t, outcome)
        )
    return t.gettext(_RELEASED[reason]) if reason in _RELEASED else reason


def _closed(t: Translator, d: Detail, who: Names) -> str:
    return t.gettext("{vp} closed it: {outcome}.").format(
        vp=who(d.get("vp")), outcome=words.outcome(t, str(d.get("outcome")))
    )


def _assigned(t: Translator, d: Detail, who: Names) -> str:
    return t.gettext("{coordinator} gave it to {vp} by hand.").format(
        coordinator=who(d.get("coordinator")), vp=who(d.get("vp"))
    )


def _ladder(t: Translator, d: Detail, who: Names) -> str:
    if d.get("step") == "coordinator":
        return t.gettext("Urgent: the coordinators are asked to choose someone.")
    return t.gettext("Urgent: offered to every vertrouwenspersoon who can take it.")


def _breach(t: Translator, d: Detail, who: Names) -> str:
    after = timedelta(minutes=int(d.get("minutes") or 0))
    return t.gettext("Deadline missed: no vertrouwenspersoon in contact after {duration}.").format(
        duration=words.duration(t, after)
    )


def _alert(t: Translator, d: Detail, who: Names) -> str:
    after = timedelta(minutes=int(d.get("minutes") or 0))
    return t.gettext(
        "Still no vertrouwenspersoon in contact after {duration}: the coordinators are alerted "
        "again."
    ).format(duration=words.duration(t, after))


def _mediate(t: Translator, d: Detail, who: Names) -> str:
    return t.gettext(
        "Still no contact after the parent said “not yet”: the coordinators are asked to mediate."
    )


def _checkin(t: Translator, d: Detail, who: Names) -> str:
    answer = d.get("answer")
    if answer == "yes":
        return t.gettext("Check-in: the parent has had contact.")
    if answer == "not_yet":
        return t.gettext("Check-in: the parent has not had contact yet.")
    return t.gettext("Check-in: the parent would rather stop.")


def _shared(t: Translator, d: Detail, who: Names) -> str:
    if d.get("kind") == "phone":
        return t.gettext("The parent shared their phone number.")
    return t.gettext("The parent shared their first name.")


def _duo_asked(t: Translator, d: Detail, who: Names) -> str:
    return t.gettext("{vp} asked the parent to bring in {second}.").format(
        vp=who(d.get("vp")), second=who(d.get("second"))
    )


def _duo_refused(t: Translator, d: Detail, who: Names) -> str:
    return t.gettext("The parent would rather not bring in {second}.").format(
        second=who(d.get("second"))
    )


def _duo_added(t: Translator, d: Detail, who: Names) -> str:
    return t.gettext("{second} joined, with the parent's consent.").format(
        second=who(d.get("second"))
    )


def _referred(t: Translator, d: Detail, who: Names) -> str:
    return t.gettext("{vp} referred the parent to {partner}; the question stays open.").format(
        vp=who(d.get("vp")), partner=d.get("partner") or "-"
    )


def _offered_again(t: Translator, d: Detail, who: Names) -> str:
    return t.gettext(
        "Offered first to {vp}: the family continues with them after {earlier}."
    ).format(vp=who(d.get("vp")), earlier=d.get("earlier") or "-")


def _handed_over(t: Translator, d: Detail, who: Names) -> str:
    return t.gettext("{vp} handed it over to {colleague}, who accepted.").format(
        vp=who(d.get("vp")), colleague=who(d.get("colleague"))
    )


def _referral_answer(t: Translator, d: Detail, who: Names) -> str:
    answer = d.get("answer")
    if answer == "helps":
        return t.gettext("After the referral: the parent is in touch and it helps.")
    if answer == "stuck":
        return t.gettext("After the referral: the parent says it is stuck; mediation opened.")
    return t.gettext("After the referral: the parent has not been in touch yet.")


RENDERERS: dict[str, Renderer] = {
    "opened": _opened,
    "skipped": _skipped,
    "nobody": _nobody,
    "offered": _offered,
    "accepted": _by_vp(N_("{vp} accepted.")),
    "declined": _by_vp(N_("{vp} declined.")),
    "expired": _by_vp(N_("{vp} did not answer the offer in time.")),
    "reminded": _by_vp(N_("{vp} was reminded to write to the parent.")),
    "in_contact": _by_vp(N_("{vp} is in contact with the parent.")),
    "withdrawn": _withdrawn,
    "released": _released,
    "closed": _closed,
    "assigned": _assigned,
    "ladder": _ladder,
    "breach": _breach,
    "alert": _alert,
    "mediate": _mediate,
    "checkin": _checkin,
    "shared": _shared,
    "duo_asked": _duo_asked,
    "duo_refused": _duo_refused,
    "duo_added": _duo_added,
    "referred": _referred,
    "offered_again": _offered_again,
    "handed_over": _handed_over,
    "referral_answer": _referral_answer,
    "mediation_step": _by_vp(N_("{vp} recorded a mediation step.")),
}


def people_in(details: Iterable[CaseDetail]) -> set[int]:
    """The ids of the staff an event names, to look their names up once."""
    ids = set()
    for detail in details:
        if isinstance(detail, dict):
            ids |= {v for k, v in detail.items() if k in PEOPLE_KEYS and isinstance(v, int)}
    return ids


def sentence(t: Translator, kind: str, detail: CaseDetail, who: Names) -> str:
    """One event in words; a row written before details were structured shows as it is."""
    render = RENDERERS.get(kind)
    if isinstance(detail, str) or render is None:
        return f"{kind}: {detail}"
    return render(t, detail, who)
