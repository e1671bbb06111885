"""Hostile posts against the real collector (its app and its group-commit writer) on SQLite and PostgreSQL.

One poisoned post must never fail honest ones in the same batch, every
hostile input gets a 4xx (never a 500) and nothing invalid reaches the store.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx2
import pytest
from conftest import run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from postgres_fixtures import REFUSED_PREFIX, add_refusal_rule, run_sql
from starlette.testclient import TestClient

from sitegen.answers import read_form, read_json
from sitegen.collector.app import create_app
from sitegen.collector.dedupe import post_key
from sitegen.collector.guards import RateLimiter
from sitegen.collector.writer import BatchWriter, ResponseRefused
from sitegen.site import Site, load_site
from sitegen.store import ResponseStore, StoredResponse
from sitegen.store.limits import storable_problems

JUNE = dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
LATVIAN = {"accept-language": "lv"}


@dataclass(frozen=True)
class Post:
    """One request body as a client sends it."""

    content_type: str
    body: bytes

    def send(self, client: TestClient) -> httpx2.Response:
        return client.post("/s/after-visit", content=self.body, headers={"content-type": self.content_type, **LATVIAN})


def form(*pairs: tuple[str, str], raw: str = "") -> Post:
    """A form post in Latvian; `raw` is appended as it is (percent-escapes a browser would never send)."""
    return Post(FORM, (urlencode([*pairs, ("lang", "lv")]) + raw).encode())


def document(value: Any) -> Post:
    return Post(JSON, json.dumps(value).encode())


@dataclass(frozen=True)
class Poison:
    """A hostile post, the status it must get, and (forms) a Latvian text the page must show."""

    name: str
    post: Post
    status: int
    latvian: str = ""


POISONS = [
    Poison("json lone surrogate", Post(JSON, b'{"answers":{"recommend":5,"improve":"\\ud800"}}'), 422),
    Poison("json rid of 65 characters", document({"rid": "b" * 64 + "\n", "answers": {"recommend": 9}}), 422),
    Poison("json rid with a line break", document({"rid": "abcdefgh\n", "answers": {"recommend": 9}}), 422),
    Poison("json nested 965 deep", Post(JSON, b'{"answers":{"recommend":' + b"[" * 965 + b"]" * 965 + b"}}"), 400),
    Poison("json number 1_0", document({"answers": {"recommend": "1_0"}}), 422),
    Poison("json Arabic-Indic 10", document({"answers": {"recommend": "\u0661\u0660"}}), 422),
    Poison("json number with spaces", document({"answers": {"recommend": " 7 "}}), 422),
    Poison("json huge integer", document({"answers": {"recommend": 10**30}}), 422),
    Poison("json NaN", Post(JSON, b'{"answers":{"recommend":NaN}}'), 400),
    Poison("json C1 control", document({"answers": {"recommend": 5, "improve": "a\u0085b"}}), 422),
    Poison("json noncharacter", document({"answers": {"recommend": 5, "improve": "a\uffff"}}), 422),
    Poison("json ISO week date", document({"answers": {"recommend": 9, "visited_at": "2026-W01-1T09:15"}}), 422),
    Poison("json duplicate key", Post(JSON, b'{"answers":{"recommend":9,"recommend":0}}'), 400),
    Poison("json surrogate key", Post(JSON, b'{"answers":{"recommend":9,"\\udc00":1}}'), 400),
    Poison("json surrogate language", Post(JSON, b'{"lang":"\\ud800","answers":{"recommend":9}}'), 422),
    Poison("json in utf-16", Post(f"{JSON}; charset=utf-16", '{"answers":{"recommend":9}}'.encode("utf-16")), 415),
    Poison("json in latin-1", Post(f"{JSON}; charset=ISO-8859-1", b'{"answers":{"recommend":9}}'), 415),
    Poison("json byte order mark", Post(JSON, b'\xef\xbb\xbf{"answers":{"recommend":9}}'), 400),
    Poison("json not utf-8", Post(JSON, b'{"answers":{"recommend":9,"improve":"\xff"}}'), 400),
    Poison("form rid with a line break", form(("recommend", "9"), ("rid", "abcdefgh\n")), 422, "identifikators"),
    Poison("form rid of 65 characters", form(("recommend", "9"), ("rid", "b" * 64 + "\n")), 422, "identifikators"),
    Poison("form C1 control", form(("recommend", "5"), ("improve", "a\u0085b")), 422, "vadības rakstzīmes"),
    Poison("form noncharacter", form(("recommend", "5"), ("improve", "a\ufdd0")), 422, "vadības rakstzīmes"),
    Poison("form encoded surrogate", form(("recommend", "5"), raw="&improve=%ED%A0%80"), 400, "Veidlapu"),
    Poison("form number 1_0", form(("recommend", "1_0")), 422, "Ievadiet skaitli."),
    Poison("form Arabic-Indic 10", form(("recommend", "\u0661\u0660")), 422, "Ievadiet skaitli."),
    Poison("form number with spaces", form(("recommend", " 7 ")), 422, "Ievadiet skaitli."),
    Poison("form ISO week", form(("recommend", "9"), ("visited_at", "2026-W01-1T09:15")), 422, "datumu un laiku"),
    Poison("form in utf-16", Post(f"{FORM}; charset=utf-16", "recommend=9".encode("utf-16")), 415, "UTF-8"),
    Poison("form in latin-1", Post(f"{FORM}; charset=latin1", b"recommend=9&improve=%E9"), 415, "UTF-8"),
    Poison("form not utf-8", Post(FORM, b"recommend=9&improve=\xff"), 400, "Veidlapu"),
]


def honest_form(number: int) -> Post:
    return form(("recommend", "9"), ("location", "jelgava"), ("rid", f"honest-form-{number:05d}"))


def honest_json(number: int) -> Post:
    return document({"rid": f"honest-json-{number:05d}", "answers": {"recommend": 10, "extras": ["cake"]}})


def client_for(project: Path, store_url: str) -> TestClient:
    limiter = RateLimiter(per_hour=10**9, burst=10**9)  # every test client posts from one address
    return TestClient(create_app(project, store_url, clock=lambda: JUNE, limiter=limiter), follow_redirects=False)


@pytest.fixture
def client(minimal_project: Path, store_url: str) -> Iterator[TestClient]:
    with client_for(minimal_project, store_url) as test_client:
        yield test_client


def stored_rows(store_url: str, project: Path) -> list[StoredResponse]:
    with ResponseStore.open(store_url, project) as store:
        return list(store.responses())


@pytest.mark.parametrize("poison", POISONS, ids=[poison.name for poison in POISONS])
def test_each_hostile_post_gets_a_clear_4xx_and_stores_nothing(
    client: TestClient, minimal_project: Path, store_url: str, poison: Poison
) -> None:
    answer = poison.post.send(client)
    assert answer.status_code == poison.status, answer.text
    if poison.post.content_type.startswith(JSON):
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["status"] == poison.status
    else:
        assert answer.headers["content-type"].startswith("text/html")
        assert '<html lang="lv">' in answer.text and poison.latvian in answer.text
    assert stored_rows(store_url, minimal_project) == []


def test_poisoned_posts_never_fail_honest_ones_posted_beside_them(
    client: TestClient, minimal_project: Path, store_url: str
) -> None:
    add_refusal_rule(store_url, minimal_project)
    honest = [honest_form(number) if number % 2 else honest_json(number) for number in range(120)]
    posts = [(post, {FORM: 303, JSON: 201}[post.content_type]) for post in honest]
    posts += [(poison.post, poison.status) for poison in POISONS * 2]
    refused_by_the_store = [
        form(("recommend", "9"), ("rid", f"{REFUSED_PREFIX}{number:03d}"))
        if number % 2
        else document({"rid": f"{REFUSED_PREFIX}{number:03d}", "answers": {"recommend": 9}})
        for number in range(20)
    ]
    posts += [(post, 422) for post in refused_by_the_store]
    posts.sort(key=lambda pair: uuid.uuid5(uuid.NAMESPACE_OID, pair[0].body.hex()).hex)  # mixed, the same each run
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(lambda pair: pair[0].send(client).status_code, posts))
    assert statuses == [expected for _, expected in posts]
    rows = stored_rows(store_url, minimal_project)
    expected = {f"honest-form-{number:05d}" if number % 2 else f"honest-json-{number:05d}" for number in range(120)}
    assert sorted(row.id for row in rows) == sorted(expected)
    assert all(storable_problems(row) == [] for row in rows)


# ---- a batch the store itself refuses, and a store that fails --------------------------------


class GatedStore(ResponseStore):
    """The real store, recording each batch; the first waits for `gate`, so that the others queue up behind it."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.gate = threading.Event()
        self.batches: list[list[str]] = []

    def add(self, batch: list[StoredResponse]) -> list[bool]:
        assert self.gate.wait(timeout=60)
        self.batches.append([response.id for response in batch])
        return super().add(batch)


