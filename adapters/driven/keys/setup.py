"""Encryption of a case application from the settings: master key, key store, mapper."""

from __future__ import annotations

import base64
import os
from typing import Any

from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

from adapters.driven.keys.master import is_plaintext, master_key
from adapters.driven.keys.port import KeyStore
from adapters.driven.keys.ring import KeyRing
from adapters.driven.keys.sqlite import SQLiteKeyStore
from adapters.settings import Settings

KEYS_FILE = "keys.sqlite"


def key_store(settings: Settings) -> KeyStore:
    """Where the case keys live: ``keys.sqlite`` in the data directory, or PostgreSQL."""
    if settings.is_postgres:
        from adapters.driven.keys.postgres import PostgresKeyStore

        assert settings.database_url is not None
        return PostgresKeyStore(settings.database_url, schema=settings.postgres_schema or "public",
                                lock_timeout=settings.postgres_lock_timeout)
    return SQLiteKeyStore(settings.sqlite_dir / KEYS_FILE, lock_timeout=settings.sqlite_lock_timeout)


def protect(cases: Any, settings: Settings, env: dict[str, str]) -> None:
    """Encrypt ``cases``' events: the body under the master key (unless the store was
    written in plain text before: it stays readable), each case's personal fields under
    its key. An in-memory store (tests) gets a key store and a master key of its own."""
    if env.get("PERSISTENCE_MODULE") == "eventsourcing.popo":
        ring = KeyRing(SQLiteKeyStore(":memory:"), os.urandom(32))
        ring.store.setup()
    else:
        first = cases.recorder.select_notifications(start=None, limit=1)
        plaintext = bool(first) and is_plaintext(first[0].state)
        key = master_key(settings, has_events=bool(first), plaintext=plaintext)
        if not plaintext:
            cases.mapper.cipher = AESCipher(Environment(env={AESCipher.CIPHER_KEY: key}))
        store = key_store(settings)
        if env.get("CREATE_TABLE", "y") == "y" or not settings.is_postgres:
            store.setup()  # (on PostgreSQL only `caretrail migrate` creates tables)
        ring = KeyRing(store, base64.b64decode(key))
    cases.mapper.keys = ring
    cases.mapper.erased_listeners = (ring.forget, cases.forget_decrypted)
    cases.keys = ring


def check_readable(cases: Any) -> None:
    """Decode the log's first event with this configuration, so that a process whose
    master key or ``COMPRESS_EVENTS`` does not fit the store stops at start
    (``MapperDeserialisationError``) instead of writing events no reader can decode
    beside the ones it cannot read."""
    first = cases.recorder.select_notifications(start=None, limit=1)
    if first:
        cases.mapper.to_domain_event(first[0])
