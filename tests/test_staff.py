"""The staff side: accounts on both back ends, the CLI, sign-in with lock-out, sessions, CSRF, the intranet."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from starlette.routing import Route
from starlette.testclient import TestClient

from sitegen.cli import main
from sitegen.collector.app import create_app
from sitegen.staff.accounts import StaffAccounts, StaffError, StaffMember, new_member
from sitegen.staff.auth import SESSION_COOKIE, hash_password, safe_next
from sitegen.staff.case_pages import case_routes
from sitegen.staff.pages import WholeFiles, staff_routes
from sitegen.store import ResponseStore

PASSWORD = "correct horse battery"
START = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def add_account(store_url: str, project: Path, email: str, role: str, locations: tuple[str, ...] = ()) -> None:
    with ResponseStore.open(store_url, project) as store:
        StaffAccounts(store.engine).add(StaffMember(email, role, locations), hash_password(PASSWORD), START)  # type: ignore[arg-type]


class Clock:
    """The collector's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(minimal_project: Path, clock: Clock) -> Iterator[TestClient]:
    url = f"sqlite:///{minimal_project / 'responses.sqlite3'}"
    add_account(url, minimal_project, "anna@saulite.example", "owner")
    add_account(url, minimal_project, "juris@saulite.example", "manager", ("jelgava",))
    intranet = minimal_project / "output" / "intranet" / "en"
    intranet.mkdir(parents=True)
    (intranet / "index.html").write_text("<!DOCTYPE html><title>Intranet</title><h1>For staff</h1>", encoding="utf-8")
    app = create_app(minimal_project, url, clock=clock)
    with TestClient(app, follow_redirects=False, headers={"accept-language": "en"}) as test_client:
        yield test_client


def login_token(client: TestClient, path: str = "/staff/login") -> str:
    page = client.get(path)
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def sign_in(
    client: TestClient, email: str = "anna@saulite.example", password: str = PASSWORD, path: str = ""
) -> httpx.Response:
    token = login_token(client)
    return client.post(f"/staff/login{path}", data={"csrf": token, "email": email, "password": password})


def page_token(client: TestClient) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', client.get("/staff/").text)
    assert match
    return match.group(1)


# ---- accounts ----------------------------------------------------------------------------------


def test_accounts_are_kept_sessions_end_with_a_new_password_or_removal(store: ResponseStore) -> None:
    accounts = StaffAccounts(store.engine)
    accounts.add(StaffMember("juris@saulite.example", "manager", ("jelgava",)), hash_password(PASSWORD), START)
    assert accounts.members() == [StaffMember("juris@saulite.example", "manager", ("jelgava",))]
    with pytest.raises(StaffError, match="already has an account"):
        accounts.add(StaffMember("juris@saulite.example", "staff"), hash_password(PASSWORD), START)
    first = accounts.start_session("juris@saulite.example", START, dt.timedelta(hours=1))
    second = accounts.start_session("juris@saulite.example", START, dt.timedelta(hours=1))
    session = accounts.session(first, START)
    assert session is not None and session.member.can_see("jelgava") and not session.member.can_see("riga-centre")
    assert accounts.session(first, START + dt.timedelta(hours=1)) is None  # expired
    accounts.end_session(first)
    assert accounts.session(first, START) is None and accounts.session(second, START) is not None
    accounts.set_password("juris@saulite.example", hash_password("another long password"), end_sessions=True)
    assert accounts.session(second, START) is None
    third = accounts.start_session("juris@saulite.example", START, dt.timedelta(hours=1))
    accounts.remove("juris@saulite.example")
    assert accounts.session(third, START) is None and accounts.members() == []
    with pytest.raises(StaffError, match="has no account"):
        accounts.remove("juris@saulite.example")


def test_the_store_keeps_only_a_hash_of_the_session_id(store: ResponseStore) -> None:
    accounts = StaffAccounts(store.engine)
    accounts.add(StaffMember("anna@saulite.example", "owner"), hash_password(PASSWORD), START)
    session_id = accounts.start_session("anna@saulite.example", START, dt.timedelta(hours=1))
    with store.engine.connect() as connection:
        [kept] = connection.exec_driver_sql("SELECT id_hash FROM staff_sessions").scalars()
    assert kept != session_id and session_id not in kept


