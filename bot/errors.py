"""The one error type that stops start-up with a single clear line."""


class StartupError(Exception):
    """A problem a person must fix before the bot can run; its message is one line."""
