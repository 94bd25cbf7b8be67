"""The case page's erasure: a supervisor confirms with a reason; the page then shows the
skeleton alone and offers no steps; a teacher sees no button."""

from __future__ import annotations

from tests.e2e.pages.conftest import Web


def test_a_supervisor_erases_from_the_case_page_after_confirming(web: Web) -> None:
    case_id = web.open_case()
    web.log_in("teacher")
    assert "删除儿童个人信息" not in web.get(f"/cases/{case_id}", "teacher").text
    assert web.get(f"/cases/{case_id}/erase", "teacher").status_code == 403
    web.log_in("supervisor")
    page = web.get(f"/cases/{case_id}", "supervisor")
    assert "王小明" in page.text
    assert f'href="/cases/{case_id}/erase"' in page.text
    form = web.get(f"/cases/{case_id}/erase", "supervisor")
    assert "此操作无法撤销" in form.text
    unconfirmed = web.post(f"/cases/{case_id}/erase", "supervisor",
                           data={"csrf": web.csrf(form), "reason": "guardian_request"})
    assert unconfirmed.status_code == 422
    assert "请选择原因并勾选确认" in unconfirmed.text
    assert 'value="guardian_request" selected' in unconfirmed.text  # what was chosen stays
    done = web.post(f"/cases/{case_id}/erase", "supervisor", data={
        "csrf": web.csrf(form), "reason": "guardian_request", "confirm": "yes"})
    assert (done.status_code, done.headers["location"]) == (303, f"/cases/{case_id}?erased=1")
    after = web.get(done.headers["location"], "supervisor")
    assert "王小明" not in after.text
    assert "13800000000" not in after.text
    assert "个人信息已删除" in after.text  # the notice and the timeline's entry
    assert f"/cases/{case_id}/steps/" not in after.text
    again = web.post(f"/cases/{case_id}/erase", "supervisor", data={
        "csrf": web.csrf(form), "reason": "other", "confirm": "yes"})
    assert again.status_code == 409
    assert "该案件已删除过个人信息" in again.text
