"""`sitegen purge` on SQLite and PostgreSQL: contacts and answers past retention deleted in batches, once."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import event, select

from sitegen.cases.model import CaseOpening
from sitegen.cli import main
from sitegen.retention import purge
from sitegen.scorecards import MetricFigures, compute_scorecards
from sitegen.site import load_site
from sitegen.store import ResponseStore, StoredResponse
from sitegen.store.retention import Cutoffs, purge_survey
from sitegen.store.schema import case_events, cases

UTC = dt.UTC
MINIMAL = Path(__file__).parent / "fixtures" / "minimal"
CONTACTS_BEFORE = dt.datetime(2025, 12, 1, tzinfo=UTC)
ANSWERS_BEFORE = dt.datetime(2023, 6, 1, tzinfo=UTC)
CUTOFFS = Cutoffs("after-visit", ("email",), CONTACTS_BEFORE, ANSWERS_BEFORE)


def at(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, 10, tzinfo=UTC)


def response(
    response_id: str, submitted_at: dt.datetime, case: CaseOpening | None = None, anonymous: bool = False
) -> StoredResponse:
    answers: dict[str, Any] = {"recommend": 3, "email": f"{response_id}@example.com"}
    return StoredResponse(
        response_id, "after-visit", "v1", submitted_at, "lv", {"location": "riga-centre"}, answers, anonymous, case
    )


def opening(moment: dt.datetime) -> CaseOpening:
    summary = {"score": 3, "comment": "Cold", "location": "riga-centre", "language": "lv"}
    return CaseOpening("riga-centre", "lv", summary, "guest@example.com", moment, moment + dt.timedelta(hours=48))


def answers_of(store: ResponseStore, response_id: str) -> dict[str, Any] | None:
    kept = store.get(response_id)
    return None if kept is None else kept.answers


def case_contact(store: ResponseStore, response_id: str) -> str | None:
    case = store.cases.for_response(response_id)
    assert case is not None
    return case.contact


@pytest.fixture
def kept(store: ResponseStore) -> ResponseStore:
    """Answers of 2023 (past answers), of 2025 (past contacts) and of 2026 (kept), some with cases."""
    store.add(
        [
            response("old-1", at(2023, 1, 5), opening(at(2023, 1, 5))),
            response("old-2", at(2023, 5, 31)),
            response("mid-1", at(2025, 6, 1)),
            response("mid-open", at(2025, 3, 1), opening(at(2025, 3, 1))),
            response("mid-closed", at(2025, 3, 2), opening(at(2025, 3, 2))),
            response("mid-closed-late", at(2025, 3, 3), opening(at(2025, 3, 3))),
            response("new-1", at(2026, 5, 1)),
        ]
    )
    for response_id, closed in (("mid-closed", at(2025, 3, 4)), ("mid-closed-late", at(2026, 1, 10))):
        case = store.cases.for_response(response_id)
        assert case is not None
        store.cases.add_step(case.id, "dismissed", "manager@example.com", at=closed)
    return store


def test_answers_past_retention_go_whole_with_their_case_and_its_history(kept: ResponseStore) -> None:
    old_case = kept.cases.for_response("old-1")
    assert old_case is not None
    report = purge_survey(kept.engine, CUTOFFS)
    assert (report.responses, report.cases) == (2, 1)
    assert kept.get("old-1") is None and kept.get("old-2") is None and kept.cases.for_response("old-1") is None
    with kept.engine.connect() as connection:
        assert connection.scalars(select(case_events.c.case_id).where(case_events.c.case_id == old_case.id)).all() == []
    assert kept.count() == 5


def test_contacts_past_retention_are_dropped_and_the_answers_kept(kept: ResponseStore) -> None:
    report = purge_survey(kept.engine, CUTOFFS)
    assert answers_of(kept, "mid-1") == {"recommend": 3}
    assert answers_of(kept, "new-1") == {"recommend": 3, "email": "new-1@example.com"}
    assert (report.contacts, report.case_contacts) == (2, 1)  # mid-1 and mid-closed; the case of mid-closed


def test_an_open_case_keeps_its_contact_until_it_closes(kept: ResponseStore) -> None:
    purge_survey(kept.engine, CUTOFFS)
    assert answers_of(kept, "mid-open") == {"recommend": 3, "email": "mid-open@example.com"}
    assert case_contact(kept, "mid-open") == "guest@example.com"
    assert answers_of(kept, "mid-closed") == {"recommend": 3} and case_contact(kept, "mid-closed") is None
    # Closed after the cutoff: kept for its full time from the closing.
    assert answers_of(kept, "mid-closed-late") == {"recommend": 3, "email": "mid-closed-late@example.com"}
    assert case_contact(kept, "mid-closed-late") == "guest@example.com"


def test_answers_past_retention_take_an_open_case_with_them(kept: ResponseStore) -> None:
    report = purge_survey(kept.engine, Cutoffs("after-visit", ("email",), None, at(2025, 3, 2)))
    assert (report.responses, report.cases) == (3, 2)  # old-1, old-2 and mid-open (its case open)
    assert kept.cases.for_response("mid-open") is None and kept.get("mid-open") is None


def test_a_second_purge_deletes_nothing(kept: ResponseStore) -> None:
    assert not purge_survey(kept.engine, CUTOFFS).is_nothing
    again = purge_survey(kept.engine, CUTOFFS)
    assert again.is_nothing and again.survey_id == "after-visit"


def test_a_dry_run_counts_what_a_purge_deletes_and_deletes_nothing(kept: ResponseStore) -> None:
    before = [kept_response.answers for kept_response in kept.responses()]
    dry = purge_survey(kept.engine, CUTOFFS, dry_run=True)
    assert [kept_response.answers for kept_response in kept.responses()] == before
    assert case_contact(kept, "mid-closed") == "guest@example.com"
    real = purge_survey(kept.engine, CUTOFFS)
    assert dry == real and (dry.responses, dry.cases, dry.contacts, dry.case_contacts) == (2, 1, 2, 1)


def test_other_surveys_are_left_alone(kept: ResponseStore) -> None:
    assert purge_survey(kept.engine, Cutoffs("other-survey", ("email",), CONTACTS_BEFORE, ANSWERS_BEFORE)).is_nothing
    assert kept.count() == 7


def test_rows_are_deleted_a_batch_at_a_time_each_in_its_own_transaction(store: ResponseStore) -> None:
    store.add([response(f"old-{number}", at(2022, 1, number + 1)) for number in range(5)])
    deletes: list[int] = []
    commits: list[int] = []

    def on_execute(connection: Any, clause: Any, parameters: Any, *args: Any) -> None:
        if clause.is_delete and clause.table.name == "responses":
            deletes.append(1)

    def on_commit(connection: Any) -> None:
        commits.append(len(deletes))

    event.listen(store.engine, "before_execute", on_execute)
    event.listen(store.engine, "commit", on_commit)
    try:
        report = purge_survey(store.engine, Cutoffs("after-visit", answers_before=ANSWERS_BEFORE), batch_size=2)
    finally:
        event.remove(store.engine, "before_execute", on_execute)
        event.remove(store.engine, "commit", on_commit)
    assert report.responses == 5 and store.count() == 0
    assert commits == [1, 2, 3, 3]  # 2 + 2 + 1 rows, each batch committed before the next; then none is left


def test_contacts_are_dropped_a_batch_at_a_time(store: ResponseStore) -> None:
    store.add([response(f"mid-{number}", at(2025, 1, number + 1)) for number in range(5)])
    report = purge_survey(store.engine, Cutoffs("after-visit", ("email",), CONTACTS_BEFORE), batch_size=2)
    assert report.contacts == 5 and all(kept.answers == {"recommend": 3} for kept in store.responses())


def test_anonymous_answers_go_by_their_own_cutoff_and_lose_their_contacts_too(store: ResponseStore) -> None:
    days = [at(2025, 5, 30), at(2025, 5, 31), at(2025, 6, 1), at(2025, 6, 20)]
    store.add([response(f"anon-{number}", day, anonymous=True) for number, day in enumerate(days)])
    cutoffs = Cutoffs("after-visit", ("email",), at(2025, 6, 10), anonymous_before=dt.datetime(2025, 6, 1, tzinfo=UTC))
    report = purge_survey(store.engine, cutoffs, batch_size=1)
    assert (report.anonymous, report.responses, report.contacts) == (2, 0, 1)
    assert sorted(kept.answers.get("email", "-") for kept in store.responses()) == ["-", "anon-3@example.com"]


def test_a_case_closed_long_ago_loses_its_contact_even_if_the_answer_had_none(store: ResponseStore) -> None:
    store.add([response("mid-1", at(2025, 1, 1), opening(at(2025, 1, 1)))])
    with store.engine.connect() as connection:
        [case_id] = connection.scalars(select(cases.c.id)).all()
    store.cases.add_step(case_id, "dismissed", "manager@example.com", at=at(2025, 1, 2))
    report = purge_survey(store.engine, Cutoffs("after-visit", (), CONTACTS_BEFORE))
    assert (report.contacts, report.case_contacts) == (0, 1) and case_contact(store, "mid-1") is None


# ---- the whole site and the command -------------------------------------------------------------------

SURVEY_END = "    label: {lv: Apmeklējuma laiks, en: Time of your visit}\n"
RETENTION = (
    "  - {id: email, type: email, label: {lv: E-pasts, en: E-mail}}\n"
    "retention: {contacts: 180 days, answers: 3 years}\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """The minimal site, its survey asking for an e-mail kept 180 days and answers kept 3 years, with answers stored."""
    root = tmp_path / "minimal"
    shutil.copytree(MINIMAL, root)
    survey = root / "surveys" / "after-visit.yaml"
    survey.write_text(survey.read_text(encoding="utf-8").replace(SURVEY_END, SURVEY_END + RETENTION), encoding="utf-8")
    with ResponseStore.open("sqlite:///data/responses.sqlite3", root) as store:
        store.add(
            [response("old-1", at(2023, 1, 5)), response("mid-1", at(2025, 6, 1)), response("new", at(2026, 6, 1))]
        )
    yield root


def sitegen(project: Path, *args: str) -> list[str]:
    result = CliRunner().invoke(main, ["-C", str(project), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_purge_takes_the_sites_retention_at_the_moment_given(project: Path, store_url: str) -> None:
    with ResponseStore.open(store_url, project) as store:
        store.add([response("old-1", at(2023, 1, 5)), response("mid-1", at(2025, 6, 1))])
        site = load_site(project)
        report = purge(store, site, dt.datetime(2026, 6, 15, tzinfo=UTC))
        assert report.lines() == ["after-visit: deleted 1 response; dropped the contacts of 1 response"]
        assert purge(store, site, dt.datetime(2026, 6, 15, tzinfo=UTC)).lines() == [
            "after-visit: nothing past retention",
            "Nothing to purge.",
        ]


def test_the_command_says_what_it_would_delete_then_deletes_it_once(project: Path) -> None:
    would = ["after-visit: would delete 1 response; would drop the contacts of 1 response"]
    assert sitegen(project, "purge", "--dry-run", "--as-of", "2026-06-15") == would
    assert sitegen(project, "purge", "--as-of", "2026-06-15") == [
        "after-visit: deleted 1 response; dropped the contacts of 1 response"
    ]
    assert sitegen(project, "purge", "--as-of", "2026-06-15") == [
        "after-visit: nothing past retention",
        "Nothing to purge.",
    ]
    with ResponseStore.open("sqlite:///data/responses.sqlite3", project) as store:
        assert [(kept.id, "email" in kept.answers) for kept in store.responses()] == [("mid-1", False), ("new", True)]


def test_a_survey_without_retention_is_kept_forever(project: Path) -> None:
    survey = project / "surveys" / "after-visit.yaml"
    survey.write_text(survey.read_text(encoding="utf-8").replace(RETENTION, ""), encoding="utf-8")
    assert sitegen(project, "purge", "--as-of", "2040-01-01") == [
        "after-visit: kept forever (no retention)",
        "Nothing to purge.",
    ]


# ---- anonymous answers and the figures published of them ---------------------------------------------

RIGA = ZoneInfo("Europe/Riga")
ANONYMOUS_AS_OF = dt.date(2026, 6, 20)
"""A year's retention ends on 2025-06-20; the monthly scorecard makes it 2025-06-01."""