def test_a_batch_the_store_refuses_is_stored_row_by_row_so_only_the_guilty_response_fails(
    store_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ResponseStore.open(store_url, tmp_path).close()
    add_refusal_rule(store_url, tmp_path)
    responses = [
        StoredResponse(f"batch-{number:04d}", "after-visit", "0123456789abcdef", JUNE, "lv", {}, {"recommend": 9})
        for number in range(6)
    ]
    guilty = StoredResponse(
        f"{REFUSED_PREFIX}3", "after-visit", "0123456789abcdef", JUNE, "lv", {}, {"improve": "secret"}
    )
    responses[3] = guilty
    store = GatedStore.open(store_url, tmp_path)
    assert isinstance(store, GatedStore)
    writer = BatchWriter(store)

    async def add_all() -> list[bool | BaseException]:
        added = [asyncio.ensure_future(writer.add(response)) for response in responses]
        asyncio.get_running_loop().call_soon(store.gate.set)  # runs once every add above has queued its response
        return await asyncio.gather(*added, return_exceptions=True)

    with caplog.at_level(logging.WARNING, logger="sitegen.collector"):
        outcomes = run(add_all())
    writer.close()
    store.close()
    assert [outcome is True for outcome in outcomes] == [True, True, True, False, True, True]
    assert isinstance(outcomes[3], ResponseRefused)
    assert any(len(batch) > 1 and guilty.id in batch for batch in store.batches)  # it failed a shared batch...
    assert [guilty.id] in store.batches  # ...and was then tried alone
    assert sorted(row.id for row in stored_rows(store_url, tmp_path)) == sorted(r.id for r in responses if r != guilty)
    assert f"refused response '{REFUSED_PREFIX}3'" in caplog.text
    assert "secret" not in caplog.text  # the database's message quotes the row in later lines: never logged


def test_a_response_the_store_refuses_gets_a_422_in_the_respondents_language(
    client: TestClient, minimal_project: Path, store_url: str
) -> None:
    add_refusal_rule(store_url, minimal_project)
    page = form(("recommend", "9"), ("rid", f"{REFUSED_PREFIX}form")).send(client)
    problem = document({"rid": f"{REFUSED_PREFIX}json", "answers": {"recommend": 9}}).send(client)
    assert page.status_code == problem.status_code == 422
    assert '<html lang="lv">' in page.text and "Jūsu atbildes nevarēja saglabāt tādas" in page.text
    assert problem.json() == {
        "type": "about:blank",
        "title": "Answers not stored",
        "status": 422,
        "detail": "Your answers could not be stored as they were sent. Please check them and send them again.",
    }
    assert stored_rows(store_url, minimal_project) == []


def test_a_store_that_fails_on_its_own_gets_503_then_takes_answers_again(
    client: TestClient, minimal_project: Path, store_url: str
) -> None:
    run_sql(store_url, minimal_project, "ALTER TABLE responses RENAME TO responses_away")
    page, problem = honest_form(1).send(client), honest_json(2).send(client)
    assert page.status_code == problem.status_code == 503
    assert page.headers["retry-after"] == problem.headers["retry-after"] == "30"
    assert '<html lang="lv">' in page.text and "Jūsu atbildes šobrīd nevarēja saglabāt" in page.text
    assert problem.headers["content-type"] == "application/problem+json" and problem.json()["status"] == 503
    run_sql(store_url, minimal_project, "ALTER TABLE responses_away RENAME TO responses")
    assert honest_form(1).send(client).status_code == 303
    assert [row.id for row in stored_rows(store_url, minimal_project)] == ["honest-form-00001"]


# ---- anything at all ---------------------------------------------------------------------------

FIELD_NAMES = [
    "recommend",
    "improve",
    "satisfaction",
    "expectations",
    "channel",
    "effort",
    "extras",
    "visits",
    "visited_at",
    "location",
    "rid",
    "lang",
    "recommend.a",
]
ANY_TEXT = st.text(st.characters(blacklist_categories=()), max_size=20)  # lone surrogates included
LIKELY_VALUES = st.sampled_from(
    ["0", "9", "10", "1_0", " 7 ", "\u0661", "1e1", "friends", "cake", "jelgava", "2026-06-01T09:15", "lv", "en"]
)
NAMES = (st.sampled_from(FIELD_NAMES) | ANY_TEXT).filter(lambda name: name != "_website")  # the honeypot keeps nothing
VALUES = LIKELY_VALUES | ANY_TEXT | st.integers().map(str)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | VALUES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES, inner, max_size=3),
    max_leaves=10,
)
RECOMMEND = st.integers(0, 10)  # the one required answer, so that many bodies can succeed
FORMS = st.builds(
    lambda score, pairs: [("recommend", str(score)), *pairs], RECOMMEND, st.lists(st.tuples(NAMES, VALUES), max_size=4)
)
DOCUMENTS = st.fixed_dictionaries(
    {
        "answers": st.builds(
            lambda score, more: {"recommend": score, **more}, RECOMMEND, st.dictionaries(NAMES, JSON_VALUES, max_size=3)
        )
    },
    optional={
        "rid": st.just(uuid.uuid4().hex) | JSON_VALUES,
        "lang": st.sampled_from(["lv", "en"]) | JSON_VALUES,
        "meta": st.dictionaries(NAMES, JSON_VALUES, max_size=2),
    },
)


