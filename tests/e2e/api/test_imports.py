"""``POST /schools/{school_id}/imports/...``: a register uploaded, reported in the caller's
language; a file that is none refused as a problem, nothing written."""

from __future__ import annotations

from datetime import timedelta

from adapters.driving.imports.samples import children_rows, write_csv, write_xlsx
from tests.e2e.api.conftest import SCHOOL_A, SCHOOL_B, Api

URL = f"/schools/{SCHOOL_A}/imports/children"


def _register(api: Api, n: int = 5) -> bytes:
    rows = children_rows(n, ["a-teacher"], today=api.clock().date() - timedelta(days=1))
    rows[-1]["head_teacher"] = "ghost-teacher"
    return write_xlsx(rows)


def _post(api: Api, data: bytes, *, dry_run: bool, who: str = "supervisor", name: str = "r.xlsx",
          lang: str = "zh-CN", url: str = URL) -> object:
    return api.post(url, who=who, files={"file": (name, data)}, data={"dry_run": str(dry_run).lower()},
                    headers={"Accept-Language": lang})


def test_a_dry_run_reports_and_writes_nothing_then_the_import_and_a_second_one(api: Api) -> None:
    data = _register(api)
    dry = _post(api, data, dry_run=True)
    assert dry.status_code == 200, dry.text
    body = dry.json()
    assert (body["created"], body["skipped"]) == (4, 0)
    assert body["refused"] == [{"row": 6, "code": "unknown-teacher", "params": {"value": "ghost-teacher"},
                                "message": "ghost-teacher 不是本校在职的班主任"}]
    assert api.caretrail.cases.position() == 0
    done = _post(api, data, dry_run=False, lang="en").json()
    assert (done["created"], done["refused"][0]["message"]) == (
        4, "ghost-teacher is not an active head teacher of this school")
    position = api.caretrail.cases.position()
    again = _post(api, data, dry_run=False).json()
    assert (again["created"], again["skipped"]) == (0, 4)
    assert api.caretrail.cases.position() == position
    listed = api.get("/cases", who="supervisor").json()["items"]
    assert len(listed) == 4


def test_a_file_that_is_no_register_is_a_problem_in_the_callers_language(api: Api) -> None:
    for data, name, detail in [
        (b"%PDF-1.7", "r.pdf", "这不是 .xlsx 工作簿或 .csv 文件（旧版 .xls 请另存为 .xlsx）。"),
        (_register(api)[:300], "r.xlsx", "该 .xlsx 文件已损坏，无法读取。"),
        (write_csv([]), "r.csv", "工作表是空的：没有任何记录。"),
    ]:
        response = _post(api, data, dry_run=False, name=name)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["type"] == "/api/v1/problems/register-refused"
        assert response.json()["detail"] == detail
    assert api.caretrail.cases.position() == 0


def test_only_a_supervisor_of_the_school_imports(api: Api) -> None:
    data = _register(api)
    assert _post(api, data, dry_run=True, who="teacher").status_code == 403
    assert _post(api, data, dry_run=True, who="auditor").status_code == 403
    other = _post(api, data, dry_run=True, url=f"/schools/{SCHOOL_B}/imports/children")
    assert other.status_code == 403
    assert other.json()["type"] == "/api/v1/problems/school-out-of-scope"


def test_a_teachers_register_puts_them_on_the_roster(api: Api) -> None:
    rows = [{"teacher_id": "T01", "name": "王芳", "roles": "班主任、结对教师"},
            {"teacher_id": "T02", "name": "李明", "roles": "校长"}]
    data = write_csv(rows, fields=("teacher_id", "name", "roles"), encoding="gb18030")
    url = f"/schools/{SCHOOL_A}/imports/teachers"
    report = _post(api, data, dry_run=False, name="t.csv", url=url).json()
    assert report["created_rows"] == [2]
    assert [r["code"] for r in report["refused"]] == ["unknown-role"]
    teacher = api.accounts.roster.get(SCHOOL_A, "T01")
    assert teacher is not None
    assert [r.value for r in teacher.roles] == ["head_teacher", "mentor"]
    assert _post(api, data, dry_run=False, name="t.csv", url=url).json()["skipped_rows"] == [2]