def anonymous_answer(number: int, day: dt.date, location: str, score: int) -> StoredResponse:
    midnight = dt.datetime.combine(day, dt.time(), RIGA).astimezone(UTC)  # all an anonymous answer keeps
    meta = {"location": location}
    return StoredResponse(f"staff-{number}", "after-visit", "v", midnight, "en", meta, {"recommend": score}, True)


@pytest.fixture
def anonymous_project(tmp_path: Path) -> Path:
    """The minimal site's survey made anonymous and kept a year, read by its monthly scorecard by location, with
    answers in April to July 2025: every month 6 in Riga and, in May only, 2 in Jelgava (a group too small to
    publish)."""
    root = tmp_path / "minimal"
    shutil.copytree(MINIMAL, root)
    survey = root / "surveys" / "after-visit.yaml"
    text = survey.read_text(encoding="utf-8").replace("audience: customer", "audience: employee")
    text = text.replace("opens: 2026-01-01", "opens: 2025-01-01") + "retention: {answers: 1 year}\n"
    survey.write_text(text, encoding="utf-8")
    answers = []
    for month in (4, 5, 6, 7):
        for number in range(6):
            answers.append(
                anonymous_answer(month * 100 + number, dt.date(2025, month, 3 + 4 * number), "riga-centre", 10 - number)
            )
    answers += [anonymous_answer(900 + number, dt.date(2025, 5, 10), "jelgava", 0) for number in range(2)]
    with ResponseStore.open("sqlite:///data/responses.sqlite3", root) as store:
        store.add(answers)
    return root


