"""A process that claims an Idempotency-Key and is killed (SIGKILL) before it answers.

``claim_then_die(spec, ...)`` runs this module in a subprocess: it opens the auth store
``spec`` names (``{"driver": "sqlite", "path": ...}`` or ``{"driver": "postgres", "url":
..., "schema": ...}``), claims the key as the API does (naming itself as the holder),
says so, and waits to be killed: a request whose process died between its claim and its
answer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from adapters.driven.auth.port import AuthStore
from adapters.driving.api.idempotency import this_process

ROOT = Path(__file__).resolve().parents[1]


def claim_then_die(spec: dict[str, Any], user_id: str, key: str, fingerprint: str,
                   at: datetime) -> None:
    """Claim ``key`` in another process, then SIGKILL that process and reap it."""
    order = {**spec, "user_id": user_id, "key": key, "fingerprint": fingerprint,
             "at": at.isoformat()}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.crashes", json.dumps(order)], cwd=ROOT,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        said = proc.stdout.readline() if proc.stdout else ""
        assert said == "claimed\n", said + (proc.stderr.read() if proc.stderr else "")
    finally:
        proc.kill()
        proc.communicate(timeout=30)


def _open(spec: dict[str, Any]) -> AuthStore:
    if spec["driver"] == "sqlite":
        from adapters.driven.auth.sqlite import SQLiteAuthStore

        return SQLiteAuthStore(Path(spec["path"]))
    from adapters.driven.auth.postgres import PostgresAuthStore

    return PostgresAuthStore(spec["url"], schema=spec["schema"])


def main(order: dict[str, Any]) -> None:
    store = _open(order)
    at = datetime.fromisoformat(order["at"])
    claimed = store.claim_key(order["user_id"], order["key"], order["fingerprint"], at,
                              stale_before=at, holder=this_process(os.getpid()))
    print("claimed" if claimed is None else "refused", flush=True)
    sys.stdin.read()  # until killed


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
