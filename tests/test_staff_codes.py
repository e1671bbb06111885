"""Incentive codes end to end in-process: the thank-you answer shows one, the till checks and uses it once, the
respondent's erasure request removes the answer; without the secret the collector does not start."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from sitegen.cli import main
from sitegen.collector.app import create_app
from sitegen.incentive_codes import CodeSecretMissing
from sitegen.staff.accounts import StaffAccounts, StaffMember
from sitegen.staff.auth import hash_password
from sitegen.staff.codes import LOOKUP_BURST
from sitegen.store import ResponseStore

SECRET = "a-test-secret-that-is-long-enough-for-hmac-0123"
PASSWORD = "correct horse battery"
START = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
CODE = re.compile(r'<strong class="incentive-code">([0-9A-Z]{5}-[0-9A-Z]{5})</strong>')
STORE = "sqlite:///responses.sqlite3"
ANSWERS = [("recommend", "9"), ("location", "riga-centre"), ("lang", "en")]


def with_incentive(project: Path) -> Path:
    survey = project / "surveys" / "after-visit.yaml"
    text = survey.read_text(encoding="utf-8").replace(
        "audience: customer", "audience: customer\nincentive: {lv: Kafija par pusi, en: Half-price coffee}"
    )
    survey.write_text(text, encoding="utf-8")
    return project


@pytest.fixture
def project(minimal_project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SITEGEN_SECRET", SECRET)
    with_incentive(minimal_project)
    config = minimal_project / "sitegen.yaml"  # the store the commands open too
    config.write_text(config.read_text(encoding="utf-8") + f"store: {STORE}\n", encoding="utf-8")
    with ResponseStore.open(STORE, minimal_project) as store:
        accounts = StaffAccounts(store.engine)
        accounts.add(StaffMember("anna@saulite.example", "owner"), hash_password(PASSWORD), START)
        accounts.add(StaffMember("juris@saulite.example", "manager", ("jelgava",)), hash_password(PASSWORD), START)
    return minimal_project


@pytest.fixture
def client(project: Path) -> Iterator[TestClient]:
    app = create_app(project, clock=lambda: START)
    with TestClient(app, follow_redirects=False, headers={"accept-language": "en"}) as test_client:
        yield test_client


def post_form(client: TestClient, pairs: list[tuple[str, str]]) -> httpx.Response:
    """A form post as a browser sends it (names may repeat)."""
    return client.post(
        "/s/after-visit", content=urlencode(pairs), headers={"content-type": "application/x-www-form-urlencoded"}
    )


def answer(client: TestClient, rid: str = "rid-0001-abcdef") -> str:
    """Answer the survey as a form without JavaScript would (with a rid if given): the code the page shows."""
    page = post_form(client, [*ANSWERS, *([("rid", rid)] if rid else [])])
    assert page.status_code == 200, page.text
    match = CODE.search(page.text)
    assert match, page.text
    return match.group(1)


def sign_in(client: TestClient, email: str = "anna@saulite.example") -> str:
    """Sign in; the CSRF token of the codes page."""
    login = client.get("/staff/login")
    token = re.search(r'name="csrf" value="([^"]+)"', login.text)
    assert token
    signed_in = client.post("/staff/login", data={"csrf": token.group(1), "email": email, "password": PASSWORD})
    assert signed_in.status_code == 303
    page = client.get("/staff/codes")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    return csrf.group(1)


def verdict(page_text: str) -> str:
    match = re.search(r'<div class="code-verdict code-([a-z-]+)" role="status">(.*?)</div>', page_text, re.S)
    assert match, page_text
    return f"{match.group(1)}: {' '.join(re.sub(r'<[^>]+>', ' ', match.group(2)).split())}"


def test_the_form_post_answers_with_the_thank_you_page_and_its_code_kept_out_of_caches(client: TestClient) -> None:
    page = post_form(client, [*ANSWERS, ("rid", "rid-0001-abcdef")])
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "script-src" in page.headers["content-security-policy"]  # the survey script forgets the answered rid
    assert '<article class="thanks" data-survey="after-visit">' in page.text
    assert "Half-price coffee" in page.text and CODE.search(page.text)
    assert answer(client) == CODE.search(page.text).group(1)  # type: ignore[union-attr]  # a retry: the same code
    assert answer(client, "rid-0002-abcdef") != answer(client)


def test_a_post_without_rid_sent_again_shows_the_same_code(client: TestClient) -> None:
    assert answer(client, rid="") == answer(client, rid="")


def test_a_json_post_gets_the_code_beside_the_id(client: TestClient) -> None:
    body = {"rid": "rid-0003-abcdef", "lang": "en", "meta": {"location": "jelgava"}, "answers": {"recommend": 10}}
    stored = client.post("/s/after-visit", content=json.dumps(body), headers={"content-type": "application/json"})
    assert stored.status_code == 201 and stored.headers["cache-control"] == "no-store"
    assert stored.json()["code"] == answer(client, "rid-0003-abcdef")


def test_without_the_secret_the_collector_refuses_to_start_and_says_what_to_set(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SITEGEN_SECRET")
    with pytest.raises(CodeSecretMissing, match="after-visit"):
        create_app(project, "sqlite://")
    result = CliRunner().invoke(main, ["-C", str(project), "collect"])
    assert result.exit_code == 1 and "set SITEGEN_SECRET" in result.output


def test_the_till_checks_a_code_marks_it_used_once_and_refuses_it_after(client: TestClient) -> None:
    code = answer(client)
    csrf = sign_in(client)
    checked = client.post("/staff/codes", data={"csrf": csrf, "code": code.lower().replace("-", " ")})
    assert checked.status_code == 200 and verdict(checked.text) == f"valid: {code} Valid, not used yet. Mark as used"
    used = client.post("/staff/codes/use", data={"csrf": csrf, "code": code})
    assert used.status_code == 200 and verdict(used.text) == "done: Marked as used. Give the customer the reward."
    again = client.post("/staff/codes/use", data={"csrf": csrf, "code": code})
    assert again.status_code == 409
    assert re.fullmatch(  # 09:00 UTC is noon in Riga, the site's timezone
        f"used: {code} Not marked again: a code works once. Already used on Jun 1, 2026, 12:00:00.PM by "
        r"anna@saulite\.example\.",
        verdict(again.text),
    )
    rechecked = client.post("/staff/codes", data={"csrf": csrf, "code": code})
    assert verdict(rechecked.text).startswith(f"used: {code} Already used on")


@pytest.mark.parametrize("typed", ["K7QM4-XPAR2", "nonsense", ""])
def test_a_forged_or_mistyped_code_is_not_valid_with_no_hint(client: TestClient, typed: str) -> None:
    code = answer(client)
    csrf = sign_in(client)
    for path in ("/staff/codes", "/staff/codes/use"):
        refused = client.post(path, data={"csrf": csrf, "code": typed or code[:-1] + "0"})
        assert refused.status_code == 404 and verdict(refused.text).startswith("not-valid: ")
        assert verdict(refused.text).endswith(" This code is not valid.")


def test_a_manager_sees_another_locations_code_as_not_valid(client: TestClient) -> None:
    code = answer(client)  # a riga-centre answer
    csrf = sign_in(client, "juris@saulite.example")  # manages jelgava
    assert client.post("/staff/codes", data={"csrf": csrf, "code": code}).status_code == 404
    assert client.post("/staff/codes/use", data={"csrf": csrf, "code": code}).status_code == 404


def test_the_codes_page_needs_a_sign_in_and_its_posts_a_token(client: TestClient) -> None:
    code = answer(client)
    assert client.get("/staff/codes").headers["location"] == "/staff/login?next=/staff/codes"
    sign_in(client)
    for path in ("/staff/codes", "/staff/codes/use"):
        assert client.post(path, data={"code": code}).status_code == 403
        assert client.post(path, data={"csrf": "forged", "code": code}).status_code == 403
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/staff/codes").text)
    assert csrf and "valid: " in verdict(client.post("/staff/codes", data={"csrf": csrf.group(1), "code": code}).text)


def test_guessing_is_slowed_down_per_account(client: TestClient) -> None:
    code = answer(client)
    csrf = sign_in(client)
    for _ in range(LOOKUP_BURST):
        assert client.post("/staff/codes", data={"csrf": csrf, "code": "K7QM4-XPAR2"}).status_code == 404
    slowed = client.post("/staff/codes", data={"csrf": csrf, "code": code})
    assert slowed.status_code == 429 and "Too many codes were checked just now" in slowed.text


def test_an_erasure_request_by_code_removes_the_answer_once(client: TestClient, project: Path) -> None:
    code = answer(client)
    client.close()
    runner = CliRunner()
    erased = runner.invoke(main, ["-C", str(project), "responses", "erase", code])
    assert erased.exit_code == 0, erased.output
    assert erased.output == "Erased the answer to after-visit with this code.\n"
    again = runner.invoke(main, ["-C", str(project), "responses", "erase", code])
    assert again.exit_code == 0 and "erased before; nothing is left to erase" in again.output
    forged = runner.invoke(main, ["-C", str(project), "responses", "erase", "K7QM4-XPAR2"])
    assert forged.exit_code == 1 and "'K7QM4-XPAR2' is not a code this site showed" in forged.output
    with ResponseStore.open(STORE, project) as store:
        assert store.count() == 0


def test_erasing_needs_the_secret(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SITEGEN_SECRET")
    result = CliRunner().invoke(main, ["-C", str(project), "responses", "erase", "K7QM4-XPAR2"])
    assert result.exit_code == 1 and "SITEGEN_SECRET is not set" in result.output


def test_the_codes_page_speaks_the_members_language(client: TestClient) -> None:
    code = answer(client)
    csrf = sign_in(client)
    checked = client.post("/staff/codes?lang=lv", data={"csrf": csrf, "code": code})
    assert "<h1>Balvu kodi</h1>" in checked.text and verdict(checked.text).endswith(
        "Derīgs, vēl nav izmantots. Atzīmēt kā izmantotu"
    )
    refused = client.post("/staff/codes?lang=lv", data={"csrf": csrf, "code": "K7QM4-XPAR2"})
    assert verdict(refused.text).endswith("Šis kods nav derīgs.")


def test_thank_you_pages_differ_only_in_their_code_and_carry_no_trace_of_its_slot(client: TestClient) -> None:
    pages = [post_form(client, [*ANSWERS, ("rid", f"rid-000{n}-abcdef")]).text for n in (4, 5)]
    codes = [CODE.search(page).group(1) for page in pages]  # type: ignore[union-attr]
    assert codes[0] != codes[1] and pages[0].replace(codes[0], "") == pages[1].replace(codes[1], "")
    assert "\x00" not in pages[0]
