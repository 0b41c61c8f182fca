"""Named limits of the flow format."""

SCHEMA_VERSION = 1
MAX_NODES_PER_FLOW = 80
MAX_STEPS_PER_INPUT = 25  # nodes entered for one input before the engine stops a runaway
MAX_MESSAGE_LENGTH = 1500  # Telegram allows 4096; parents should never get that much
MAX_BUTTON_LABEL = 32  # Telegram shows about 30 characters comfortably
MAX_BUTTONS = 10
TELEGRAM_TEXT_LIMIT = 4096  # characters in one Telegram message
MAX_ANSWER_LENGTH = TELEGRAM_TEXT_LIMIT  # whatever a parent can send as one message is taken
MAX_FLOWS = 50

# Refused before a YAML document is built (flow and settings files alike): the cheap checks
# that keep a hostile file from growing in memory. MAX_NODES_PER_FLOW is checked afterwards.
MAX_FILE_BYTES = 1024 * 1024
MAX_NODES_BEFORE_BUILD = 500
MAX_YAML_EVENTS = 50_000  # keys, values and brackets; the largest shipped flow has 425
MAX_YAML_DEPTH = 32  # nesting of mappings and lists; a flow needs about 8
MAX_PROBLEM_BYTES = 800  # a problem as printed; with a log line's prefix still under 1 kB

# What a parent must read and tap (#14), counted by `flows measure` (flows/measure.py).
# Words are whitespace-separated tokens of the messages' texts, buttons not included.
MAX_FIRST_SCREEN_WORDS = 40  # the welcome, up to and including its first buttons
MAX_RETURNING_WORDS = 15  # a returning parent's greeting, up to and including the menu
MAX_TAPS_TO_HANDOFF = 5  # button presses from the menu to a case opened; typing is free
# The word limits hold in these languages; the others are reported (a translation may need
# more words than its source, and no translator should cut meaning to fit a count).
WORD_LIMITED_LANGUAGES = ("nl", "en")


def fit_label(text: str) -> str:
    """A button label cut to MAX_BUTTON_LABEL, with "…" where it was cut."""
    return text if len(text) <= MAX_BUTTON_LABEL else text[: MAX_BUTTON_LABEL - 1] + "…"
