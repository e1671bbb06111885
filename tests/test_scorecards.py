"""Scorecards: the privacy rule, published figures, data files, and what pages may show."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import math
import random
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sitegen import intervals
from sitegen.build import render_site
from sitegen.cases.model import CaseOpening
from sitegen.cli import main
from sitegen.intervals import Interval
from sitegen.privacy import Cell, suppress
from sitegen.render.scorecard_view import metric_charts
from sitegen.scorecards import Comment, _comment_texts, _comments, compute_scorecards, metric_csv, scorecard_json
from sitegen.site import load_site
from sitegen.store import ResponseStore, StoredResponse

MIN = 5
AS_OF = dt.date(2026, 6, 1)
"""June has begun: May is the latest complete period, June the running one."""


def cells(*sizes: int) -> list[Cell]:
    return [Cell(f"g{index}", float(size), size) for index, size in enumerate(sizes)]


def hidden(result: list[Cell]) -> list[str]:
    return [cell.key for cell in result if cell.suppressed]


def test_a_cell_under_the_minimum_publishes_neither_value_nor_n() -> None:
    result = suppress(cells(4, 12, 30), MIN, complementary=False)
    assert hidden(result) == ["g0"]
    assert (result[0].value, result[0].n) == (None, 0)
    assert result[1] == Cell("g1", 12.0, 12)


def test_on_an_anonymous_survey_the_smallest_other_cell_is_hidden_too() -> None:
    # total 46: with only g0 hidden, 46 - 12 - 30 would give g0 away.
    assert hidden(suppress(cells(4, 12, 30), MIN, complementary=True)) == ["g0", "g1"]


def test_hidden_cells_together_must_reach_the_minimum() -> None:
    # g0 + g1 = 3 responses could still be worked out together: add the next smallest.
    assert hidden(suppress(cells(1, 2, 9, 30), MIN, complementary=True)) == ["g0", "g1", "g2"]


def test_responses_outside_every_segment_count_as_a_hidden_group() -> None:
    # 3 responses without a location: total minus the segments would reveal them.
    assert hidden(suppress(cells(8, 12, 30), MIN, complementary=True, unknown_n=3)) == ["g0"]
    assert hidden(suppress(cells(8, 12, 30), MIN, complementary=True, unknown_n=0)) == []


def test_empty_cells_are_not_hidden_and_do_not_force_others_into_hiding() -> None:
    # Three empty quarters between two survey waves hide nobody: they say "no answers".
    assert hidden(suppress(cells(23, 0, 0, 0, 25), MIN, complementary=True)) == []


def test_an_empty_cell_is_no_company_for_a_hidden_one() -> None:
    # Hiding the empty g1 beside g0 would hide nothing more: the next smallest group with answers goes instead.
    assert hidden(suppress(cells(3, 0, 9, 30), MIN, complementary=True)) == ["g0", "g2"]


def test_nothing_more_is_hidden_when_nothing_is_small() -> None:
    assert hidden(suppress(cells(5, 12, 30), MIN, complementary=True)) == []


SCORECARD = """\
id: experience
title: {lv: Pieredze, en: Experience}
metrics:
  - id: nps
    kind: nps
    survey: after-visit
    question: recommend
    segments: [location]
    target: {value: 50, by: 2026-12-31, baseline: 0}
  - {id: visits, kind: count, survey: after-visit}
  - {id: staff-nps, kind: nps, survey: staff, question: recommend, segments: [location]}
"""
STAFF = """\
id: staff
title: Staff
audience: employee
hidden: {location: [riga, jelgava, ogre]}
questions:
  - {id: recommend, type: nps, label: Recommend}
  - {id: why, type: textarea, label: Why, show_if: {question: recommend, lt: 7}}
