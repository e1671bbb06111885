"""Control charts against Montgomery's worked examples, and each signal rule on a series made to trip only it."""

from __future__ import annotations

import math
import random
import statistics

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitegen.metrics import periods_between
from sitegen.metrics.control_charts import CHARTS, ChartPoint, Control, Observation, Signal, c4_constant, control_chart

MONTHS = periods_between("2024-01", "2027-12")


def observations(values: list[float | None], n: list[float] | None = None) -> list[Observation]:
    """Monthly observations from January 2024, one per value."""
    sizes = n if n is not None else [0.0] * len(values)
    return [Observation(month, value, size) for month, value, size in zip(MONTHS, values, sizes, strict=False)]


def signals(points: tuple[ChartPoint, ...]) -> dict[int, Signal]:
    """The signals of a chart by 1-based period number, as textbooks number their samples."""
    return {number: point.signal for number, point in enumerate(points, start=1) if point.signal is not None}


# Worked examples: Montgomery, Introduction to Statistical Quality Control ------------------------------


def test_p_chart_of_montgomerys_orange_juice_cans() -> None:
    """Montgomery's p chart example: 30 samples of 50 cans; p-bar 0.2313, limits 0.0524 and 0.4102."""
    nonconforming = [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22, 8, 10, 5, 13, 11, 20, 18, 24, 15, 9, 12]
    nonconforming += [7, 13, 9, 6]
    points = control_chart(
        observations([100 * x / 50 for x in nonconforming], [50.0] * 30),
        CHARTS["p"],
        Control(baseline_from=MONTHS[0], baseline_to=MONTHS[29]),
    )
    limits = points[0].limits
    assert limits is not None
    assert (limits.centre, limits.lower, limits.upper) == pytest.approx((23.13, 5.24, 41.02), abs=0.01)
    # Samples 15 and 23 are the two beyond the upper limit; rule 2 of 3 adds sample 22 (0.36, 0.48 after 0.40).
    beyond = [number for number, signal in signals(points).items() if signal.rule == "beyond_limits"]
    assert beyond == [15, 23]


def test_individuals_chart_of_montgomerys_mortgage_processing_costs() -> None:
    """Montgomery's individuals example: 20 weekly costs; centre 300.5, mR-bar 7.79, limits 279.78 and 321.22."""
    costs: list[float | None] = [310, 288, 297, 298, 307, 303, 294, 297, 308, 306, 294, 299, 297, 299, 314, 295]
    costs += [293, 306, 301, 304]
    points = control_chart(observations(costs), CHARTS["xmr"], Control(baseline_from=MONTHS[0], baseline_to=MONTHS[19]))
    limits = points[0].limits
    assert limits is not None
    assert (limits.centre, limits.lower, limits.upper) == pytest.approx((300.5, 279.78, 321.22), abs=0.01)
    assert signals(points) == {}


def test_c_chart_of_montgomerys_circuit_boards() -> None:
    """Montgomery's c chart example: nonconformities on 26 boards; c-bar 19.85, limits 6.48 and 33.22."""
    counts: list[float | None] = [21, 24, 16, 12, 15, 5, 28, 20, 31, 25, 20, 24, 16, 19, 10, 17, 13, 22, 18, 39]
    counts += [30, 24, 16, 19, 17, 15]
    points = control_chart(observations(counts), CHARTS["c"], Control(baseline_from=MONTHS[0], baseline_to=MONTHS[25]))
    limits = points[0].limits
    assert limits is not None
    assert (limits.centre, limits.lower, limits.upper) == pytest.approx((19.85, 6.48, 33.22), abs=0.01)
    assert {
        number: signal.direction for number, signal in signals(points).items() if signal.rule == "beyond_limits"
    } == {
        6: "down",
        20: "up",
    }


# Signal rules on hand-made series ------------------------------------------------------------------------

# Centre 11, mean moving range 2: sigma 1.773, 2-sigma band 7.45 to 14.55, limits 5.68 to 16.32.
BASELINE: list[float | None] = [12, 10] * 6
STABLE_MORE: list[float | None] = [12, 10.5, 11.5, 10, 12.5, 9.5]


def mirrored(values: list[float | None]) -> list[float | None]:
    """The series reflected about the baseline's centre, 11: every signal points the other way."""
    return [None if value is None else 22 - value for value in values]


