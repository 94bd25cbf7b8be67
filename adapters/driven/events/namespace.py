"""The namespace of a deployment's name-based ids, kept with its data.

``ID_NAMESPACE`` names it; without it, the file ``id.namespace`` in the data directory
holds it, created with a random UUID at first start, as ``auth.key`` is. A store that
already has events and no such file was written before the file existed, with the
namespace every deployment shared then (:data:`FORMER_DEFAULT`): that one is written into
the file. Whichever it is, it must fit the store: the first case in the log has the id it
gives, or the process does not start.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from uuid import UUID, uuid4

from adapters.driven.files import private_dir
from domain.case import Case
from domain.ids import case_id_for
from domain.personal import ERASED
from workflows.services import CaseService

#: The namespace every deployment without ``ID_NAMESPACE`` used before ``id.namespace``:
#: only a store written then keeps it.
FORMER_DEFAULT = UUID("6f0b1c5e-3a57-5d2e-9c1b-1f6c0aa2c7d4")
FILE_NAME = "id.namespace"
#: How far into the log the first identification is looked for.
_LOOK_AHEAD = 100


class NamespaceMismatch(Exception):
    """Raised when the id namespace is not the one the store's case ids were made with."""


def kept_namespace(cases: CaseService, path: Path) -> UUID:
    """The namespace in ``path``; created if missing (random for an empty store, the
    former shared default for a store that has events)."""
    if not path.exists():
        chosen = FORMER_DEFAULT if cases.position() else uuid4()
        write_once(path, str(chosen))
    text = path.read_text().strip()
    try:
        return UUID(text)
    except ValueError:
        raise NamespaceMismatch(f"{path} does not hold a UUID") from None


def keep_namespace(path: Path, namespace: UUID) -> None:
    """Keep ``namespace`` in ``path`` unless the file exists (a store copied elsewhere
    takes its namespace with it)."""
    if not path.exists():
        write_once(path, str(namespace))


def check_namespace(cases: CaseService, namespace: UUID, source: str) -> None:
    """Refuse a namespace that does not give the store's first case its id."""
    for notification in cases.recorder.select_notifications(start=None, limit=_LOOK_AHEAD):
        event = cases.mapper.to_domain_event(notification)
        if isinstance(event, Case.Identified):
            if event.student_no == ERASED:
                continue  # erased (or its key not here yet): the next case tells
            ids = (namespace, event.school_id, event.student_no, event.generation)
            if case_id_for(*ids) != event.originator_id:
                raise NamespaceMismatch(
                    f"{source} is not the id namespace this event store was written with: "
                    "set CARETRAIL_ID_NAMESPACE to that one (docs/operations.md)"
                )
            return


def write_once(path: Path, text: str) -> None:
    """Write ``path`` unless another process did first (written aside, then linked into
    place: a reader never sees half a file)."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass  # another process was first: use its namespace
    finally:
        tmp.unlink()
