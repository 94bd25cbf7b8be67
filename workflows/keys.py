"""The port the case application destroys a case key through (erasure)."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID


class CaseKeys(Protocol):
    """The case keys (``adapters.driven.keys.ring.KeyRing`` answers)."""

    def destroy(self, case_id: UUID) -> bool:
        """Destroy the case's key; False if there was none to destroy."""
        ...

    def close(self) -> None:
        """Release the key store."""
        ...
