"""Identifiers at rest: keyed hashes and sealed chat ids."""

from __future__ import annotations

import pytest

from bot.services.privacy import IdentityVault
from tests.conftest import TEST_SECRET_KEY


def test_hash_is_stable_per_key_and_channel() -> None:
    vault = IdentityVault(TEST_SECRET_KEY)
    assert vault.subject_hash("telegram", 42) == vault.subject_hash("telegram", 42)
    assert vault.subject_hash("telegram", 42) != vault.subject_hash("shell", 42)
    assert vault.subject_hash("telegram", 42) != IdentityVault("x" * 40).subject_hash(
        "telegram", 42
    )
    assert "42" not in vault.subject_hash("telegram", 42)


def test_sealed_chat_opens_only_with_the_same_key() -> None:
    vault = IdentityVault(TEST_SECRET_KEY)
    sealed = vault.seal(987654321)
    assert "987654321" not in sealed and vault.open(sealed) == "987654321"
    assert vault.seal(987654321) != sealed  # random nonce: equal ids do not look equal
    with pytest.raises(ValueError, match="another SECRET_KEY"):
        IdentityVault("y" * 40).open(sealed)
