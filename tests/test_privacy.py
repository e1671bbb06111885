"""The privacy rule across builds: nobody who keeps two builds of an anonymous scorecard can work out one answer."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scorecard_schema import assert_valid

from sitegen import privacy
from sitegen.build import render_site
from sitegen.privacy import Cell, suppress
from sitegen.scorecards import compute_scorecards, metric_csv, scorecard_json
from sitegen.site import Site, load_site
from sitegen.store import ResponseStore, StoredResponse

K = 5
STAFF = """\
id: staff
title: Staff
audience: employee
hidden: {location: [riga, jelgava, ogre], role: [staff, manager]}
questions:
  - {id: recommend, type: nps, label: Recommend}
"""
TEAM = """\
id: team
title: Team
period: PERIOD
metrics:
  - {id: by-location, kind: nps, survey: staff, question: recommend, segments: [location]}
  - {id: by-both, kind: nps, survey: staff, question: recommend, segments: [location, role]}
"""


@dataclass(frozen=True)
class Answer:
    id: str
    day: dt.date
    location: str
    role: str
    score: int

    @property
    def month(self) -> str:
        return self.day.strftime("%Y-%m")


def team_project(project: Path, period: str = "month") -> Path:
    (project / "surveys/staff.yaml").write_text(STAFF, encoding="utf-8")
    (project / "content/scorecards/team.yaml").write_text(TEAM.replace("PERIOD", period), encoding="utf-8")
    return project


def store(project: Path, *answers: Answer) -> None:
    responses = [
        StoredResponse(
            answer.id,
            "staff",
            "v",
            dt.datetime.combine(answer.day, dt.time(10), tzinfo=dt.UTC),
            "en",
            {"location": answer.location, "role": answer.role},
            {"recommend": answer.score},
        )
        for answer in answers
    ]
    with ResponseStore.open("sqlite:///data/responses.sqlite3", project) as kept:
        kept.add(responses)


def document(site: Site, as_of: dt.date) -> dict[str, Any]:
    figures = compute_scorecards(site, as_of)["team"]
    built = dict(json.loads(scorecard_json(figures, "Team")))
    assert_valid(built)  # every build of the one-answer-at-a-time runs keeps to the published schema
    return built


def nps(answers: frozenset[Answer]) -> float:
    return 100 * (sum(a.score >= 9 for a in answers) - sum(a.score <= 6 for a in answers)) / len(answers)


def published_cells(
    metric: dict[str, Any], answers: list[Answer], atoms: set[tuple[str, str, str]]
) -> Iterator[tuple[tuple[str, ...], dict[str, Any], frozenset[Answer]]]:
    """Every published cell of a metric with the answers it must be made of, by the rule as README states it.

    `atoms` collects (segment, period, value) published in a latest-period
    breakdown: the all-periods cell of a value is the union of its atoms.
    """
    published_periods = {row["period"] for row in metric["periods"] if row.get("n")}
    for row in metric["periods"]:
        yield ("period", row["period"]), row, frozenset(a for a in answers if a.month == row["period"])
    overall = frozenset(a for a in answers if a.month in published_periods)
    yield ("overall",), metric["overall"], overall
    latest = metric["latest_period"]
    for name, rows in metric["latest_segments"].items():
        for row in rows:
            if row.get("n"):
                atoms.add((name, latest, row["key"]))
            group = frozenset(a for a in answers if a.month == latest and getattr(a, name) == row["key"])
            yield ("latest", name, latest, row["key"]), row, group
    for name, rows in metric["segments"].items():
        for row in rows:
            group = frozenset(
                a for a in answers if getattr(a, name) == row["key"] and (name, a.month, row["key"]) in atoms
            )
            yield ("segment", name, row["key"]), row, group


def isolable(groups: list[frozenset[Answer]]) -> set[str]:
    """The answers a reader can solve for from these published groups: those whose indicator is in their span."""
    everyone = sorted({a.id for group in groups for a in group})
    if not everyone:
        return set()
    matrix = np.array([[1.0 if any(a.id == i for a in group) else 0.0 for i in everyone] for group in groups])
    rank = np.linalg.matrix_rank(matrix)
    return {
        i
        for column, i in enumerate(everyone)
        if np.linalg.matrix_rank(np.vstack([matrix, np.eye(len(everyone))[column]])) == rank
    }


def answers_one_at_a_time(seed: int) -> list[Answer]:
    rng = random.Random(seed)
    answers, day = [], dt.date(2026, 1, 3)
    while day < dt.date(2026, 4, 25):
        location = rng.choices(["riga", "jelgava", "ogre"], weights=[6, 3, 1])[0]
        role = rng.choices(["staff", "manager"], weights=[4, 1])[0]
        answers.append(Answer(f"a{len(answers):03d}", day, location, role, rng.choice([2, 5, 7, 8, 9, 10, 10])))
        day += dt.timedelta(days=rng.choice([0, 1, 1, 2, 3]))
    return answers


@pytest.mark.parametrize("seed", [1, 2])
def test_consecutive_builds_never_let_one_answer_be_worked_out(minimal_project: Path, seed: int) -> None:
    project = team_project(minimal_project)
    site = load_site(project)
    answers = answers_one_at_a_time(seed)
    atoms: dict[str, set[tuple[str, str, str]]] = {"by-location": set(), "by-both": set()}
    last: dict[tuple[str, ...], tuple[Any, Any, frozenset[Answer]]] = {}
    previous: dict[str, list[frozenset[Answer]]] = {}
    days = [(answer.day, [answer]) for answer in answers] + [(dt.date(2026, 5, 1), [])]
    so_far: list[Answer] = []
    published_anything = 0
    for as_of, new in days:
        store(project, *new)
        so_far += new
        groups: dict[str, list[frozenset[Answer]]] = {}
        for metric in document(site, as_of)["metrics"]:
            groups[metric["id"]] = []
            for key, row, group in published_cells(metric, so_far, atoms[metric["id"]]):
                if not row.get("n"):
                    assert row["value"] is None and (row.get("suppressed") or row.get("pending") or not group), row
                    continue
                # The published figure is made of exactly the answers the rule says.
                assert (row["n"], row["value"]) == (len(group), pytest.approx(nps(group))), (as_of, key, row)
                if (metric["id"], *key) in last and last[metric["id"], *key][:2] != (row["value"], row["n"]):
                    assert len(group ^ last[metric["id"], *key][2]) >= K, (as_of, key)
                last[metric["id"], *key] = (row["value"], row["n"], group)
                groups[metric["id"]].append(group)
            both = groups[metric["id"]] + previous.get(metric["id"], [])
            assert all(len(one ^ other) in (0,) or len(one ^ other) >= K for one in both for other in both)
            assert isolable(both) == set(), (as_of, metric["id"])
            published_anything += len(groups[metric["id"]])
        previous = groups
    assert published_anything > 100


def test_one_more_answer_in_a_published_quarter_changes_nothing(minimal_project: Path) -> None:
    project = team_project(minimal_project, "quarter")
    site = load_site(project)
    rng = random.Random(25)
    first = [Answer(f"q{n:02d}", dt.date(2026, 4, 1 + n), "riga", "staff", rng.choice([3, 4, 5, 9])) for n in range(25)]
    store(project, *first)
    before = document(site, dt.date(2026, 5, 20))["metrics"]
    store(project, Answer("q25", dt.date(2026, 5, 20), "riga", "manager", 10))
    after = document(site, dt.date(2026, 5, 20))["metrics"]
    assert after == before
    quarter = next(row for row in after[0]["periods"] if row["period"] == "2026-Q2")
    assert quarter == {"period": "2026-Q2", "value": None, "partial": True, "pending": True}
    closed = document(site, dt.date(2026, 7, 1))["metrics"][0]
    assert closed["periods"][-2]["n"] == closed["overall"]["n"] == 26


def test_absence_says_no_answers_and_suppression_says_hidden(minimal_project: Path) -> None:
    project = team_project(minimal_project)
    store(
        project,
        *(Answer(f"j{n}", dt.date(2026, 1, 5 + n), "riga", "staff", 9) for n in range(6)),  # January: 6
        *(Answer(f"m{n}", dt.date(2026, 3, 5 + n), "riga", "staff", 9) for n in range(2)),  # March: 2; February: none
        Answer("a0", dt.date(2026, 4, 2), "riga", "staff", 9),  # April is running
    )
    figures = compute_scorecards(load_site(project), dt.date(2026, 4, 3))["team"]
    metric = json.loads(scorecard_json(figures, "Team"))["metrics"][0]
    assert metric["periods"] == [
        {"period": "2026-01", "value": 100.0, "n": 6, "moe": 0.0, "low": pytest.approx(25.92, abs=0.01), "high": 100.0}
        | {"limits": None, "signal": None},
        {"period": "2026-02", "value": None, "n": 0, "limits": None, "signal": None},
        {"period": "2026-03", "value": None, "suppressed": True},
        {"period": "2026-04", "value": None, "partial": True, "pending": True},
    ]
    assert metric["overall"]["n"] == 6  # January only: the hidden March is not in "all periods"
    assert metric["latest_period"] == "2026-03"
    assert metric["latest_segments"] == {"location": [{"key": "riga", "value": None, "suppressed": True}]}
    assert metric["segments"]["location"][0]["n"] == 6
    rows = metric_csv(figures.metric("by-location")).decode().splitlines()  # type: ignore[arg-type]
    assert rows[0].endswith(",suppressed,partial,pending,centre,lower,upper,signal")
    assert "period,2026-02,,0,,,,,,,,,,," in rows and "period,2026-04,,,,,,,,yes,yes,,,," in rows
    assert "location@2026-03,riga,,,,,,,yes,,,,,," in rows
    page = render_site(load_site(project), as_of=dt.date(2026, 4, 3))["intranet/en/scorecards/team/index.html"]
    text = page.decode()
    assert '<th scope="row">2026-02</th><td colspan="3">No answers</td>' in text
    hidden = "Hidden to protect anonymity: fewer than 5 answers here or in a group it would reveal"
    assert f'<th scope="row">2026-03</th><td colspan="3">{hidden}</td>' in text
    assert '(so far)</span></th><td colspan="3">Published when the period closes</td>' in text
    heading = "<h3 data-pagefind-ignore>{}</h3>"  # figures change with every refresh: kept out of the search index
    assert heading.format("2026-03 by location") in text and heading.format("All periods by location") in text
    latvian = render_site(load_site(project), as_of=dt.date(2026, 4, 3))["intranet/lv/scorecards/team/index.html"]
    assert "Nav atbilžu" in latvian.decode() and "Paslēpts anonimitātes dēļ" in latvian.decode()


def test_a_survey_that_is_not_anonymous_keeps_its_running_period_and_shows_no_answers(minimal_project: Path) -> None:
    project = team_project(minimal_project)
    staff = project / "surveys/staff.yaml"
    staff.write_text(staff.read_text(encoding="utf-8").replace("audience: employee", "audience: customer"))
    store(project, *(Answer(f"{m}-{n}", dt.date(2026, m, 5 + n), "riga", "staff", 9) for m in (1, 3) for n in range(6)))
    metric = document(load_site(project), dt.date(2026, 3, 20))["metrics"][0]
    assert [(row["period"], row.get("n"), row.get("suppressed")) for row in metric["periods"]] == [
        ("2026-01", 6, None),
        ("2026-02", 0, None),
        ("2026-03", 6, None),
    ]
    assert metric["overall"]["n"] == 12 and metric["anonymous"] is False
    assert metric["latest_segments"] == {"location": [{"key": "riga", "value": None, "n": 0}]}


def test_no_answers_in_a_breakdown_reveals_no_hidden_group() -> None:
    # Jelgava's "no answers" tells nothing about ogre's 2: riga is hidden with it, and 8 answers cannot be split.
    result = suppress([Cell("riga", 50.0, 6), Cell("jelgava", None, 0), Cell("ogre", 0.0, 2)], K, complementary=True)
    assert [(cell.key, cell.suppressed, cell.has_no_answers) for cell in result] == [
        ("riga", True, False),
        ("jelgava", False, True),
        ("ogre", True, False),
    ]


def test_overlapping_breakdowns_are_hidden_together_when_a_combination_is_small(minimal_project: Path) -> None:
    # February: riga has 6 answers, 5 of them staff, 1 manager. Published riga and staff would differ by one answer.
    project = team_project(minimal_project)
    february = [Answer(f"f{n}", dt.date(2026, 2, 2 + n), "riga", "staff", 9) for n in range(5)]
    february += [Answer("boss", dt.date(2026, 2, 9), "riga", "manager", 0)]
    february += [Answer(f"g{n}", dt.date(2026, 2, 10 + n), "jelgava", "staff", 7) for n in range(5)]
    march = [Answer(f"m{n}", dt.date(2026, 3, 2 + n), "riga", "staff", 10) for n in range(5)]
    store(project, *february, *march)
    metrics = {metric["id"]: metric for metric in document(load_site(project), dt.date(2026, 4, 1))["metrics"]}
    both = metrics["by-both"]
    assert both["segments"]["role"] == [
        {"key": "manager", "value": None, "suppressed": True},
        {"key": "staff", "value": 100.0, "n": 5, "moe": 0.0, "low": pytest.approx(17.49, abs=0.01), "high": 100.0},
    ]  # March only: February's breakdowns are hidden together
    assert both["periods"][0]["n"] == 11
    single = metrics["by-location"]["segments"]["location"]
    assert [(row["key"], row.get("n")) for row in single] == [("jelgava", 5), ("riga", 11)]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["2026-05", "2026-06", "Rīga"]),
            st.integers(0, 3),
            st.one_of(st.floats(allow_nan=True, allow_infinity=False), st.none()),
        ),
        max_size=5,
    ),
    st.sampled_from(["category", "object", "float64"]),
)
def test_a_tables_rows_are_those_iterrows_gives(rows: list[tuple[str, int, float | None]], key_type: str) -> None:
    table = pd.DataFrame(rows, columns=["key", "n", "value"]).astype({"n": "int64"})
    table["key"] = table["key"].astype(key_type) if key_type != "float64" else table["n"].astype("float64")
    expected = [dict(row) for _, row in table.iterrows()]
    found = list(privacy._rows(table))
    assert [list(map(repr, row.values())) for row in found] == [list(map(repr, row.values())) for row in expected]
    assert [str(row["key"]) for row in found] == [str(row["key"]) for row in expected]