"""


@pytest.fixture
def project(minimal_project: Path) -> Path:
    (minimal_project / "content/scorecards/customer-experience.yaml").write_text(
        SCORECARD.replace("id: experience", "id: customer-experience"), encoding="utf-8"
    )
    (minimal_project / "surveys/staff.yaml").write_text(STAFF, encoding="utf-8")
    rng = random.Random(7)
    responses = []
    start = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
    for number in range(120):  # 40 a month for March-May, Riga and Jelgava
        moment = start + dt.timedelta(days=number * 92 / 120)
        answers: dict[str, object] = {"recommend": 3 if number == 119 else rng.choice([3, 6, 7, 8, 9, 10, 10])}
        if answers["recommend"] < 9:  # type: ignore[operator]
            answers["improve"] = "<script>alert('x')</script> faster" if number == 119 else f"comment {number}"
        responses.append(
            StoredResponse(
                f"visit-{number:04d}",
                "after-visit",
                "v",
                moment,
                "en",
                {"location": "riga-centre" if number % 4 else "jelgava"},
                answers,
            )
        )
    staff = [
        ("riga", 9),
        ("riga", 10),
        ("riga", 6),
        ("riga", 8),
        ("riga", 9),
        ("riga", 10),
        ("jelgava", 5),
        ("jelgava", 9),
        ("jelgava", 10),
        ("jelgava", 7),
        ("jelgava", 8),
        ("ogre", 3),
        ("ogre", 9),
    ]
    for number, (location, score) in enumerate(staff):
        moment = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
        responses.append(
            StoredResponse(
                f"staff-{number:04d}", "staff", "v", moment, "en", {"location": location}, {"recommend": score}
            )
        )
    with ResponseStore.open("sqlite:///data/responses.sqlite3", minimal_project) as store:
        store.add(responses)
    return minimal_project


def test_figures_are_computed_per_period_and_segment(project: Path) -> None:
    figures = compute_scorecards(load_site(project), AS_OF)["customer-experience"]
    nps = figures.metric("nps")
    assert nps is not None
    assert [cell.key for cell in nps.periods] == ["2026-03", "2026-04", "2026-05", "2026-06"]
    assert [cell.partial for cell in nps.periods] == [False, False, False, True]
    assert sum(cell.n for cell in nps.periods) == nps.overall.n == 120
    assert {cell.key for cell in nps.segments["location"]} == {"jelgava", "riga-centre"}
    assert nps.status in ("met", "on_track", "off_track")
    assert figures.responses == 133


def test_an_anonymous_breakdown_hides_the_small_group_and_its_complement(project: Path) -> None:
    staff = compute_scorecards(load_site(project), AS_OF)["customer-experience"].metric("staff-nps")
    assert staff is not None
    by_location = {cell.key: cell for cell in staff.segments["location"]}
    # ogre has 2 responses; riga (6) and jelgava (5) are published only if ogre cannot be derived:
    # hiding ogre alone leaves 13 - 6 - 5 = 2, so the smallest other group (jelgava, 5) is hidden too.
    assert by_location["ogre"].suppressed and by_location["jelgava"].suppressed
    assert not by_location["riga"].suppressed and by_location["riga"].n == 6


def test_the_data_file_keeps_no_figure_of_a_hidden_cell(project: Path) -> None:
    site = load_site(project)
    figures = compute_scorecards(site, AS_OF)["customer-experience"]
    document = json.loads(scorecard_json(figures, "Experience"))
    assert document["id"] == "customer-experience" and document["generated_from"] == {"responses": 133}
    staff = next(metric for metric in document["metrics"] if metric["id"] == "staff-nps")
    ogre = next(row for row in staff["segments"]["location"] if row["key"] == "ogre")
    assert ogre == {"key": "ogre", "value": None, "suppressed": True}
    nps = document["metrics"][0]
    assert set(nps) == {"id", "kind", "survey", "question", "overall", "target", "periods", "segments"} | {
        "latest_period",
        "latest_segments",
        "anonymous",
        "control",
    }
    assert set(nps["overall"]) == {"value", "n", "moe", "low", "high"} and nps["target"]["by"] == "2026-12-31"
    csv_text = metric_csv(figures.metric("staff-nps")).decode()  # type: ignore[arg-type]
    assert "location,ogre,,,,,,,yes,,,,,," in csv_text


def test_a_count_on_a_survey_that_is_not_anonymous_is_never_hidden(project: Path) -> None:
    site = load_site(project)
    visits = compute_scorecards(site, AS_OF)["customer-experience"].metric("visits")
    assert visits is not None and all(not cell.suppressed for cell in visits.periods)


def test_the_page_escapes_comments_and_shows_no_hidden_figure(project: Path) -> None:
    files = {path: content.decode() for path, content in render_site(load_site(project), as_of=AS_OF).items()}
    page = files["intranet/en/scorecards/customer-experience/index.html"]
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; faster" in page
    hidden_text = "Hidden to protect anonymity: fewer than 5 answers here or in a group it would reveal"
    assert f'<th scope="row">ogre</th><td colspan="3">{hidden_text}</td>' in page
    spec_texts = [json.loads(spec.replace("&#34;", '"').replace("&amp;", "&")) for spec in _specs(page)]
    assert all("ogre" not in json.dumps(spec) for spec in spec_texts)
    assert "intranet/scorecards/customer-experience/scorecard.json" in files
    assert "intranet/static/vega.js" in files and "https://" not in files["intranet/static/charts.js"]


def _specs(page: str) -> list[str]:
    import re

    return re.findall(r'data-spec="([^"]*)"', page)


def test_a_standard_shows_its_metrics_latest_value(project: Path) -> None:
    standard = project / "content/standards/greeting.yaml"
    text = standard.read_text(encoding="utf-8")
    assert "measured_by:" in text
    files = {path: content.decode() for path, content in render_site(load_site(project), as_of=AS_OF).items()}
    page = files["intranet/en/standards/greeting/index.html"]
    assert "How we are doing" in page


@pytest.fixture
def autumn(minimal_project: Path) -> Path:
    """After-visit answers for September to 1 December 2026 (Riga time): 40 a month, 7 detractors on 1 December."""
    visits = []
    for month in (9, 10, 11):
        for day in range(1, 31):  # 30 days, some promoters every day
            for number, score in enumerate([10, 9, 10, 6] if day % 3 else [10, 8]):
                moment = dt.datetime(2026, month, day, 10 + number, tzinfo=dt.UTC)
                visits.append((moment, score))
    visits += [(dt.datetime(2026, 12, 1, 8, number, tzinfo=dt.UTC), 3) for number in range(7)]
    responses = [
        StoredResponse(
            f"autumn-{index:04d}", "after-visit", "v", moment, "en", {"location": "riga-centre"}, {"recommend": score}
        )
        for index, (moment, score) in enumerate(visits)
    ]
    with ResponseStore.open("sqlite:///data/responses.sqlite3", minimal_project) as store:
        store.add(responses)
    return minimal_project


def test_the_headline_and_status_speak_of_the_latest_complete_period(autumn: Path) -> None:
    files = render_site(load_site(autumn), as_of=dt.date(2026, 12, 1))
    document = json.loads(files["intranet/scorecards/customer-experience/scorecard.json"])
    assert document["as_of"] == "2026-12-01" and document["latest_complete"] == "2026-11"
    nps = document["metrics"][0]
    november, december = nps["periods"][-2:]
    assert (november["period"], november["value"], november["n"]) == ("2026-11", pytest.approx(50), 100)
    assert november["moe"] == pytest.approx(15.8, abs=0.1) and "partial" not in november
    assert (december["period"], december["value"], december["n"], december["partial"]) == ("2026-12", -100, 7, True)
    assert nps["target"]["status"] == "met"  # November's 50 meets the target of 50; December's -100 is not judged
    page = files["intranet/en/scorecards/customer-experience/index.html"].decode()
    assert '<span class="headline-value">50</span>' in page and "2026-11 · n = 100" in page
    assert "As of December 1, 2026" in page and '2026-12 <span class="partial">(so far)</span>' in page
    standard = files["intranet/en/standards/greeting/index.html"].decode()
    assert "in 2026-11" in standard and "Target met" in standard


def test_an_earlier_as_of_day_rebuilds_that_day_without_later_answers(autumn: Path) -> None:
    figures = compute_scorecards(load_site(autumn), dt.date(2026, 10, 15))["customer-experience"]
    nps = figures.metric("nps")
    assert nps is not None and nps.latest is not None
    assert nps.latest.key == "2026-09" and nps.latest.n == 100 and nps.status == "met"
    october = nps.periods[-1]
    assert october.key == "2026-10" and october.partial and october.n == 50
    assert figures.responses == nps.overall.n == 150


def test_two_builds_as_of_the_same_day_are_byte_identical(autumn: Path) -> None:
    def build() -> dict[str, bytes]:
        CliRunner().invoke(main, ["-C", str(autumn), "build", "--as-of", "2026-10-15"], catch_exceptions=False)
        return {path.relative_to(autumn).as_posix(): path.read_bytes() for path in (autumn / "output").rglob("*.*")}

    first, second = build(), build()
    assert first == second
    assert json.loads(first["output/intranet/scorecards/customer-experience/scorecard.json"])["as_of"] == "2026-10-15"


CHECKS_SURVEY = """\
id: checks
title: Checks
audience: customer
questions:
  - {id: score, type: nps, label: Recommend}
  - {id: rating, type: rating, points: 5, label: Satisfied}
  - {id: effort, type: likert, points: 7, label: Easy}
  - id: pick
    type: single
    label: Again
    choices: [{id: "yes", label: "Yes"}, {id: "no", label: "No"}]
  - {id: amount, type: number, min: 0, max: 100, label: Amount}
  - {id: start, type: datetime, label: Start}
  - {id: end, type: datetime, label: End}