@dataclass
class Ledger:
    """What the collector said it stored, over all of a test's examples: ids it named, and posts without a rid.

    Posts without a rid are counted by what they said: the same answers sent again are stored once.
    """

    ids: set[str] = field(default_factory=set)
    without_rid: set[bytes] = field(default_factory=set)


@pytest.fixture
def ledger() -> Ledger:
    return Ledger()


@pytest.fixture
def site(minimal_project: Path) -> Site:
    """The project as the collector reads it, to check each stored row against its survey again."""
    return load_site(minimal_project)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pairs=FORMS,
    body=DOCUMENTS,
    nesting=st.just(0) | st.integers(1, 1200),
    raw=st.binary(max_size=100),
)
def test_any_body_gets_an_answer_below_500_and_every_success_is_exactly_one_valid_row(
    client: TestClient,
    minimal_project: Path,
    store_url: str,
    ledger: Ledger,
    site: Site,
    pairs: list[tuple[str, str]],
    body: dict[str, Any],
    nesting: int,
    raw: bytes,
) -> None:
    if nesting:
        body["answers"]["recommend"] = json.loads(
            "[" * nesting + json.dumps(body["answers"]["recommend"]) + "]" * nesting
        )
    posts = [
        Post(FORM, urlencode(pairs, errors="surrogatepass").encode()),
        Post(JSON, json.dumps(body).encode()),
        Post(FORM, raw),
        Post(JSON, raw),
    ]
    answers = [post.send(client) for post in posts]
    assert all(answer.status_code in (201, 303, 400, 413, 415, 422) for answer in answers), answers
    survey = site.surveys[0].model
    if answers[0].status_code == 303:
        submission = read_form(survey, site.languages, pairs)
        if submission.has_client_id:
            ledger.ids.add(submission.response_id)
        else:
            ledger.without_rid.add(post_key(b"", submission))
    for answer, post in zip(answers, posts, strict=True):
        if answer.status_code == 201:
            submission = read_json(survey, site.languages, json.loads(post.body))
            if submission.has_client_id:
                ledger.ids.add(answer.json()["id"])
            else:
                ledger.without_rid.add(post_key(b"", submission))
    rows = stored_rows(store_url, minimal_project)
    assert len(rows) == len(ledger.ids) + len(ledger.without_rid)
    assert ledger.ids <= {row.id for row in rows}
    for row in rows:
        assert storable_problems(row) == []
        meta = {key: value for key, value in row.meta.items() if key != "user_agent"}
        read_json(survey, site.languages, {"rid": row.id, "lang": row.lang, "meta": meta, "answers": row.answers})
