"""Named limits of the flow format."""

SCHEMA_VERSION = 1
MAX_NODES_PER_FLOW = 80
MAX_STEPS_PER_INPUT = 25  # nodes entered for one input before the engine stops a runaway
MAX_MESSAGE_LENGTH = 1500  # Telegram allows 4096; parents should never get that much
MAX_BUTTON_LABEL = 32  # Telegram shows about 30 characters comfortably
MAX_BUTTONS = 10
MAX_ANSWER_LENGTH = 3000
MAX_FLOWS = 50