"""
CHECKS_SCORECARD = """\
id: checks
title: Checks
period: month
metrics:
  - {id: nps, kind: nps, survey: checks, question: score}
  - {id: csat, kind: csat, survey: checks, question: rating}
  - {id: ces, kind: ces, survey: checks, question: effort}
  - {id: mean, kind: mean, survey: checks, question: amount}
  - {id: share, kind: share, survey: checks, question: pick, equals: "yes"}
  - {id: count, kind: count, survey: checks}
  - {id: duration, kind: duration, survey: checks, start: start, end: end, unit: hours}
"""
CHECK_ANSWERS = {  # per month: (score, rating, effort, pick, amount, hours)
    "2026-01": [(10, 5, 7, "yes", 3, 2.0)],  # n = 1
    "2026-02": [(10, 5, 7, "yes", number, number + 1.0) for number in range(10)],  # 100 %
    "2026-03": [(0, 1, 1, "no", 5, 2.0 + number / 4) for number in range(10)],  # 0 %
    "2026-04": [
        (score, 1 + number % 5, 1 + number % 7, "yes" if number % 3 else "no", number * 2, 0.5 * number)
        for number, score in enumerate([10, 9, 8, 7, 6, 3, 10, 9, 10, 5, 8, 9])
    ],
}


def _expected_interval(metric_id: str, answers: list[tuple[int, int, int, str, int, float]]) -> Interval | None:
    """The interval `sitegen.intervals` gives for one period's answers, counted here from the answers themselves."""
    scores, ratings, efforts, picks, amounts, hours = (list(column) for column in zip(*answers, strict=True))
    n = len(answers)

    def spread(values: list[int]) -> tuple[float, float]:
        return float(np.mean(values)), float(np.std(values, ddof=1)) if n > 1 else math.nan

    return {
        "nps": lambda: intervals.nps_interval(sum(s >= 9 for s in scores), sum(s <= 6 for s in scores), n),
        "csat": lambda: intervals.share_interval(sum(r >= 4 for r in ratings), n),
        "ces": lambda: intervals.mean_interval(*spread(efforts), n, (1, 7)),
        "mean": lambda: intervals.mean_interval(*spread(amounts), n),
        "share": lambda: intervals.share_interval(picks.count("yes"), n),
        "count": lambda: intervals.count_interval(n),
        "duration": lambda: intervals.median_interval(hours),
    }[metric_id]()


