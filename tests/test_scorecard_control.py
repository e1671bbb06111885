"""Control charts on scorecards: limits and signals in the data files, the verdict and its reason on the page."""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import statistics
from collections.abc import Callable
from pathlib import Path

import pytest
from scorecard_schema import assert_valid

from sitegen.build import render_site
from sitegen.metrics import periods_between
from sitegen.scorecards import compute_scorecards, scorecard_json
from sitegen.site import load_site
from sitegen.store import ResponseStore, StoredResponse

AS_OF = dt.date(2026, 6, 1)
"""June 2026 is running, so May is the latest complete period."""
MONTHS = periods_between("2025-01", "2026-05")
SCORECARD = "content/scorecards/customer-experience.yaml"
STABLE = [3, 6, 7, 8, 9, 10, 10, 9, 8, 10]
"""Ten scores that repeat every month: promoters 50 %, detractors 20 %, NPS 30."""


def scores_by_month(last: list[int]) -> dict[str, list[int]]:
    """40 answers a month of the stable mix, shuffled, then `last` in May 2026."""
    rng = random.Random(3)
    months = {month: rng.sample(STABLE * 4, 40) for month in MONTHS[:-1]}
    months[MONTHS[-1]] = last
    return months


def store_scores(project: Path, months: dict[str, list[int]]) -> None:
    responses = []
    for month, scores in months.items():
        year, number = map(int, month.split("-"))
        for index, score in enumerate(scores):
            moment = dt.datetime(year, number, 1 + index % 27, 12, tzinfo=dt.UTC)
            answers = {"recommend": score}
            responses.append(
                StoredResponse(
                    f"{month}-{index:03d}", "after-visit", "v", moment, "en", {"location": "jelgava"}, answers
                )
            )
    with ResponseStore.open("sqlite:///data/responses.sqlite3", project) as store:
        store.add(responses)


def nps_metric(project: Path) -> dict[str, object]:
    figures = compute_scorecards(load_site(project), AS_OF)["customer-experience"]
    document = json.loads(scorecard_json(figures, "Experience"))
    assert_valid(document)
    return next(metric for metric in document["metrics"] if metric["id"] == "nps")  # type: ignore[no-any-return]


@pytest.fixture
def improved(minimal_project: Path) -> Path:
    """16 stable months, then a May of 40 promoters: far above the limits."""
    store_scores(minimal_project, scores_by_month([10] * 40))
    return minimal_project


def test_each_period_has_limits_from_the_first_twelve_and_the_jump_is_a_signal(improved: Path) -> None:
    metric = nps_metric(improved)
    periods = metric["periods"]
    assert isinstance(periods, list) and [row["period"] for row in periods] == [*MONTHS, "2026-06"]
    assert metric["control"] == {"chart": "xbar", "baseline": MONTHS[:12], "assessment": "improving"}
    may = periods[-2]
    assert may["signal"] == {"direction": "up", "rule": "beyond_limits"} and may["value"] == 100
    assert all(row["signal"] is None for row in periods[:-2])
    assert periods[-1]["partial"] is True and periods[-1].get("signal") is None


def test_the_limits_are_those_plain_python_computes_from_the_baseline_answers(improved: Path) -> None:
    """x-bar chart: centre = mean score (+100/0/-100) of the baseline; sigma = pooled sd / (c4(n) sqrt(n))."""
    months = scores_by_month([10] * 40)
    as_scores = {m: [100 if s >= 9 else -100 if s <= 6 else 0 for s in scores] for m, scores in months.items()}
    baseline = [as_scores[month] for month in MONTHS[:12]]
    centre = statistics.fmean(score for month in baseline for score in month)
    pooled = sum((len(m) - 1) * statistics.variance(m) for m in baseline) / sum(len(m) - 1 for m in baseline)
    n = 40
    c4 = math.sqrt(2 / (n - 1)) * math.gamma(n / 2) / math.gamma((n - 1) / 2)
    sigma = math.sqrt(pooled) / (c4 * math.sqrt(n))
    limits = nps_metric(improved)["periods"][5]["limits"]  # type: ignore[index]
    assert (limits["centre"], limits["lower"], limits["upper"]) == pytest.approx(
        (centre, centre - 3 * sigma, centre + 3 * sigma)
    )