@pytest.mark.parametrize(
    ("tail", "rule"),
    [
        ([17], "beyond_limits"),
        ([11.5, 11.2, 11.8, 11.4, 11.6, 11.3, 11.7, 11.5], "run_of_8"),
        ([9, 9.5, 10.5, 11, 12, 13], "trend_of_6"),
        ([15, 11, 15], "two_of_three"),
    ],
)
@pytest.mark.parametrize("direction", ["up", "down"])
def test_each_rule_fires_on_the_series_made_for_it_and_no_other(tail: list[float], rule: str, direction: str) -> None:
    values = [*BASELINE, *tail]
    series = values if direction == "up" else mirrored(values)
    assert signals(control_chart(observations(series), CHARTS["xmr"])) == {len(series): Signal(direction, rule)}  # type: ignore[arg-type]


def test_a_trend_needs_six_points_not_five() -> None:
    assert signals(control_chart(observations([*BASELINE, 9, 9.5, 10.5, 11, 12]), CHARTS["xmr"])) == {}


def test_a_stable_series_trips_no_rule() -> None:
    points = control_chart(observations([*BASELINE, *STABLE_MORE]), CHARTS["xmr"])
    assert signals(points) == {}
    assert all(point.limits is not None for point in points)


# Baselines, breaks, gaps and the running period -------------------------------------------------------------


def test_default_baseline_is_the_first_twelve_periods_with_data() -> None:
    points = control_chart(observations([None, *BASELINE, 100, 100, 100]), CHARTS["xmr"])
    limits = points[0].limits
    assert limits is not None and limits.centre == pytest.approx(11)


def test_fewer_than_eight_periods_give_no_limits_and_no_signals() -> None:
    points = control_chart(observations([12, 10, 12, 10, 12, 10, 40]), CHARTS["xmr"])
    assert all(point.limits is None and point.signal is None for point in points)
    eight = Control(baseline_from=MONTHS[0], baseline_to=MONTHS[7])
    assert control_chart(observations([*BASELINE[:8], 40]), CHARTS["xmr"], eight)[-1].signal == Signal(
        "up", "beyond_limits"
    )


def test_a_break_gives_the_new_segment_its_own_baseline() -> None:
    shifted: list[float | None] = [value + 20 for value in BASELINE if value is not None]
    series = [*BASELINE, *shifted]
    assert signals(control_chart(observations(series), CHARTS["xmr"]))
    points = control_chart(observations(series), CHARTS["xmr"], Control(breaks=(MONTHS[12],)))
    assert signals(points) == {}
    assert [point.limits.centre for point in points if point.limits] == pytest.approx([11] * 12 + [31] * 12)


def test_a_declared_baseline_without_an_end_takes_twelve_periods_from_its_start() -> None:
    series = [40, 40, *BASELINE, 11]
    points = control_chart(observations(series), CHARTS["xmr"], Control(baseline_from=MONTHS[2]))
    assert points[0].limits is not None and points[0].limits.centre == pytest.approx(11)
    assert signals(points) == {1: Signal("up", "beyond_limits"), 2: Signal("up", "beyond_limits")}


def test_a_gap_is_drawn_empty_and_a_run_continues_across_it() -> None:
    tail: list[float | None] = [11.5, 11.2, 11.8, None, 11.4, 11.6, 11.3, 11.7, 11.5]
    points = control_chart(observations([*BASELINE, *tail]), CHARTS["xmr"])
    assert points[15].value is None and points[15].limits is not None and points[15].signal is None
    assert signals(points) == {21: Signal("up", "run_of_8")}


def test_the_running_period_is_drawn_but_never_judged_nor_in_the_baseline() -> None:
    series: list[float | None] = [500, *BASELINE, 40]
    points = control_chart(observations(series), CHARTS["xmr"], partial=MONTHS[13])
    assert points[13].value == 40 and points[13].limits is not None and points[13].signal is None
    first = control_chart(observations(series), CHARTS["xmr"], partial=MONTHS[0])
    assert first[0].signal is None and first[1].limits is not None and first[1].limits.centre == pytest.approx(11)
    assert first[13].signal == Signal("up", "beyond_limits")


