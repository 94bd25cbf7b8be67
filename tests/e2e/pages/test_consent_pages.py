"""The guardian's consent on the pages: the step form in Chinese, the case page shows it."""

from __future__ import annotations

import re
from uuid import UUID

from tests.e2e.pages.conftest import Web

HIDDEN = re.compile(r'name="(command_id|expected_version|next|occurred_at)" value="([^"]*)"')


def test_consent_is_recorded_from_the_form_the_guardian_prefilled_and_shown_on_the_case(web: Web) -> None:
    case_id = web.open_case()
    web.log_in("teacher")
    page = web.get(f"/cases/{case_id}", "teacher")
    assert "尚未登记监护人同意" in page.text
    url = f"/cases/{case_id}/steps/record_consent"
    assert url in page.text
    form = web.get(url, "teacher")
    assert form.status_code == 200
    assert "登记监护人同意" in form.text
    assert "签字同意书编号" in form.text
    assert 'name="consent.given_by" value="李奶奶"' in form.text  # the case's guardian
    assert 'type="date" id="f-consent.given_on" name="consent.given_on" value="2026-09-01"' in form.text
    data = {**dict(HIDDEN.findall(form.text)), "csrf": web.csrf(form), "consent.given_by": "李奶奶",
            "consent.relation": "grandmother", "consent.method": "signed_form",
            "consent.form_number": "XJ-2026-0042", "consent.given_on": "2026-08-28"}
    done = web.post(url, "teacher", data=data)
    assert done.status_code == 303, done.text
    case = web.get(f"/cases/{case_id}", "teacher")
    assert "签字同意书" in case.text
    assert "同意书 XJ-2026-0042" in case.text
    assert "已登记监护人同意" in case.text  # the timeline


def test_a_signed_form_without_its_number_asks_for_it_and_keeps_what_was_typed(web: Web) -> None:
    case_id = web.open_case()
    web.log_in("teacher")
    url = f"/cases/{case_id}/steps/record_consent"
    version = web.caretrail.cases.get_case(UUID(case_id)).version
    form = web.get(url, "teacher")
    refused = web.post(url, "teacher", data={
        **dict(HIDDEN.findall(form.text)), "csrf": web.csrf(form), "consent.given_by": "李奶奶",
        "consent.relation": "grandmother", "consent.method": "signed_form",
        "consent.given_on": "2026-08-28"})
    assert refused.status_code == 422
    assert "请修改标出的内容" in refused.text
    number = re.search(r'<div class="invalid">\s*<label for="f-consent.form_number">.*?</div>',
                       refused.text, re.S)
    assert number is not None, refused.text
    assert 'name="consent.given_by" value="李奶奶"' in refused.text
    assert web.caretrail.cases.get_case(UUID(case_id)).version == version


def test_a_withdrawal_is_shown_on_the_case_and_the_supervisor_gets_the_erasure_decision(web: Web) -> None:
    case_id = web.open_case()
    web.log_in("teacher")
    url = f"/cases/{case_id}/steps/withdraw_consent"
    form = web.get(url, "teacher")
    assert "撤回人" in form.text
    done = web.post(url, "teacher", data={
        **dict(HIDDEN.findall(form.text)), "csrf": web.csrf(form), "withdrawn_by": "李奶奶",
        "relation": "grandmother"})
    assert done.status_code == 303, done.text
    case = web.get(f"/cases/{case_id}", "teacher")
    assert "撤回同意：由主管决定是否删除个人信息" in case.text
    assert "决定是否删除个人信息" in case.text  # the open task
