"""导入花名册: a 德育主任 uploads the school's register, checks it, then imports it."""

from __future__ import annotations

import html
from datetime import timedelta

from adapters.driving.imports.samples import children_rows, write_xlsx
from tests.e2e.api.conftest import SCHOOL_A
from tests.e2e.pages.conftest import Web


def _register(web: Web) -> bytes:
    rows = children_rows(4, ["a-teacher"], today=web.clock().date() - timedelta(days=1))
    rows[2]["birth_date"] = "2016-02-30"
    return write_xlsx(rows)


def _upload(web: Web, data: bytes, *, dry_run: bool, name: str = "花名册.xlsx") -> str:
    if "supervisor" not in web.passwords_set:
        web.log_in("supervisor")
    token = web.csrf(web.get("/imports", "supervisor"))
    form = {"csrf": token, "school": SCHOOL_A, "kind": "children"} | ({"dry_run": "1"} if dry_run else {})
    page = web.post("/imports", "supervisor", data=form, files={"file": (name, data)})
    return f"{page.status_code} {html.unescape(page.text)}"


def test_a_supervisor_checks_then_imports_the_register_in_chinese(web: Web) -> None:
    web.log_in("supervisor")
    form = web.get("/imports", "supervisor")
    assert form.status_code == 200
    assert "导入花名册" in form.text
    assert 'enctype="multipart/form-data"' in form.text
    checked = _upload(web, _register(web), dry_run=True)
    assert checked.startswith("200 ")
    assert "第 4 行：“出生日期”：2016-02-30 不是有效日期" in checked
    assert "试运行：未写入任何数据。将新建 3 条，已存在 0 条，被拒绝 1 条。" in checked
    assert web.caretrail.cases.position() == 0
    done = _upload(web, _register(web), dry_run=False)
    assert "新建 3 条，已存在 0 条（跳过），被拒绝 1 条。" in done
    again = _upload(web, _register(web), dry_run=False)
    assert "新建 0 条，已存在 3 条（跳过），被拒绝 1 条。" in again


def test_a_file_that_is_no_register_is_refused_in_words_keeping_the_choices(web: Web) -> None:
    page = _upload(web, b"%PDF-1.7", dry_run=False, name="r.pdf")
    assert page.startswith("422 ")
    assert "这不是 .xlsx 工作簿或 .csv 文件" in page
    assert "请重新选择文件。" in page
    assert '<option value="school-a" selected>' in page
    assert 'name="dry_run" value="1">' in page  # unticked, as sent
    assert web.caretrail.cases.position() == 0


def test_a_teacher_has_no_upload_page(web: Web) -> None:
    web.log_in("teacher")
    assert web.get("/imports", "teacher").status_code == 403
    assert 'href="/imports"' not in web.get("/tasks", "teacher").text
