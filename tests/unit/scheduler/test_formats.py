"""Webhook bodies: plain JSON, WeCom and DingTalk robot markdown, within the robots' limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from adapters.driven.notify.formats import MAX_BYTES, body, markdown
from adapters.driven.notify.messages import (
    MESSAGE,
    AssigneeCount,
    DigestItem,
    EscalationBatch,
    EscalationNotice,
    SchoolDigest,
)

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 9, 20, 1, 0, tzinfo=UTC)


def notice(i: int = 0, **changes: object) -> EscalationNotice:
    data: dict[str, object] = {
        "case_id": f"00000000-0000-0000-0000-{i:012d}", "follow_up_id": f"f-{i}", "school_id": "s1",
        "kind": "home_visit", "assignee_role": "head_teacher", "assignee_id": "t-head", "level": 1,
        "to_role": "supervisor", "days_overdue": 4, "due_at": NOW - timedelta(days=4),
        "escalated_at": NOW,
    }
    data.update(changes)
    return EscalationNotice.model_validate(data)


def digest(items: int = 3) -> SchoolDigest:
    return SchoolDigest(
        school_id="s1", generated_at=NOW, total_overdue=items, by_kind={"home_visit": items},
        by_assignee=(AssigneeCount(assignee_role=None, assignee_id="t-head", count=items),),
        lines=(),
        oldest=tuple(
            DigestItem(case_id=f"c-{i}", follow_up_id=f"f-{i}", kind="home_visit",
                       assignee_role="head_teacher", assignee_id="t-head", due_at=NOW,
                       days_overdue=i, escalation_level=0)
            for i in range(items)
        ),
    )


def test_wecom_body_is_a_markdown_message_with_content_only() -> None:
    sent = body("wecom", EscalationBatch(notices=(notice(1), notice(2))), TZ)
    assert set(sent) == {"msgtype", "markdown"}
    assert sent["msgtype"] == "markdown"
    assert set(sent["markdown"]) == {"content"}
    content = sent["markdown"]["content"]
    assert "caretrail" in content
    assert notice(1).case_id in content
    assert notice(2).case_id in content
    assert "home_visit" in content
    assert "t-head" in content
    assert "逾期 4 天" in content


def test_dingtalk_body_has_a_title_and_a_text() -> None:
    sent = body("dingtalk", digest(), TZ)
    assert sent["msgtype"] == "markdown"
    assert set(sent["markdown"]) == {"title", "text"}
    assert "caretrail" in sent["markdown"]["title"]  # usable as the robot's keyword
    assert "s1" in sent["markdown"]["text"]
    assert "c-2" in sent["markdown"]["text"]


def test_plain_body_is_the_message_as_json_and_parses_back() -> None:
    batch = EscalationBatch(notices=(notice(1),))
    sent = body("plain", batch, TZ)
    assert sent["type"] == "escalations"
    assert sent["notices"][0]["days_overdue"] == 4
    assert MESSAGE.validate_json(json.dumps(sent)) == batch


def test_escalation_times_are_shown_in_school_time() -> None:
    late = notice(due_at=datetime(2026, 9, 1, 16, 30, tzinfo=UTC))
    _, text = markdown(EscalationBatch(notices=(late,)), TZ)
    assert "due 2026-09-02 00:30" in text  # 16:30 UTC is half past midnight in Beijing


@pytest.mark.parametrize("fmt", ["wecom", "dingtalk"])
def test_long_messages_are_cut_to_the_robot_limit_and_say_how_many_were_left_out(fmt: str) -> None:
    batch = EscalationBatch(notices=tuple(notice(i) for i in range(100)))
    sent = body(fmt, batch, TZ)  # type: ignore[arg-type]
    text = sent["markdown"]["content" if fmt == "wecom" else "text"]
    assert len(text.encode()) <= MAX_BYTES
    kept = sum(1 for i in range(100) if notice(i).case_id in text)
    assert 0 < kept < 100
    assert f"and {100 - kept} more" in text


def test_a_batch_that_fits_is_not_cut() -> None:
    _, text = markdown(EscalationBatch(notices=tuple(notice(i) for i in range(15))), TZ)
    assert len(text.encode()) <= MAX_BYTES
    assert "more" not in text
    assert all(notice(i).case_id in text for i in range(15))


def test_messages_refuse_fields_they_do_not_define() -> None:
    with pytest.raises(ValueError, match="child_name"):
        EscalationNotice.model_validate({**notice().model_dump(), "child_name": "王小明"})
