"""The master key: from ``CARETRAIL_CIPHER_KEY``, a key file, or made at first start.

Without a setting, ``master.key`` in the data directory holds it (mode 0600), made at the
first start of an empty store. ``CARETRAIL_CIPHER_KEY_FILE`` names a file elsewhere
(deployments that keep keys apart from data: docs/privacy.md). A store that already holds
encrypted events is never given a new key: without its key, the process does not start.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import zlib
from pathlib import Path

from eventsourcing.cryptography import AESCipher

from adapters.driven.events.namespace import write_once
from adapters.settings import Settings

FILE_NAME = "master.key"


class MasterKeyError(Exception):
    """Raised when the master key is missing for an encrypted store, or unreadable."""


def is_plaintext(state: bytes) -> bool:
    """Whether a stored event body is readable JSON (a store written before encryption
    was the default), compressed or not; ciphertext never is."""
    for body in (state, _inflated(state)):
        if body is None:
            continue
        try:
            return isinstance(json.loads(body), dict)
        except ValueError:
            continue
    return False


def _inflated(state: bytes) -> bytes | None:
    try:
        return zlib.decompress(state)
    except zlib.error:
        return None


def master_key(settings: Settings, *, has_events: bool, plaintext: bool) -> str:
    """The base64 master key for this store (made and kept if the store is new)."""
    if settings.cipher_key is not None:
        return settings.cipher_key.get_secret_value()
    path = settings.cipher_key_file or settings.sqlite_dir / FILE_NAME
    if not path.exists():
        if has_events and not plaintext:
            raise MasterKeyError(
                f"the event store holds encrypted events but the master key file {path} "
                "does not exist: put the key back (or set CARETRAIL_CIPHER_KEY or "
                "CARETRAIL_CIPHER_KEY_FILE); a new key is never made over existing data"
            )
        write_once(path, AESCipher.create_key(32))
        os.chmod(path, 0o600)
    return read_key(path)


def read_key(path: Path) -> str:
    """The base64 AES key in ``path`` (MasterKeyError if it holds none)."""
    text = path.read_text().strip()
    try:
        size = len(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        size = 0
    if size not in (16, 24, 32):
        raise MasterKeyError(f"{path} does not hold a base64 AES key of 16, 24 or 32 bytes")
    return text


def keep_master_key(path: Path, key: str) -> None:
    """Keep ``key`` in ``path`` unless the file exists (a copied store takes its key)."""
    if not path.exists():
        write_once(path, key)
