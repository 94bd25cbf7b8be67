"""People log in with a password set from an invitation; sessions, cookies and forms are safe."""

from __future__ import annotations

from tests.e2e.api.conftest import PEOPLE
from tests.e2e.pages.conftest import PASSWORD, Web


def test_a_visitor_without_a_session_is_sent_to_the_login_page(web: Web) -> None:
    page = web.get("/tasks")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/tasks"
    assert web.get("/").headers["location"] == "/login"


def test_the_login_page_speaks_chinese_first_and_english_when_chosen(web: Web) -> None:
    assert "登录" in web.get("/login").text
    assert "Log in" in web.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).text
    switched = web.get("/language?to=en&next=/login")
    assert switched.status_code == 303
    assert "Log in" in web.get("/login", headers={"Accept-Language": "zh-CN"}).text  # the cookie wins


def test_an_invitation_sets_the_password_once_and_logs_the_person_in(web: Web) -> None:
    invitation = web.accounts.invite(PEOPLE["teacher"][0])
    form = web.get(f"/invite/{invitation.token}", "teacher")
    assert form.status_code == 200
    done = web.post(f"/invite/{invitation.token}", "teacher",
                    data={"password": PASSWORD, "again": PASSWORD, "csrf": web.csrf(form)})
    assert done.status_code == 303
    cookie = done.headers["set-cookie"]
    assert "caretrail_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    assert web.get("/tasks", "teacher").status_code == 200
    again = web.get(f"/invite/{invitation.token}", "someone-else")
    assert again.status_code == 410
    assert "已失效" in again.text


def test_an_invitation_expires_after_72_hours(web: Web) -> None:
    invitation = web.accounts.invite(PEOPLE["teacher"][0])
    web.clock.advance(hours=72, seconds=1)
    assert web.get(f"/invite/{invitation.token}").status_code == 410


def test_two_different_passwords_are_refused_and_the_link_still_works(web: Web) -> None:
    invitation = web.accounts.invite(PEOPLE["teacher"][0])
    form = web.get(f"/invite/{invitation.token}", "teacher")
    refused = web.post(f"/invite/{invitation.token}", "teacher",
                       data={"password": PASSWORD, "again": PASSWORD + "x", "csrf": web.csrf(form)})
    assert refused.status_code == 422
    assert "两次输入的密码不一致" in refused.text
    assert web.get(f"/invite/{invitation.token}", "teacher").status_code == 200


def test_a_wrong_password_is_said_in_chinese_and_keeps_the_user_name(web: Web) -> None:
    user_id = web.log_in("teacher")
    page = web.get("/login", "stranger")
    wrong = web.post("/login", "stranger", data={"user_id": user_id, "password": "not-it",
                                                "csrf": web.csrf(page), "next": "/tasks"})
    assert wrong.status_code == 401
    assert "用户名或密码错误" in wrong.text
    assert f'value="{user_id}"' in wrong.text
    assert "not-it" not in wrong.text


def test_a_login_form_without_its_token_logs_nobody_in(web: Web) -> None:
    user_id = web.log_in("teacher")
    web.get("/login", "stranger")
    refused = web.post("/login", "stranger", data={"user_id": user_id, "password": PASSWORD,
                                                  "csrf": "forged", "next": "/"})
    assert refused.status_code == 400
    assert "caretrail_session" not in refused.headers.get("set-cookie", "")


def test_logging_in_goes_to_the_page_asked_for_and_logging_out_ends_the_session(web: Web) -> None:
    user_id = web.log_in("teacher")
    web.post("/logout", "teacher", data={"csrf": web.csrf(web.get("/tasks", "teacher"))})
    page = web.get("/login", "teacher")
    done = web.post("/login", "teacher", data={"user_id": user_id, "password": PASSWORD,
                                              "csrf": web.csrf(page), "next": "/tasks"})
    assert (done.status_code, done.headers["location"]) == (303, "/tasks")
    tasks = web.get("/tasks", "teacher")
    assert tasks.status_code == 200
    out = web.post("/logout", "teacher", data={"csrf": web.csrf(tasks)})
    assert out.status_code == 303
    assert web.get("/tasks", "teacher").status_code == 303


def test_a_login_goes_nowhere_outside_the_site(web: Web) -> None:
    user_id = web.log_in("teacher")
    page = web.get("/login", "stranger")
    done = web.post("/login", "stranger", data={"user_id": user_id, "password": PASSWORD,
                                               "csrf": web.csrf(page), "next": "//evil.example/x"})
    assert done.headers["location"] == "/"


def test_a_session_ends_after_it_is_left_idle(web: Web) -> None:
    web.log_in("teacher")
    assert web.get("/tasks", "teacher").status_code == 200
    web.clock.advance(minutes=web.caretrail.settings.session_idle_minutes + 1)
    assert web.get("/tasks", "teacher").status_code == 303


def test_many_wrong_passwords_make_the_next_attempts_wait(web: Web) -> None:
    user_id = web.log_in("teacher")
    page = web.get("/login", "stranger")
    token = web.csrf(page)
    for _ in range(web.caretrail.settings.login_max_failures):
        web.post("/login", "stranger", data={"user_id": user_id, "password": "guess", "csrf": token})
    throttled = web.post("/login", "stranger", data={"user_id": user_id, "password": PASSWORD,
                                                    "csrf": token})
    assert throttled.status_code == 429
    assert "秒后再试" in throttled.text
    web.clock.advance(minutes=16)
    later = web.post("/login", "stranger", data={"user_id": user_id, "password": PASSWORD, "csrf": token})
    assert later.status_code == 303


def test_the_language_a_person_chose_follows_them_to_another_browser(web: Web) -> None:
    user_id = web.log_in("teacher")
    assert "我的任务" in web.get("/tasks", "teacher").text
    web.get("/language?to=en&next=/tasks", "teacher")
    assert web.accounts.language(user_id) == "en"
    page = web.get("/login", "teacher-on-another-phone")
    assert "登录" in page.text  # not logged in yet: the browser's language
    done = web.post("/login", "teacher-on-another-phone", data={
        "user_id": user_id, "password": PASSWORD, "csrf": web.csrf(page), "next": "/tasks"})
    assert "caretrail_lang=en" in done.headers.get("set-cookie", "")
    assert "My tasks" in web.get("/tasks", "teacher-on-another-phone").text


def test_a_language_chosen_before_logging_in_is_kept_for_the_person(web: Web) -> None:
    web.get("/language?to=en&next=/login", "teacher")
    user_id = web.log_in("teacher")
    assert web.accounts.language(user_id) == "en"
    assert web.get("/language?to=klingon&next=/tasks", "teacher").status_code == 303
    assert web.accounts.language(user_id) == "en"
