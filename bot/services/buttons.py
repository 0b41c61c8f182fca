"""Button tokens: callback_data holds at most 64 bytes, so a button carries a short signed
token naming the parent's conversation step and the option; a forged one is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from flows.inputs import number

PREFIX = "f"
SIGNATURE_BYTES = 6  # 8 characters; forging one blindly takes ~2^47 tries


@dataclass(frozen=True)
class Press:
    step: int
    index: int


class ButtonTokens:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def sign(self, subject: str, step: int, index: int) -> str:
        return f"{PREFIX}{step}.{index}.{self._signature(subject, step, index)}"

    def read(self, subject: str, token: str) -> Press | None:
        """The step and option a token names, or None when it was not made for this parent."""
        if not token.startswith(PREFIX):
            return None
        parts = token[len(PREFIX) :].split(".")
        if len(parts) != 3:
            return None
        step, index = number(parts[0]), number(parts[1])
        if step is None or index is None:
            return None
        expected = self._signature(subject, step, index).encode()
        # As bytes: compare_digest refuses a str with characters beyond ASCII.
        return Press(step, index) if hmac.compare_digest(expected, parts[2].encode()) else None

    def _signature(self, subject: str, step: int, index: int) -> str:
        digest = hmac.new(self._key, f"{subject}:{step}:{index}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()[:SIGNATURE_BYTES]).decode()
