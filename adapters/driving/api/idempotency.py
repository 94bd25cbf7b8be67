"""Commands over HTTP, written once: Idempotency-Key (claimed, answered once, replayed
byte for byte), If-Match (the version the caller saw), and the command's answer.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Annotated, Any
from uuid import UUID, uuid5

from fastapi import Depends, Header, Request
from pydantic import StringConstraints
from starlette.responses import Response

from adapters.bootstrap import Caretrail
from adapters.driven.auth.accounts import Accounts
from adapters.driven.auth.models import Principal, StoredResponse
from adapters.driven.processes import ProcessId
from adapters.driving.api.deps import authenticated, context, note
from adapters.driving.api.errors import IdempotencyKeyInFlight, IdempotencyKeyReused
from adapters.driving.api.schemas import ENVELOPE, CommandOut
from domain.values import Actor
from workflows.commands import Command

#: Namespace of the command ids derived from (user, Idempotency-Key).
IDEMPOTENCY_NAMESPACE = UUID("5d0f7a52-6f1e-4c8a-9a43-0e6f1c2b7d10")
#: A claim on a key older than this is taken to be abandoned, wherever its process ran (a
#: claim of a process of this host that has ended is free at once).
CLAIM_TIMEOUT = timedelta(minutes=2)
IdempotencyKey = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]


@dataclass
class Commands:
    """Runs one command for the caller: idempotency key, If-Match, the first answer kept."""

    caretrail: Caretrail
    accounts: Accounts
    user: Principal
    method: str
    path: str
    key: str | None
    expected_version: int | None = None

    @property
    def actor(self) -> Actor:
        """The acting user, as events record them."""
        return Actor(user_id=self.user.user_id, role=self.user.role.domain_role)

    def __call__(self, command: Command, *, status: int = 200, location: bool = False) -> Response:
        """Carry out ``command`` for the caller and answer it.

        A request repeated with the same ``Idempotency-Key`` gets the first answer byte
        for byte and records nothing; a copy arriving while the first still runs gets
        409 (retry later), unless the process that ran the first has ended: then it runs
        at once. The key is also the command id, so the case itself refuses to record the
        command twice, whatever happens to the stored answer. ``If-Match`` becomes the
        command's expected version.
        """
        fingerprint = request_fingerprint(self.method, self.path, command)
        store, user, now = self.accounts.store, self.user.user_id, self.caretrail.clock()
        envelope: dict[str, Any] = {"expected_version": self.expected_version}
        if self.key is not None:
            kept = store.claim_key(
                user, self.key, fingerprint, now, stale_before=now - CLAIM_TIMEOUT,
                holder=this_process(os.getpid()), holder_ended=holder_ended,
            )
            if kept is not None:
                if kept.fingerprint != fingerprint:
                    raise IdempotencyKeyReused("this Idempotency-Key was first sent with another request")
                if kept.status == 0:
                    raise IdempotencyKeyInFlight("the first request with this key is still running")
                return self._replay(kept, location)
            envelope["command_id"] = uuid5(IDEMPOTENCY_NAMESPACE, f"{user}\x1f{self.key}")
        try:
            result = self.caretrail.cases.handle(command.model_copy(update=envelope), self.actor)
        except BaseException:
            if self.key is not None:
                store.release_key(user, self.key)
            raise
        body = CommandOut.of(result).model_dump_json().encode()
        if self.key is not None:
            store.complete_key(user, self.key, status, body)
        return _command_response(body, status, result.case_id, result.version, location)

    def _replay(self, kept: StoredResponse, location: bool) -> Response:
        first = CommandOut.model_validate_json(kept.body)
        response = _command_response(kept.body, kept.status, first.case_id, first.version, location)
        response.headers["Idempotent-Replayed"] = "true"
        return response


@cache
def this_process(pid: int) -> bytes:
    """This process as a claim names its holder (by pid: a forked child is another one)."""
    return ProcessId.current().encode()


def holder_ended(holder: bytes) -> bool:
    """Whether the process named by a claim has ended for sure."""
    found = ProcessId.decode(holder)
    return found is not None and found.has_ended()


def request_fingerprint(method: str, path: str, command: Command) -> str:
    """What identifies a request for its Idempotency-Key: method, path and what it asks
    (the command's fields but the envelope, in canonical JSON)."""
    text = command.model_dump_json(exclude=set(ENVELOPE))
    return hashlib.sha256(f"{method} {path}\n{text}".encode()).hexdigest()


def _command_response(body: bytes, status: int, case_id: UUID, version: int, location: bool) -> Response:
    headers = {"ETag": f'"{version}"'}
    if location:
        headers["Location"] = f"/api/v1/cases/{case_id}"
    return Response(body, status_code=status, media_type="application/json", headers=headers)


IdempotencyHeader = Annotated[IdempotencyKey | None, Header(
    alias="Idempotency-Key",
    description="Your id for this request: a retry with the same key returns the first "
    "answer and records nothing.")]
IfMatchHeader = Annotated[str | None, Header(
    alias="If-Match", pattern=r'^(\*|"?[0-9]{1,9}"?)$',
    description='The case version you saw (its ETag, e.g. "7"): 412 if the case moved on.')]


async def new_case_commands(request: Request, key: IdempotencyHeader = None) -> Commands:
    """Commands that open a case (no version to match yet)."""
    ctx = context(request)
    return Commands(ctx.caretrail, ctx.accounts, authenticated(request), request.method,
                    request.url.path, key)


async def case_commands(
    request: Request,
    key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> Commands:
    """Commands on an existing case, optionally conditional on its version."""
    expected = None if if_match is None or if_match == "*" else int(if_match.strip('"'))
    note(request, idempotent=key is not None)
    ctx = context(request)
    return Commands(ctx.caretrail, ctx.accounts, authenticated(request), request.method,
                    request.url.path, key, expected)


NewCaseCommands = Annotated[Commands, Depends(new_case_commands)]
CaseCommands = Annotated[Commands, Depends(case_commands)]
