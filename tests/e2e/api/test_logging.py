"""One log line per request, with ids and never a child's or guardian's name or phone."""

from __future__ import annotations

import io
import json
import logging

import structlog

from tests.e2e.api.conftest import Api, identify_body


def _requests(stream: io.StringIO) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [line for line in lines if line["event"] == "http_request"]


def test_each_request_writes_one_json_line_with_ids_status_and_duration(
    api: Api, log_lines: io.StringIO
) -> None:
    created = api.identify()
    api.get(f"/cases/{created['case_id']}", who="teacher", headers={"X-Request-ID": "req-42"})
    api.get("/me")
    first, read, anonymous = _requests(log_lines)
    assert (first["route"], first["status"], first["user_id"], first["role"]) == (
        "/api/v1/cases", 201, "a-teacher", "teacher")
    assert read["request_id"] == "req-42"
    assert read["route"] == "/api/v1/cases/{case_id}"
    assert read["case_id"] == created["case_id"]
    assert isinstance(read["duration_ms"], float)
    assert (anonymous["status"], anonymous["user_id"]) == (401, None)


def test_logs_carry_no_names_phones_or_tokens_even_for_refused_requests(
    api: Api, log_lines: io.StringIO
) -> None:
    created = api.identify()
    api.post("/cases", who="teacher", json=identify_body())  # 409
    api.post("/cases", who="teacher", json=identify_body(student_no="bad id with 王小明"))  # 422
    api.get(f"/cases/{created['case_id']}/history", who="teacher")
    text = log_lines.getvalue()
    assert len(_requests(log_lines)) == 4
    for secret in ("王小明", "李奶奶", "13800000000", "广东东莞", api.tokens["teacher"]):
        assert secret not in text


def test_the_response_carries_the_request_id_of_the_log_line(api: Api, log_lines: io.StringIO) -> None:
    response = api.get("/healthz")
    assert response.headers["x-request-id"] == _requests(log_lines)[0]["request_id"]


def test_json_lines_render_times_ids_and_odd_keys_and_standard_library_records(
    log_lines: io.StringIO,
) -> None:
    from datetime import UTC, datetime
    from uuid import UUID

    case = UUID("12345678-1234-5678-1234-567812345678")
    structlog.get_logger("t").info(
        "rendered", at=datetime(2026, 11, 30, 8, 0, tzinfo=UTC), case_id=case,
        counts={1: 2}, guardian="王芳",
    )
    logging.getLogger("uvicorn.error").warning("from %s", "the standard library")
    first, second = (json.loads(line) for line in log_lines.getvalue().splitlines())
    assert first["at"] == "2026-11-30T08:00:00+00:00"
    assert first["case_id"] == str(case)
    assert first["counts"] == {"1": 2}
    assert first["guardian"] == "[removed]"
    assert second["event"] == "from the standard library"
    assert second["level"] == "warning"
