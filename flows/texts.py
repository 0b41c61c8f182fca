"""Marking built-in texts of step types for extraction, with a message context."""


def NP_(context: str, text: str) -> str:
    """Extracted by pybabel (-k NP_:1c,2) into the catalogs; translated where it is shown."""
    return text


# What a flow's text may name from the conversation's results, as {name}: a value the bot
# put there when it started the flow (the referral flow's partner), never a parent's words.
PLACEHOLDERS = ("partner",)


def fill(text: str, results: dict[str, object]) -> str:
    """`text` with each known {placeholder} that the results hold replaced by its value."""
    for name in PLACEHOLDERS:
        value = results.get(name)
        if isinstance(value, str) and "{" + name + "}" in text:
            text = text.replace("{" + name + "}", value)
    return text
