"""Named limits of the flow format."""

SCHEMA_VERSION = 1
MAX_NODES_PER_FLOW = 80
MAX_STEPS_PER_INPUT = 25  # nodes entered for one input before the engine stops a runaway
MAX_MESSAGE_LENGTH = 1500  # Telegram allows 4096; parents should never get that much
MAX_BUTTON_LABEL = 32  # Telegram shows about 30 characters comfortably
MAX_BUTTONS = 10
MAX_ANSWER_LENGTH = 3000
MAX_FLOWS = 50

# Refused before a YAML document is built (flow and settings files alike): the cheap checks
# that keep a hostile file from growing in memory. MAX_NODES_PER_FLOW is checked afterwards.
MAX_FILE_BYTES = 1024 * 1024
MAX_NODES_BEFORE_BUILD = 500
MAX_YAML_EVENTS = 50_000  # keys, values and brackets; the largest shipped flow has 425
MAX_YAML_DEPTH = 32  # nesting of mappings and lists; a flow needs about 8
MAX_PROBLEM_BYTES = 800  # a problem as printed; with a log line's prefix still under 1 kB