def test_a_new_account_is_checked_and_names_the_bad_value() -> None:
    known = ["riga-centre", "jelgava"]
    assert new_member(" Anna@Saulite.Example ", "owner", [], known) == StaffMember("anna@saulite.example", "owner")
    with pytest.raises(StaffError, match="'anna' is not an e-mail address"):
        new_member("anna", "owner", [], known)
    with pytest.raises(StaffError, match="role 'boss'"):
        new_member("a@b.lv", "boss", [], known)
    with pytest.raises(StaffError, match="location 'riga' is not one of the site's locations"):
        new_member("a@b.lv", "manager", ["riga"], known)
    with pytest.raises(StaffError, match="at least one --location"):
        new_member("a@b.lv", "manager", [], known)
    with pytest.raises(StaffError, match="an owner sees every location"):
        new_member("a@b.lv", "owner", ["jelgava"], known)
    assert new_member("a@b.lv", "staff", [], known).locations == ()


def test_an_owner_sees_every_location_a_manager_only_theirs() -> None:
    assert StaffMember("a@b.lv", "owner").can_see("anywhere")
    manager = StaffMember("m@b.lv", "manager", ("jelgava",))
    assert manager.can_see("jelgava") and not manager.can_see("riga-centre")


# ---- the command line --------------------------------------------------------------------------


def test_staff_commands_add_list_change_and_remove_accounts(minimal_project: Path) -> None:
    runner = CliRunner()

    def staff(*args: str, password: str = PASSWORD) -> Result:
        return runner.invoke(main, ["-C", str(minimal_project), "staff", *args], input=f"{password}\n")

    added = staff("add", "Juris@Saulite.example", "--role", "manager", "--location", "jelgava", "--password-stdin")
    assert added.exit_code == 0, added.output
    again = staff("add", "juris@saulite.example", "--role", "staff", "--password-stdin")
    assert again.exit_code == 1 and "already has an account" in again.output
    bad = staff("add", "kate@saulite.example", "--role", "manager", "--location", "riga", "--password-stdin")
    assert bad.exit_code == 1 and "location 'riga'" in bad.output and "Traceback" not in bad.output
    short = staff("add", "kate@saulite.example", "--role", "staff", "--password-stdin", password="short")
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    listed = staff("list")
    assert "juris@saulite.example  manager  jelgava" in listed.output and "argon2" not in listed.output
    assert staff("passwd", "juris@saulite.example", "--password-stdin", password="a new long password").exit_code == 0
    assert staff("remove", "juris@saulite.example").exit_code == 0
    missing = staff("remove", "juris@saulite.example")
    assert missing.exit_code == 1 and "has no account" in missing.output


