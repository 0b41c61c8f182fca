"""`python -m bot`: run the bot, or the terminal chat when no TELEGRAM_TOKEN is set."""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
