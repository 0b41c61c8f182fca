"""Identifiers at rest: keyed hashes and sealed chat ids."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.services.privacy import KEY_FINGERPRINT, AnotherSecretKey, IdentityVault, claim_database
from storage import Database
from tests.conftest import TEST_SECRET_KEY

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


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


def test_the_fingerprint_names_the_key_without_revealing_it() -> None:
    vault = IdentityVault(TEST_SECRET_KEY)
    assert vault.fingerprint() == IdentityVault(TEST_SECRET_KEY).fingerprint()
    assert vault.fingerprint() != IdentityVault("y" * 40).fingerprint()
    assert TEST_SECRET_KEY not in vault.fingerprint()
    assert vault.fingerprint() not in (vault.key("database-fingerprint").hex(), TEST_SECRET_KEY)


async def test_a_database_belongs_to_the_key_that_first_used_it(database: Database) -> None:
    mine, other = IdentityVault(TEST_SECRET_KEY), IdentityVault("y" * 40)
    async with database.transaction() as uow:
        await claim_database(uow, mine, NOW)
        assert await uow.bot_facts.get(KEY_FINGERPRINT) == mine.fingerprint()
    async with database.transaction() as uow:
        await claim_database(uow, mine, NOW)
        with pytest.raises(AnotherSecretKey):
            await claim_database(uow, other, NOW)


async def test_a_database_from_before_fingerprints_is_told_by_its_parents(
    database: Database,
) -> None:
    """No fingerprint yet: a parent's sealed chat id tells which key made the database."""
    mine, other = IdentityVault(TEST_SECRET_KEY), IdentityVault("y" * 40)
    async with database.transaction() as uow:
        await uow.parents.get_or_create("telegram", mine.subject_hash("telegram", 7), None, NOW)
        await uow.parents.get_or_create(
            "telegram", mine.subject_hash("telegram", 8), mine.seal(8), NOW
        )
    with pytest.raises(AnotherSecretKey):
        async with database.transaction() as uow:
            await claim_database(uow, other, NOW)
    async with database.transaction() as uow:
        assert await uow.bot_facts.get(KEY_FINGERPRINT) is None
        await claim_database(uow, mine, NOW)
        assert await uow.bot_facts.get(KEY_FINGERPRINT) == mine.fingerprint()