@pytest.fixture
def checks(minimal_project: Path) -> Path:
    """A scorecard of every kind with intervals over months of 1 answer, all top, all bottom, and a mix."""
    config = minimal_project / "sitegen.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("min_group_size: 5", "min_group_size: 1"))
    (minimal_project / "surveys/checks.yaml").write_text(CHECKS_SURVEY, encoding="utf-8")
    (minimal_project / "content/scorecards/checks.yaml").write_text(CHECKS_SCORECARD, encoding="utf-8")
    responses = []
    for month, answers in CHECK_ANSWERS.items():
        for number, (score, rating, effort, pick, amount, hours) in enumerate(answers):
            start = dt.datetime.fromisoformat(f"{month}-10T09:00") + dt.timedelta(days=number)
            values = {"score": score, "rating": rating, "effort": effort, "pick": pick, "amount": amount}
            values |= {"start": start.isoformat(), "end": (start + dt.timedelta(hours=hours)).isoformat()}
            moment = start.replace(tzinfo=dt.UTC)
            responses.append(StoredResponse(f"{month}-{number}", "checks", "v", moment, "en", {}, values))
    with ResponseStore.open("sqlite:///data/responses.sqlite3", minimal_project) as store:
        store.add(responses)
    return minimal_project


@pytest.mark.parametrize("metric_id", ["nps", "csat", "ces", "mean", "share", "count", "duration"])
def test_each_published_cell_has_the_interval_of_its_kind(checks: Path, metric_id: str) -> None:
    files = render_site(load_site(checks), as_of=dt.date(2026, 5, 1))
    document = json.loads(files["intranet/scorecards/checks/scorecard.json"])
    metric = next(entry for entry in document["metrics"] if entry["id"] == metric_id)
    rows = {row["period"]: row for row in metric["periods"]}
    csv_rows = {
        row["key"]: row
        for row in csv.DictReader(io.StringIO(files[f"intranet/scorecards/checks/{metric_id}.csv"].decode()))
    }
    for month, answers in CHECK_ANSWERS.items():
        expected = _expected_interval(metric_id, answers)
        published = (rows[month]["low"], rows[month]["high"]) if "low" in rows[month] else None
        assert published == (None if expected is None else pytest.approx(expected)), (month, rows[month])
        in_csv = (float(csv_rows[month]["low"]), float(csv_rows[month]["high"])) if csv_rows[month]["low"] else None
        assert in_csv == published