def test_staff_add_asks_for_the_password_twice(minimal_project: Path) -> None:
    args = ["-C", str(minimal_project), "staff", "add", "anna@saulite.example", "--role", "owner"]
    mismatch = CliRunner().invoke(main, args, input=f"{PASSWORD}\nsomething else entirely\n")
    assert "do not match" in mismatch.output
    added = CliRunner().invoke(main, args, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0 and PASSWORD not in added.output


# ---- sign-in -----------------------------------------------------------------------------------


def test_signing_in_leads_to_the_home_page_with_a_safe_cookie(client: TestClient) -> None:
    answer = sign_in(client, "Anna@Saulite.example")
    assert answer.status_code == 303 and answer.headers["location"] == "/staff/"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # plain http here
    home = client.get("/staff/")
    assert home.status_code == 200 and "anna@saulite.example" in home.text
    assert (
        home.headers["cache-control"] == "no-store" and "form-action 'self'" in home.headers["content-security-policy"]
    )
    assert home.headers["x-content-type-options"] == "nosniff"


def test_the_cookie_is_secure_over_https(minimal_project: Path, client: TestClient) -> None:
    secure = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    answer = sign_in(secure)
    assert "Secure" in answer.headers["set-cookie"]


def test_a_wrong_password_or_an_unknown_email_gets_the_same_refusal(client: TestClient) -> None:
    wrong = sign_in(client, password="not the password")
    unknown = sign_in(client, email="nobody@saulite.example")
    assert wrong.status_code == unknown.status_code == 401
    assert SESSION_COOKIE not in client.cookies
    assert "not right" in wrong.text and "not right" in unknown.text


def test_repeated_failures_lock_the_account_until_the_lockout_ends(client: TestClient, clock: Clock) -> None:
    for _ in range(5):
        assert sign_in(client, password="not the password").status_code == 401
    assert sign_in(client).status_code == 401
    clock.now += dt.timedelta(minutes=14)
    assert sign_in(client).status_code == 401
    clock.now += dt.timedelta(minutes=2)
    assert sign_in(client).status_code == 303


def test_signing_out_ends_the_session_and_the_old_cookie_is_refused(client: TestClient) -> None:
    sign_in(client)
    cookie = client.cookies[SESSION_COOKIE]
    answer = client.post("/staff/logout", data={"csrf": page_token(client)})
    assert answer.status_code == 303 and answer.headers["location"] == "/staff/login"
    client.cookies.set(SESSION_COOKIE, cookie)
    assert client.get("/staff/").status_code == 303


def test_a_session_ends_when_it_expires(client: TestClient, clock: Clock) -> None:
    sign_in(client)
    clock.now += dt.timedelta(hours=12)
    assert client.get("/staff/").status_code == 303


def test_posts_without_the_right_csrf_token_are_refused(client: TestClient) -> None:
    assert client.post("/staff/login", data={"email": "anna@saulite.example", "password": PASSWORD}).status_code == 403
    login_token(client)
    forged = {"csrf": "forged", "email": "anna@saulite.example", "password": PASSWORD}
    assert client.post("/staff/login", data=forged).status_code == 403
    sign_in(client)
    assert client.post("/staff/logout").status_code == 403
    assert client.post("/staff/logout", data={"csrf": "forged"}).status_code == 403
    assert client.get("/staff/").status_code == 200  # still signed in


def test_every_post_route_under_staff_refuses_a_missing_token(client: TestClient, tmp_path: Path) -> None:
    sign_in(client)
    routes = [*staff_routes(tmp_path), *case_routes()]
    posts = [route.path for route in routes if isinstance(route, Route) and "POST" in route.methods]
    assert len(posts) >= 4
    for path in (path.replace("{case_id}", "0" * 32) for path in posts):
        assert client.post(path, data={"x": "1"}).status_code == 403, path


def test_without_a_session_every_staff_route_and_the_intranet_send_to_the_login(client: TestClient) -> None:
    for path in ["/staff/", "/intranet/", "/intranet/en/index.html", "/intranet/missing"]:
        answer = client.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/staff/login?next=/"), path
    assert client.post("/staff/logout", data={"csrf": "x"}).status_code == 401


def test_signed_in_staff_read_the_intranet_privately(client: TestClient) -> None:
    sign_in(client, "juris@saulite.example")
    page = client.get("/intranet/en/")
    assert page.status_code == 200 and "For staff" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["content-security-policy"] == "frame-ancestors 'none'"


def test_an_intranet_not_built_yet_is_not_found(client: TestClient, minimal_project: Path) -> None:
    shutil.rmtree(minimal_project / "output")
    sign_in(client)
    assert client.get("/intranet/en/").status_code == 404


def test_signing_in_returns_to_the_page_asked_for(client: TestClient) -> None:
    answer = sign_in(client, path="?next=/intranet/en/")
    assert answer.headers["location"] == "/intranet/en/"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/staff/",
        "/\\evil.example",
        "/public/",
        "javascript:alert(1)",
        "/staff/\n",
    ],
)
def test_next_never_leads_off_the_staff_side(target: str) -> None:
    assert safe_next(target) == "/staff/"


def test_the_public_routes_keep_their_headers(client: TestClient) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200 and "form-action 'none'" in answer.headers["content-security-policy"]


def test_an_intranet_file_replaced_after_its_size_was_read_is_sent_whole(tmp_path: Path) -> None:
    page = tmp_path / "index.html"
    page.write_bytes(b"<p>old</p>")
    old_size = page.stat()
    replacement = tmp_path / "new.tmp"
    replacement.write_bytes(b"<p>the figures of the refresh, longer</p>")
    os.replace(replacement, page)  # what sitegen refresh does between StaticFiles' stat and its open
    answer = WholeFiles(directory=tmp_path).file_response(page, old_size, {"type": "http", "method": "GET"})
    assert answer.body == b"<p>the figures of the refresh, longer</p>"
    assert answer.headers["content-length"] == str(len(answer.body)) and answer.media_type == "text/html"
