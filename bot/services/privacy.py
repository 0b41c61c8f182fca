"""Identifiers at rest: parents are found by a keyed hash, chat ids are stored sealed."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from storage.unit_of_work import UnitOfWork

KEY_FINGERPRINT = "secret_key_fingerprint"
FINGERPRINT_LABEL = b"tussenin: the SECRET_KEY this database was made with"


class AnotherSecretKey(Exception):
    """The database was made with another SECRET_KEY: its parents can be neither read nor
    reached with this one."""


def _derive(secret_key: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret_key.encode("utf-8")
    )


class IdentityVault:
    """Turns a channel's user id into a lookup hash, and seals and opens chat ids."""

    def __init__(self, secret_key: str) -> None:
        self._secret_key = secret_key
        self._hash_key = _derive(secret_key, b"tussenin/subject-hash/v1")
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret_key, b"tussenin/seal/v1")))

    def key(self, purpose: str) -> bytes:
        """A key of its own for another use (button tokens, …), derived from SECRET_KEY."""
        return _derive(self._secret_key, f"tussenin/{purpose}/v1".encode())

    def fingerprint(self) -> str:
        """Names the key without revealing it: an HMAC of a fixed label (a one-way function)."""
        digest = hmac.new(self.key("database-fingerprint"), FINGERPRINT_LABEL, hashlib.sha256)
        return digest.hexdigest()

    def subject_hash(self, channel: str, external_id: int | str) -> str:
        message = f"{channel}:{external_id}".encode()
        return hmac.new(self._hash_key, message, hashlib.sha256).hexdigest()

    def seal(self, chat_id: int | str) -> str:
        return self._fernet.encrypt(str(chat_id).encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except InvalidToken:
            raise ValueError("sealed value was made with another SECRET_KEY") from None


async def claim_database(uow: UnitOfWork, vault: IdentityVault, now: datetime) -> None:
    """Refuse a database made with another key; on first use, note this key's fingerprint.

    A database from before fingerprints is checked by opening a parent's sealed chat id."""
    stored = await uow.bot_facts.get(KEY_FINGERPRINT)
    if stored is None:
        sealed = await uow.parents.any_sealed_chat()
        if sealed is not None:
            try:
                vault.open(sealed)
            except ValueError:
                raise AnotherSecretKey() from None
        stored = await uow.bot_facts.put_new(KEY_FINGERPRINT, vault.fingerprint(), now)
    if not hmac.compare_digest(stored, vault.fingerprint()):
        raise AnotherSecretKey()