def test_a_rise_in_a_metric_where_lower_is_better_is_worsening(improved: Path) -> None:
    path = improved / SCORECARD
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("baseline: 30}", "baseline: 30, direction: down}"), encoding="utf-8")
    assert nps_metric(improved)["control"]["assessment"] == "worsening"  # type: ignore[index]


def test_a_stable_may_is_no_signal_and_a_short_history_is_too_early(minimal_project: Path) -> None:
    months = scores_by_month(random.Random(4).sample(STABLE * 4, 40))
    store_scores(minimal_project, months)
    assert nps_metric(minimal_project)["control"]["assessment"] == "no_signal"  # type: ignore[index]


def test_with_fewer_than_eight_periods_there_are_no_limits(minimal_project: Path) -> None:
    months = scores_by_month([10] * 40)
    store_scores(minimal_project, {month: months[month] for month in MONTHS[-7:]})
    metric = nps_metric(minimal_project)
    assert metric["control"]["assessment"] == "no_limits"  # type: ignore[index]
    assert all(row.get("limits") is None for row in metric["periods"])  # type: ignore[attr-defined]


def test_a_declared_baseline_and_a_break_move_the_limits(improved: Path) -> None:
    path = improved / SCORECARD
    text = path.read_text(encoding="utf-8")
    control = "\n    control: {from: 2025-03, to: 2025-12, breaks: [2026-05]}"
    path.write_text(text.replace("baseline: 30}", "baseline: 30}" + control), encoding="utf-8")
    metric = nps_metric(improved)
    assert metric["control"]["baseline"] == MONTHS[2:12]  # type: ignore[index]
    # From the break on, a new segment needs 8 periods of its own: May has no limits, so no verdict.
    assert metric["periods"][-2]["limits"] is None and metric["control"]["assessment"] == "no_limits"  # type: ignore[index]


def test_a_suppressed_period_publishes_no_limits(improved: Path) -> None:
    months = scores_by_month([10] * 40)
    months[MONTHS[4]] = [9, 9]  # May 2025: two answers, under the minimum of 5
    (improved / "data/responses.sqlite3").unlink()
    store_scores(improved, months)
    row = nps_metric(improved)["periods"][4]  # type: ignore[index]
    assert row == {"period": MONTHS[4], "value": None, "suppressed": True}


def test_the_page_says_improving_and_why_in_every_language(improved: Path) -> None:
    files = {path: content.decode() for path, content in render_site(load_site(improved), as_of=AS_OF).items()}
    english = files["intranet/en/scorecards/customer-experience/index.html"]
    assert 'class="badge-assessment assessment-improving">Improving</span>' in english
    assert "2026-05 is above the range ordinary variation gives (" in english
    latvian = files["intranet/lv/scorecards/customer-experience/index.html"]
    assert "Uzlabojas" in latvian and "2026-05 ir virs parastās svārstības robežām" in latvian


@pytest.mark.parametrize(
    ("control", "message"),
    [
        (
            "{from: 2025-Q1}",
            "metrics[0].control.from: '2025-Q1' is not a month: this scorecard's periods look like 2026-05",
        ),
        ("{from: 2025-13}", "metrics[0].control.from: must be a period such as 2026-W18, 2026-05 or 2026-Q2"),
        (
            "{from: 2025-06, to: 2025-01}",
            "metrics[0].control.to: the baseline ends (2025-01) before it starts (2025-06)",
        ),
        ("{to: 2025-06}", "metrics[0].control: 'to' needs a 'from'"),
        ("{breaks: [2026-W05]}", "metrics[0].control.breaks[0]: '2026-W05' is not a month"),
        ("{chart: xbar}", "metrics[0].control.chart: expected one of xmr"),
    ],
)
def test_control_settings_are_checked(
    minimal_project: Path, problems: Callable[..., list[str]], control: str, message: str
) -> None:
    found = problems(minimal_project, (SCORECARD, "baseline: 30}", f"baseline: 30}}\n    control: {control}"))
    assert len(found) == 1 and message in found[0] and found[0].startswith(SCORECARD + ":"), found


def test_a_metric_without_a_control_chart_may_not_set_one(
    minimal_project: Path, problems: Callable[..., list[str]]
) -> None:
    found = problems(minimal_project, (SCORECARD, "data: data/orders.csv", "data: data/orders.csv\n    control: {}"))
    assert found == [
        f"{SCORECARD}:14:14: metrics[1].control: a repeat_rate metric is not drawn on a control chart: remove 'control'"
    ]
