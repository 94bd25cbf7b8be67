"""Webhook bodies: plain JSON, or the markdown messages of WeCom and DingTalk group robots.

WeCom (企业微信群机器人): ``{"msgtype": "markdown", "markdown": {"content": ...}}``, at
most 4096 bytes. DingTalk (钉钉自定义机器人): ``{"msgtype": "markdown", "markdown":
{"title": ..., "text": ...}}``. Both answer HTTP 200 with ``errcode`` 0 on success. The
text always contains the word "caretrail", so a DingTalk robot can use it as its
security keyword (自定义关键词).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from adapters.driven.notify.messages import EscalationBatch, EscalationNotice, SchoolDigest

Format = Literal["plain", "wecom", "dingtalk"]

#: WeCom's limit for a markdown message; DingTalk's is larger, the same cap is kept.
MAX_BYTES = 4096
#: A digest names the assignees with the most overdue tasks; the JSON has them all.
TOP_ASSIGNEES = 10


def body(fmt: Format, message: EscalationBatch | SchoolDigest, tz: ZoneInfo) -> dict[str, Any]:
    """The JSON body to POST for ``message`` in format ``fmt``."""
    if fmt == "plain":
        return message.model_dump(mode="json")
    title, text = markdown(message, tz)
    if fmt == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": text}}
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}


def markdown(message: EscalationBatch | SchoolDigest, tz: ZoneInfo) -> tuple[str, str]:
    """A title and a markdown text (Chinese first, then English), at most MAX_BYTES."""
    if isinstance(message, EscalationBatch):
        title = f"caretrail 逾期升级 Escalations ({len(message.notices)})"
        head = [f"### {title}"]
        lines = [_notice_line(n, tz) for n in message.notices]
    else:
        title = f"caretrail 逾期汇总 Overdue digest · {message.school_id}"
        head = [
            f"### {title} · {_local(message.generated_at, tz)[:10]}",
            f"逾期任务 Overdue tasks: **{message.total_overdue}**",
        ]
        if message.by_kind:
            kinds = ", ".join(f"{kind} {n}" for kind, n in message.by_kind.items())
            head.append(f"按类型 By kind: {kinds}")
        if message.by_assignee:
            top = message.by_assignee[:TOP_ASSIGNEES]
            who = ", ".join(f"{a.assignee_id or f'({a.assignee_role})'} {a.count}" for a in top)
            rest = len(message.by_assignee) - len(top)
            head.append(f"按负责人 By assignee: {who}" + (f", … (+{rest})" if rest else ""))
        if message.oldest:
            head.append("最久未办 Oldest:")
        lines = [
            f"- {item.kind} · 逾期 {item.days_overdue} 天 days · "
            f"{item.assignee_id or item.assignee_role} · 案件 case {item.case_id}"
            for item in message.oldest
        ]
    return title, _fit(head, lines)


def plain_text(message: EscalationBatch | SchoolDigest, tz: ZoneInfo) -> str:
    """The markdown text without markup characters, for terminals."""
    return markdown(message, tz)[1].replace("### ", "").replace("**", "")


def _notice_line(n: EscalationNotice, tz: ZoneInfo) -> str:
    assignee = f"{n.assignee_id} ({n.assignee_role})" if n.assignee_id else f"({n.assignee_role})"
    return (
        f"- 第{n.level}级 level {n.level} → {n.to_role} · {n.kind} · "
        f"逾期 {n.days_overdue} 天 days (due {_local(n.due_at, tz)}) · 负责 {assignee} · "
        f"学校 school {n.school_id} · 案件 case {n.case_id}"
    )


def _local(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _fit(head: list[str], lines: list[str]) -> str:
    """Join head and as many lines as fit in MAX_BYTES; say how many were left out."""
    def more(n: int) -> str:
        return f"\n… 另有 {n} 项 and {n} more" if n else ""

    text = "\n".join(head)
    for i, line in enumerate(lines):
        left_after = len(lines) - i - 1
        # Each kept line leaves room for the "and N more" the next one may need.
        if len((text + "\n" + line + more(left_after + 1)).encode()) > MAX_BYTES:
            return text + more(left_after + 1)
        text += "\n" + line
    return text
