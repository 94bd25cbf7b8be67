"""The steps of a case: ``POST /cases/{case_id}/<step>``; each answers state, version, position.

One line per step: its path, its command (``workflows.commands``) and the name of its
request body in the documentation. The body is the command's own fields (those named in
the path come from the path); every route declares its permission, is case scoped (404
outside your schools), takes ``Idempotency-Key`` and ``If-Match``, and hands the command
to the application.
"""

from __future__ import annotations

import inspect
import re
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from adapters.driving.api.deps import ScopedCase, allow
from adapters.driving.api.idempotency import CaseCommands
from adapters.driving.api.permissions import step_permission
from adapters.driving.api.problems import problem_responses
from adapters.driving.api.schemas import CommandOut, request_body, request_fields
from workflows.commands import (
    AddNote,
    AmendDetails,
    AssignHeadTeacher,
    CaseCommand,
    ChangeRiskLevel,
    CloseCase,
    CompleteFollowUp,
    LogContact,
    PairMentor,
    RecordConsent,
    RecordCounselling,
    RecordHomeVisit,
    ReleaseMentor,
    ReopenCase,
    ReviewCase,
    WithdrawConsent,
)

router = APIRouter(prefix="/cases/{case_id}", tags=["case steps"])
_PARAMETER = inspect.Parameter.KEYWORD_ONLY


def step(
    path: str,
    command: type[CaseCommand],
    body: str | None,
    *,
    method: str = "POST",
) -> None:
    """Add the route of one step. ``body`` names the request body; None: the command's
    fields are query parameters (a ``DELETE`` has no body)."""
    in_path = [name for name in re.findall(r"{(\w+)}", path) if name in command.model_fields]
    fields = request_fields(command, besides=in_path)

    def endpoint(case: ScopedCase, run: CaseCommands, **given: Any) -> Response:
        stated = dict(given.pop("body")) if body is not None else {}
        return run(command(case_id=case.case_id, **stated, **given))

    parameters = [
        inspect.Parameter("case", _PARAMETER, annotation=ScopedCase),
        inspect.Parameter("run", _PARAMETER, annotation=CaseCommands),
    ]
    parameters += [
        inspect.Parameter(name, _PARAMETER, annotation=Annotated[
            command.model_fields[name].annotation, Path(description=f"The {_noun(name)}'s id.")])
        for name in in_path
    ]
    if body is not None:
        model = request_body(command, body, besides=in_path)
        parameters.append(inspect.Parameter("body", _PARAMETER, annotation=model))
    else:
        parameters += [
            inspect.Parameter(name, _PARAMETER, default=f.default, annotation=Annotated[
                f.annotation, *f.metadata, Query(description=f.description)])
            for name, f in fields.items()
        ]
    # FastAPI reads a route's parameters from its signature: each step's is made here.
    endpoint.__signature__ = inspect.Signature(parameters, return_annotation=Response)  # type: ignore[attr-defined]
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", command.__name__).lower()
    endpoint.__name__ = endpoint.__qualname__ = name
    router.add_api_route(
        path, endpoint, methods=[method], name=name, description=command.__doc__,
        response_model=CommandOut, dependencies=[allow(step_permission(command))],
        responses=problem_responses(403, 404, 409, 412, 422),
    )


def _noun(field: str) -> str:
    """``follow_up_id`` -> ``follow-up``."""
    return field.removesuffix("_id").replace("_", "-")


step("/home-visits", RecordHomeVisit, "HomeVisit")
step("/mentor", PairMentor, "MentorPairing")
step("/mentor", ReleaseMentor, None, method="DELETE")
step("/counselling-sessions", RecordCounselling, "CounsellingSession")
step("/reviews", ReviewCase, "Review")
step("/contacts", LogContact, "Contact")
step("/notes", AddNote, "Note")
step("/details", AmendDetails, "DetailsAmendment")
step("/consent", RecordConsent, "ConsentRecord")
step("/consent-withdrawal", WithdrawConsent, "WithdrawalOfConsent")
step("/closure", CloseCase, "Closure")
step("/reopening", ReopenCase, "Reopening")
step("/risk-level", ChangeRiskLevel, "RiskChange")
step("/follow-ups/{follow_up_id}/completion", CompleteFollowUp, "FollowUpCompletion")
step("/head-teacher", AssignHeadTeacher, "HeadTeacher")