def test_intervals_at_the_edges_on_a_scorecard(checks: Path) -> None:
    figures = compute_scorecards(load_site(checks), dt.date(2026, 5, 1))["checks"]

    def interval(metric_id: str, month: str) -> tuple[float | None, float | None]:
        cell = next(cell for cell in figures.metric(metric_id).periods if cell.key == month)  # type: ignore[union-attr]
        return cell.low, cell.high

    assert interval("share", "2026-02") == (pytest.approx(72.25, abs=0.01), 100.0)  # 10 of 10
    assert interval("share", "2026-03") == (0.0, pytest.approx(27.75, abs=0.01))  # 0 of 10
    assert interval("share", "2026-01") == (pytest.approx(20.65, abs=0.01), 100.0)  # 1 of 1
    assert interval("nps", "2026-01") == (pytest.approx(-48.5, abs=0.1), 100.0)
    assert interval("mean", "2026-01") == (None, None) and interval("duration", "2026-01") == (None, None)
    assert interval("count", "2026-01") == (pytest.approx(0.0253, abs=1e-4), pytest.approx(5.572, abs=1e-3))
    files = render_site(load_site(checks), as_of=dt.date(2026, 5, 1))
    page, latvian = (files[f"intranet/{lang}/scorecards/checks/index.html"].decode() for lang in ("en", "lv"))
    assert "2026-04 · n = 12 · 95% interval 39\u00a0% to 86\u00a0%" in page  # the headline: April's 8 of 12, Wilson
    assert "<td>100\u00a0%</td><td>72\u00a0% to 100\u00a0%</td><td>10</td>" in page  # February in the period table
    assert "95% intervāls no 39\u00a0% līdz 86\u00a0%" in latvian


def test_the_trend_band_is_the_interval_even_at_zero_percent(checks: Path) -> None:
    share = compute_scorecards(load_site(checks), dt.date(2026, 5, 1))["checks"].metric("share")
    assert share is not None
    trend = metric_charts(share).trend
    assert trend is not None
    points = {point["period"]: point for dataset in json.loads(trend.spec)["datasets"].values() for point in dataset}
    assert (points["2026-03"]["low"], points["2026-03"]["high"]) == (0.0, pytest.approx(27.75, abs=0.01))


# Response rate: answers per receipts of a data file -----------------------------------------------------------

RATE_SCORECARD = """\
id: customer-experience
title: {lv: Pieredze, en: Experience}
metrics:
  - {id: nps, kind: nps, survey: after-visit, question: recommend}
  - {id: rate, kind: response_rate, survey: after-visit, data: data/receipts.csv, segments: [location]}
  - {id: top, kind: top_box, survey: after-visit, question: satisfaction, top: 1}
"""


