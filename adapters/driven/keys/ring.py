"""The case keys as the mapper uses them: made, unwrapped, kept, destroyed.

A case's data key is 32 random bytes, wrapped with AES-GCM under a key derived from the
master key (HKDF, so the master key's other use, the whole event body, never shares a
key) and bound to the case id. Unwrapped keys are kept in a small LRU: reading a case's
events costs at most one indexed read of the key store, on a miss.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from datetime import UTC, datetime
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from adapters.driven.keys.port import KeyStore

#: How many unwrapped case keys one process keeps.
KEPT = 10_000
_NONCE = 12


class KeyUnreadable(Exception):
    """Raised when a wrapped case key does not open with this master key."""


class KeyRing:
    """The case keys of one process over a key store; thread-safe."""

    def __init__(self, store: KeyStore, master_key: bytes, *, kept: int = KEPT) -> None:
        self.store = store
        wrapping = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                        info=b"caretrail case keys v1").derive(master_key)
        self._wrap = AESGCM(wrapping)
        self._kept: OrderedDict[UUID, AESGCM | None] = OrderedDict()
        self._kept_max = kept
        self._lock = threading.Lock()

    def cipher(self, case_id: UUID, *, create: bool = False) -> AESGCM | None:
        """The case's cipher; None once its key is destroyed (or if it never had one and
        ``create`` is false). ``create``: a new case's key is made and stored first."""
        with self._lock:
            if case_id in self._kept:
                self._kept.move_to_end(case_id)
                return self._kept[case_id]
        row = self.store.get(case_id)
        found: AESGCM | None
        if row is None and create:
            key = AESGCM.generate_key(256)
            if self.store.add(case_id, self._wrapped(case_id, key)):
                found = AESGCM(key)  # the key is kept before any event is sealed with it
            else:  # another process was first: its key
                return self.cipher(case_id)
        elif row is None:
            return None  # not kept: the key may be made later
        else:
            found = None if row.wrapped is None else AESGCM(self._unwrap(case_id, row.wrapped))
        with self._lock:
            self._kept[case_id] = found
            if len(self._kept) > self._kept_max:
                self._kept.popitem(last=False)
        return found

    def destroy(self, case_id: UUID) -> bool:
        """Destroy the case's key (crypto-shredding); False if there was none to destroy."""
        destroyed = self.store.destroy(case_id, datetime.now(UTC).isoformat())
        self.forget(case_id)
        return destroyed

    def forget(self, case_id: UUID) -> None:
        """Drop the case's key from memory (another process erased the case)."""
        with self._lock:
            self._kept.pop(case_id, None)

    def close(self) -> None:
        """Close the key store."""
        self.store.close()

    def _wrapped(self, case_id: UUID, key: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._wrap.encrypt(nonce, key, case_id.bytes)

    def _unwrap(self, case_id: UUID, wrapped: bytes) -> bytes:
        try:
            return self._wrap.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], case_id.bytes)
        except InvalidTag:
            raise KeyUnreadable(
                f"the key of case {case_id} does not open with this master key"
            ) from None


def seal(cipher: AESGCM, case_id: UUID, plain: bytes) -> bytes:
    """``plain`` encrypted under a case's key, bound to the case id."""
    nonce = os.urandom(_NONCE)
    return nonce + cipher.encrypt(nonce, plain, case_id.bytes)


def unseal(cipher: AESGCM, case_id: UUID, sealed: bytes) -> bytes:
    """What :func:`seal` sealed."""
    return cipher.decrypt(sealed[:_NONCE], sealed[_NONCE:], case_id.bytes)