def test_p_chart_limits_follow_each_periods_n_and_stay_within_0_and_100() -> None:
    shares: list[float | None] = [90.0] * 12 + [100.0, 90.0]
    points = control_chart(observations(shares, [100.0] * 12 + [5.0, 400.0]), CHARTS["p"])
    small, large = points[12].limits, points[13].limits
    assert small is not None and large is not None
    assert small.upper == 100 and small.lower == pytest.approx(90 - 3 * (90 * 10 / 5) ** 0.5)
    assert large.upper - large.lower == pytest.approx(6 * (90 * 10 / 400) ** 0.5)
    assert points[12].signal is None


def test_u_chart_plots_counts_per_exposure() -> None:
    counts: list[float | None] = [20.0, 40.0] * 6 + [90.0]
    exposure = [100.0, 200.0] * 6 + [300.0]
    points = control_chart(observations(counts, exposure), CHARTS["u"])
    limits = points[-1].limits
    assert points[-1].value == pytest.approx(0.3) and limits is not None
    assert (limits.centre, limits.upper) == pytest.approx((0.2, 0.2 + 3 * (0.2 / 300) ** 0.5))
    assert points[-1].signal == Signal("up", "beyond_limits")


@given(
    st.lists(st.one_of(st.none(), st.floats(0, 100)), min_size=1, max_size=40),
    st.lists(st.integers(0, 500), min_size=40, max_size=40),
)
def test_p_chart_limits_bracket_the_centre_within_0_and_100_and_gaps_are_never_judged(
    shares: list[float | None], sizes: list[int]
) -> None:
    points = control_chart(observations(shares, [float(size) for size in sizes]), CHARTS["p"])
    assert len(points) == len(shares)
    for point, size in zip(points, sizes, strict=False):
        if point.limits is not None:
            assert 0 <= point.limits.lower <= point.limits.centre <= point.limits.upper <= 100
        if point.value is None or size == 0:
            assert point.signal is None


# The x-bar chart with variable n (Montgomery, section 6.3.2) -------------------------------------------


@pytest.mark.parametrize(("n", "c4"), [(2, 0.7979), (5, 0.9400), (10, 0.9727), (25, 0.9896)])
def test_c4_matches_montgomerys_table(n: int, c4: float) -> None:
    """Appendix VI of Montgomery tabulates c4; the x-bar chart divides the pooled sd by it."""
    assert c4_constant(np.array([float(n)]))[0] == pytest.approx(c4, abs=5e-5)


def test_xbar_chart_pools_the_answers_of_the_baseline_as_plain_python_does() -> None:
    """Centre: the mean of every baseline answer; sigma: the pooled within-period sd over c4(n) sqrt(n)."""
    rng = random.Random(12)
    periods = [[rng.randint(1, 7) for _ in range(rng.randint(20, 60))] for _ in range(14)]
    observed = [
        Observation(month, statistics.fmean(answers), len(answers), statistics.pvariance(answers))
        for month, answers in zip(MONTHS, periods, strict=False)
    ]
    points = control_chart(observed, CHARTS["xbar"])
    baseline = periods[:12]
    centre = statistics.fmean(answer for answers in baseline for answer in answers)
    within = sum((len(a) - 1) * statistics.variance(a) for a in baseline) / sum(len(a) - 1 for a in baseline)
    for point, answers in zip(points, periods, strict=True):
        n = len(answers)
        c4 = math.sqrt(2 / (n - 1)) * math.gamma(n / 2) / math.gamma((n - 1) / 2)
        sigma = math.sqrt(within) / (c4 * math.sqrt(n))
        assert point.limits is not None
        assert (point.limits.centre, point.limits.lower, point.limits.upper) == pytest.approx(
            (centre, centre - 3 * sigma, centre + 3 * sigma)
        )


def test_xbar_chart_takes_an_nps_as_the_mean_of_scores_100_0_and_minus_100() -> None:
    """Twelve months of 9 promoters, 3 passives and 2 detractors a month, then one of 14 detractors."""
    month = [100] * 9 + [0] * 3 + [-100] * 2
    scores = [month] * 12 + [[-100] * 14]
    observed = [
        Observation(label, statistics.fmean(s), len(s), statistics.pvariance(s))
        for label, s in zip(MONTHS, scores, strict=False)
    ]
    points = control_chart(observed, CHARTS["xbar"])
    limits = points[-1].limits
    assert limits is not None and limits.centre == pytest.approx(100 * 7 / 14)
    assert points[-1].signal == Signal("down", "beyond_limits")
    assert all(point.signal is None for point in points[:12])