def _rate_project(project: Path, *, anonymous: bool = False) -> Path:
    """Receipts for 1 April - 1 June 2026 at two cafés; answers in Riga only, the last of them after the as-of day."""
    (project / "content/scorecards/customer-experience.yaml").write_text(RATE_SCORECARD, encoding="utf-8")
    if anonymous:
        survey = project / "surveys/after-visit.yaml"
        survey.write_text(survey.read_text(encoding="utf-8").replace("audience: customer", "audience: employee"))
    days = [dt.date(2026, 4, 1) + dt.timedelta(days=number) for number in range(62)]
    lines = ["date,location,count"] + [f"{day},{place},10" for day in days for place in ("riga-centre", "jelgava")]
    (project / "data/receipts.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # Riga: 1 answer a day in April (30 of 300 receipts), 3 in May (of 310); one more late on 1 June, Riga time.
    moments = [dt.datetime(2026, 4, 1, 10, tzinfo=dt.UTC) + dt.timedelta(days=number) for number in range(30)]
    moments += [dt.datetime(2026, 5, 10, 10, tzinfo=dt.UTC) + dt.timedelta(days=number) for number in range(3)]
    moments += [dt.datetime(2026, 6, 1, 21, 30, tzinfo=dt.UTC)]  # 00:30 on 2 June in Riga: after the as-of day
    responses = [
        StoredResponse(f"r{number}", "after-visit", "v", moment, "en", {"location": "riga-centre"}, {"satisfaction": 5})
        for number, moment in enumerate(moments)
    ]
    with ResponseStore.open("sqlite:///data/responses.sqlite3", project) as store:
        store.add(responses)
    return project


def test_a_response_rate_divides_answers_by_receipts_per_period_and_location(minimal_project: Path) -> None:
    rate = compute_scorecards(load_site(_rate_project(minimal_project)), AS_OF)["customer-experience"].metric("rate")
    assert rate is not None
    by_period = {cell.key: cell for cell in rate.periods}
    assert (by_period["2026-04"].value, by_period["2026-04"].n) == (pytest.approx(100 * 30 / 600), 600)
    assert (by_period["2026-05"].value, by_period["2026-05"].n) == (pytest.approx(100 * 3 / 620), 620)
    # The as-of day (1 June) counts its receipts; the answer of 2 June (Riga time) is not counted yet.
    assert by_period["2026-06"].partial and (by_period["2026-06"].value, by_period["2026-06"].n) == (0.0, 20)
    by_location = {cell.key: cell for cell in rate.segments["location"]}
    assert by_location["jelgava"].value == 0.0 and by_location["jelgava"].n == 620
    assert by_location["riga-centre"].value == pytest.approx(100 * 33 / 620)
    assert (by_location["riga-centre"].low, by_location["riga-centre"].high) == pytest.approx(
        intervals.share_interval(33, 620)
    )
    document = json.loads(
        scorecard_json(compute_scorecards(load_site(minimal_project), AS_OF)["customer-experience"], "x")
    )
    overall = document["metrics"][1]["overall"]
    assert (document["metrics"][1]["data"], overall["n"], overall["responses"]) == ("data/receipts.csv", 1240, 33)


def test_a_response_rate_on_an_anonymous_survey_hides_groups_with_few_answers(minimal_project: Path) -> None:
    site = load_site(_rate_project(minimal_project, anonymous=True))
    rate = compute_scorecards(site, AS_OF)["customer-experience"].metric("rate")
    assert rate is not None
    by_period = {cell.key: cell for cell in rate.periods}
    # May's 3 answers (of 620 receipts) are too few to show, like a count of 3, though 620 receipts stand behind
    # them; April's 30 are published, and "all periods" is April alone, so it does not give May away either.
    assert by_period["2026-05"].suppressed and by_period["2026-04"].value == pytest.approx(100 * 30 / 600)
    assert by_period["2026-06"].pending and rate.overall.value == pytest.approx(100 * 30 / 600)
    by_location = {cell.key: cell for cell in rate.segments["location"]}
    # Riga's all-periods figure is its April cell; Jelgava never had an answer, which hides nobody.
    assert by_location["riga-centre"].value == pytest.approx(100 * 30 / 300) and by_location["jelgava"].has_no_answers
    latest = {cell.key: cell for cell in rate.latest_segments["location"]}
    assert latest["riga-centre"].suppressed and latest["jelgava"].value == 0.0


def test_a_top_box_counts_the_top_points_of_the_question_scale(minimal_project: Path) -> None:
    top = compute_scorecards(load_site(_rate_project(minimal_project)), AS_OF)["customer-experience"].metric("top")
    assert top is not None and (top.overall.value, top.overall.n) == (100.0, 33)


# ---- words, not ids ----------------------------------------------------------------------------------

LABELLED_LOCATION = """\
hidden:
  location:
    label: {lv: Kafejnīca, ru: Кафе, en: Café}
    values:
      riga-centre: {lv: Rīgas centrs, ru: Центр Риги, en: Riga centre}
      jelgava:"""
"""`jelgava` has no label: pages fall back to its id."""
WORDS_SCORECARD = """\
id: customer-experience
title: {lv: Klientu pieredze, ru: Клиентский опыт, en: Customer experience}
metrics:
  - id: nps
    kind: nps
    survey: after-visit
    question: recommend
    segments: [location, channel]
    target: {value: 50, by: 2026-12-31, baseline: 20}
  - {id: visits, kind: count, survey: after-visit, target: {value: 30}}
"""


@pytest.fixture
def words(minimal_project: Path) -> Path:
    """The minimal site in lv, ru and en; location and channel labelled (but not jelgava); 40 answers in May."""
    config = minimal_project / "sitegen.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("[lv, en]", "[lv, ru, en]"), encoding="utf-8")
    survey = minimal_project / "surveys/after-visit.yaml"
    text = survey.read_text(encoding="utf-8").replace("hidden: {location: [riga-centre, jelgava]}", LABELLED_LOCATION)
    text = text.replace("{lv: No draugiem, en: From friends}", "{lv: No draugiem, ru: От друзей, en: From friends}")
    text = text.replace("{lv: Kā jūs mūs atradāt, en:", "{lv: Kā jūs mūs atradāt, ru: Как вы нас нашли, en:")
    survey.write_text(text, encoding="utf-8")
    (minimal_project / "content/scorecards/customer-experience.yaml").write_text(WORDS_SCORECARD, encoding="utf-8")
    responses = [
        StoredResponse(
            f"words-{number:04d}",
            "after-visit",
            "v",
            dt.datetime(2026, 5, 1 + number % 28, 9, tzinfo=dt.UTC),
            "en",
            {"location": "riga-centre" if number % 2 else "jelgava"},
            {"recommend": 9 if number % 3 else 6, "channel": "friends" if number % 4 else "online"},
        )
        for number in range(40)
    ]
    with ResponseStore.open("sqlite:///data/responses.sqlite3", minimal_project) as store:
        store.add(responses)
    return minimal_project


def _scorecard_pages(project: Path) -> dict[str, str]:
    files = render_site(load_site(project), as_of=AS_OF)
    return {lang: files[f"intranet/{lang}/scorecards/customer-experience/index.html"].decode() for lang in LANGS}


LANGS = ("lv", "ru", "en")


@pytest.mark.parametrize(
    ("lang", "location_heading", "channel_heading", "riga", "friends"),
    [
        (
            "lv",
            "Visi periodi pēc pazīmes „kafejnīca”",
            "Visi periodi pēc atbildes uz jautājumu „Kā jūs mūs atradāt”",
            "Rīgas centrs",
            "No draugiem",
        ),
        (
            "ru",
            "Все периоды по признаку «кафе»",
            "Все периоды по ответу на вопрос «Как вы нас нашли»",
            "Центр Риги",
            "От друзей",
        ),
        (
            "en",
            "All periods by café",
            "All periods by the answer to “How did you find us”",
            "Riga centre",
            "From friends",
        ),
    ],
)
def test_a_breakdown_is_titled_and_its_rows_named_by_labels_in_each_language(
    words: Path, lang: str, location_heading: str, channel_heading: str, riga: str, friends: str
) -> None:
    page = html.unescape(_scorecard_pages(words)[lang])
    heading = "<h3 data-pagefind-ignore>{}</h3>"  # figures change with every refresh: kept out of the search index
    assert heading.format(location_heading) in page and heading.format(channel_heading) in page
    assert f'<th scope="row">{riga}</th>' in page and f'<th scope="row">{friends}</th>' in page
    assert '<th scope="row">riga-centre</th>' not in page and '<th scope="row">friends</th>' not in page
    specs = [json.loads(html.unescape(spec)) for spec in _specs(_scorecard_pages(words)[lang])]
    bars = [spec for spec in specs if spec.get("encoding", {}).get("y", {}).get("field") == "key"]
    keys = {row["key"] for spec in bars for row in next(iter(spec["datasets"].values()))}
    assert {riga, friends} <= keys and not {"riga-centre", "friends"} & keys


def test_a_value_without_a_label_is_shown_by_its_id(words: Path) -> None:
    for page in _scorecard_pages(words).values():
        assert '<th scope="row">jelgava</th>' in page


@pytest.mark.parametrize(
    ("lang", "nps_target", "visits_target"),
    [
        (
            "lv",
            "50, termiņš — 2026. gada 31. decembris · sākotnēji 20 · jo augstāk, jo labāk",
            "30 · jo zemāk, jo labāk",
        ),
        ("ru", "50 к 31 декабря 2026\u202fг. · исходно 20 · чем выше, тем лучше", "30 · чем ниже, тем лучше"),
        ("en", "50 by December 31, 2026 · from 20 · higher is better", "30 · lower is better"),
    ],
)
def test_a_target_states_its_date_baseline_and_direction(
    words: Path, lang: str, nps_target: str, visits_target: str
) -> None:
    page = _scorecard_pages(words)[lang]
    assert f"<dd>{nps_target} — " in page and f"<dd>{visits_target} — " in page


def test_the_data_file_gives_a_target_its_baseline_and_effective_direction(words: Path) -> None:
    figures = compute_scorecards(load_site(words), AS_OF)["customer-experience"]
    targets = {metric["id"]: metric["target"] for metric in json.loads(scorecard_json(figures, "X"))["metrics"]}
    assert targets["nps"] == {
        "value": 50.0,
        "by": "2026-12-31",
        "baseline": 20.0,
        "direction": "up",
        "status": targets["nps"]["status"],
    }
    assert targets["visits"]["baseline"] is None and targets["visits"]["direction"] == "down"
    segments = json.loads(scorecard_json(figures, "X"))["metrics"][0]["segments"]
    assert {row["key"] for row in segments["location"]} == {"riga-centre", "jelgava"}


# Cases: closed in time and time to close, read from the store's cases

CASES_SCORECARD = """\
id: cases
title: {lv: Gadījumi, en: Cases}
metrics:
  - {id: closed, kind: cases_closed, survey: after-visit, segments: [location]}
  - {id: to-close, kind: time_to_close, survey: after-visit, unit: hours}
"""
CASE_START = dt.datetime(2026, 5, 4, 9, tzinfo=dt.UTC)  # a Monday


@pytest.fixture
def with_cases(minimal_project: Path) -> Path:
    """Seven detractors' cases in May (due in 48 hours): resolved after 1-6 hours, one after 60, one never."""
    survey = minimal_project / "surveys/after-visit.yaml"
    survey.write_text(
        survey.read_text(encoding="utf-8")
        + "  - {id: email, type: email, label: {lv: E-pasts, en: E-mail}}\n"
        + "follow_up: {when: {question: recommend, le: 6}, contact: email, due: 48 hours}\n",
        encoding="utf-8",
    )
    (minimal_project / "content/scorecards/cases.yaml").write_text(CASES_SCORECARD, encoding="utf-8")
    hours: list[float | None] = [1, 2, 3, 4, 6, 60, None]
    with ResponseStore.open("sqlite:///data/responses.sqlite3", minimal_project) as store:
        for number, took in enumerate(hours):
            opened = CASE_START + dt.timedelta(days=number)
            opening = CaseOpening("riga-centre", "en", {}, "a@example.com", opened, opened + dt.timedelta(hours=48))
            store.add(
                [
                    StoredResponse(
                        f"case-{number}",
                        "after-visit",
                        "v",
                        opened,
                        "en",
                        {"location": "riga-centre"},
                        {},
                        False,
                        opening,
                    )
                ]
            )
            if took is not None:
                case = store.cases.for_response(f"case-{number}")
                assert case is not None
                store.cases.add_step(case.id, "contacted", "anna", at=opened + dt.timedelta(minutes=30))
                store.cases.add_step(case.id, "resolved", "anna", at=opened + dt.timedelta(hours=took))
    return minimal_project


def test_cases_closed_and_time_to_close_come_from_the_cases_by_the_month_they_opened(with_cases: Path) -> None:
    figures = compute_scorecards(load_site(with_cases), AS_OF)["cases"]
    closed, to_close = figures.metric("closed"), figures.metric("to-close")
    assert closed is not None and to_close is not None
    # 5 of the 7 in time; one late; one never resolved and past due: 5/7, published whatever the group size.
    assert (closed.overall.n, closed.overall.value) == (7, pytest.approx(100 * 5 / 7))
    assert [segment.key for segment in closed.segments["location"]] == ["riga-centre"]
    assert (to_close.overall.n, to_close.overall.value) == (6, 3.5)
    assert [cell.key for cell in to_close.periods] == ["2026-05", "2026-06"]


def test_a_case_resolved_after_the_as_of_day_was_still_open_on_it(with_cases: Path) -> None:
    # As of 10 May: case 5 (opened on the 9th, resolved on the 11th) was open and not yet due, case 6 too.
    figures = compute_scorecards(load_site(with_cases), dt.date(2026, 5, 10))["cases"]
    closed, to_close = figures.metric("closed"), figures.metric("to-close")
    assert closed is not None and to_close is not None
    assert (closed.overall.n, closed.overall.value) == (5, 100.0)
    assert (to_close.overall.n, to_close.overall.value) == (5, 3.0)


def test_a_detractors_comment_names_its_score_and_cafe_but_an_anonymous_one_only_its_words(project: Path) -> None:
    site = load_site(project)
    figures = compute_scorecards(site, AS_OF)["customer-experience"]
    nps = figures.metric("nps")
    assert nps is not None and nps.comments[0].text.endswith(" faster")
    assert (nps.comments[0].score, nps.comments[0].location) == (3, "riga-centre")  # visit-0119: 3, in Riga
    assert all(comment.score is not None and comment.score <= 6 for comment in nps.comments)
    files = {path: content.decode() for path, content in render_site(site, as_of=AS_OF).items()}
    page = files["intranet/en/scorecards/customer-experience/index.html"]
    assert re.search(r'faster</q> <span class="comment-period">2026-0\d · Score: 3 · riga-centre</span>', page)
    survey = next(source.model for source in site.surveys if source.model.id == "after-visit")
    anonymous = survey.model_copy(update={"anonymous": True})
    frame = pd.DataFrame(
        {"period": ["2026-05"] * 6, "recommend": [2, 3, 4, 5, 6, 10], "improve": [f"words {n}" for n in range(6)]}
        | {"location": ["riga-centre"] * 6}
    )
    texts = _comment_texts(frame, nps.metric, survey)  # type: ignore[arg-type]
    words = _comments(texts, anonymous, 5, len(texts))
    assert [(comment.text, comment.score, comment.location) for comment in words] == [
        (f"words {n}", None, None) for n in (4, 3, 2, 1, 0)
    ]
    assert _comments(texts, survey, 5, len(texts))[0] == Comment("2026-05", "words 4", 6, "riga-centre")
    assert _comments(texts.head(4), anonymous, 5, 4) == []  # fewer than 5 comments: an anonymous survey shows none