def nps_figures(project: Path) -> MetricFigures:
    figures = compute_scorecards(load_site(project), ANONYMOUS_AS_OF)["customer-experience"].metric("nps")
    assert figures is not None and figures.is_anonymous
    return figures


def test_anonymous_answers_go_by_whole_periods_so_no_figure_changes_by_part_of_one(anonymous_project: Path) -> None:
    before = nps_figures(anonymous_project)
    assert [cell.key for cell in before.periods[:5]] == ["2025-04", "2025-05", "2025-06", "2025-07", "2025-08"]
    assert sitegen(anonymous_project, "purge", "--as-of", ANONYMOUS_AS_OF.isoformat()) == [
        "after-visit: deleted 14 anonymous responses"  # April and May, not the days of June before the 20th
    ]
    after = nps_figures(anonymous_project)
    assert [cell.key for cell in after.periods[:2]] == ["2025-06", "2025-07"]
    assert after.periods == before.periods[2:]  # the periods kept publish what they published
    purged = sum(cell.n for cell in before.periods[:2])
    assert before.overall.n - after.overall.n == purged == 14  # two whole published periods, and nothing else
    kept = {cell.key: cell.n for cell in after.segments["location"]}
    lost = {cell.key: cell.n - kept.get(cell.key, 0) for cell in before.segments["location"]}
    # Riga loses April's published cell; May's was hidden with Jelgava's 2 (its complement), so it never counted, and
    # the all-periods cells change by published units only.
    assert lost == {"riga-centre": 6, "jelgava": 0}


def test_on_sqlite_what_a_purge_deletes_is_no_longer_in_the_file(tmp_path: Path) -> None:
    with ResponseStore.open("sqlite:///store.sqlite3", tmp_path) as store:
        store.add([response(f"gone-{number}", at(2022, 1, 1)) for number in range(50)])
        store.add([response("kept-1", at(2026, 1, 1))])
        purge_survey(store.engine, Cutoffs("after-visit", ("email",), CONTACTS_BEFORE, ANSWERS_BEFORE))
        with store.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    stored = (tmp_path / "store.sqlite3").read_bytes()
    assert b"kept-1@example.com" in stored and b"gone-7@example.com" not in stored
