"""Intervals against independent implementations (statsmodels, scipy), worked values, coverage and edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from sitegen.intervals import (
    count_interval,
    count_intervals,
    mean_interval,
    mean_intervals,
    median_interval,
    median_ranks,
    nps_interval,
    nps_intervals,
    share_interval,
    share_intervals,
)

# Shares -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("successes", "n"), [(0, 1), (1, 1), (0, 10), (10, 10), (3, 17), (81, 150), (999, 1000)])
def test_share_interval_is_the_wilson_interval_of_statsmodels(successes: int, n: int) -> None:
    low, high = proportion_confint(successes, n, alpha=0.05, method="wilson")
    assert share_interval(successes, n) == pytest.approx((100 * low, 100 * high), abs=1e-9)


def test_share_interval_is_not_empty_at_zero_and_full_share() -> None:
    low, high = share_interval(0, 20) or (math.nan, math.nan)
    assert low == 0 and high > 10
    low, high = share_interval(20, 20) or (math.nan, math.nan)
    assert high == 100 and low < 90


def test_share_interval_of_no_answers_is_none_and_nan_in_arrays() -> None:
    assert share_interval(0, 0) is None
    low, high = share_intervals([0, 3], [0, 10])
    assert np.isnan(low[0]) and np.isnan(high[0])
    assert (low[1], high[1]) == share_interval(3, 10)


@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_share_interval_holds_the_share_within_0_and_100(case: tuple[int, int]) -> None:
    successes, n = case
    low, high = share_interval(successes, n) or (math.nan, math.nan)
    assert 0 <= low <= 100 * successes / n <= high <= 100


@given(st.floats(0, 1), st.integers(1, 500))
def test_share_interval_narrows_as_n_grows(p: float, n: int) -> None:
    small = share_interval(round(p * n), n) or (0.0, 0.0)
    large = share_interval(round(p * 4 * n), 4 * n) or (0.0, 0.0)
    assert large[1] - large[0] < small[1] - small[0]


# NPS ----------------------------------------------------------------------------------------------------


def test_nps_interval_adds_three_quarters_to_promoters_and_detractors_and_three_to_n() -> None:
    # Worked by hand: 50 promoters, 15 detractors of 100 become 50.75 and 15.75 of 103.
    p, d = 50.75 / 103, 15.75 / 103
    half = stats.norm.ppf(0.975) * math.sqrt((p + d - (p - d) ** 2) / 103)
    assert nps_interval(50, 15, 100) == pytest.approx((100 * (p - d - half), 100 * (p - d + half)))


def test_nps_interval_covers_about_95_percent_at_n_15() -> None:
    """Rocks (2016) reports near-nominal coverage at small n; a seeded simulation over typical groups agrees."""
    rng = np.random.default_rng(12)
    for promoters, detractors in [(0.5, 0.15), (0.3, 0.3), (0.7, 0.05)]:
        draws = rng.multinomial(15, [promoters, 1 - promoters - detractors, detractors], size=20_000)
        low, high = nps_intervals(draws[:, 0], draws[:, 2], 15)
        truth = 100 * (promoters - detractors)
        assert 0.93 <= np.mean((low <= truth) & (truth <= high)) <= 0.985


def test_nps_interval_of_one_answer_holds_it_and_of_none_is_none() -> None:
    promoter_low, promoter_high = nps_interval(1, 0, 1) or (math.nan, math.nan)
    detractor_low, detractor_high = nps_interval(0, 1, 1) or (math.nan, math.nan)
    assert promoter_high == 100 and detractor_low == -100
    assert promoter_low == pytest.approx(-detractor_high) and promoter_low < 0
    assert nps_interval(0, 0, 0) is None


def test_nps_interval_is_not_empty_when_everyone_promotes() -> None:
    low, high = nps_interval(12, 0, 12) or (math.nan, math.nan)
    assert high == 100 and low < 80


@given(st.integers(1, 2000).flatmap(lambda n: st.tuples(st.integers(0, n), st.integers(0, n), st.just(n))))
def test_nps_interval_holds_the_score_within_minus_and_plus_100(case: tuple[int, int, int]) -> None:
    promoters, detractors, n = case
    detractors = min(detractors, n - promoters)
    low, high = nps_interval(promoters, detractors, n) or (math.nan, math.nan)
    assert -100 <= low <= 100 * (promoters - detractors) / n <= high <= 100


# Means -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("mean", "sd", "n"), [(5.7, 1.2, 2), (5.7, 1.2, 15), (3.1, 0.4, 400)])
def test_mean_interval_is_scipys_t_interval(mean: float, sd: float, n: int) -> None:
    expected = stats.t.interval(0.95, n - 1, loc=mean, scale=sd / math.sqrt(n))
    assert mean_interval(mean, sd, n) == pytest.approx(expected)


def test_mean_interval_needs_two_answers() -> None:
    assert mean_interval(6.0, math.nan, 1) is None
    assert mean_interval(6.0, 0.0, 0) is None
    low, _ = mean_intervals([6.0, 6.0], [math.nan, 1.0], [1, 9])
    assert np.isnan(low[0]) and not np.isnan(low[1])


def test_mean_interval_stays_on_the_scale() -> None:
    assert mean_interval(6.9, 0.5, 3, bounds=(1, 7)) == pytest.approx((6.9 - 1.242, 7.0), abs=1e-3)


@given(st.floats(1, 7), st.floats(0, 3), st.integers(2, 500))
def test_mean_interval_holds_the_mean_and_narrows_as_n_grows(mean: float, sd: float, n: int) -> None:
    low, high = mean_interval(mean, sd, n, bounds=(1, 7)) or (math.nan, math.nan)
    wide_low, wide_high = mean_interval(mean, sd, n // 2 + 1) or (math.nan, math.nan)
    assert 1 <= low <= mean <= high <= 7
    assert high - low <= wide_high - wide_low + 1e-12


# Medians ---------------------------------------------------------------------------------------------------


def test_median_of_ten_is_bounded_by_the_second_and_ninth_values() -> None:
    # Conover's table: n = 10 gives ranks 2 and 9, coverage 1 - 2 * 11/1024 = 97.9%.
    assert median_interval([7.0, 1.0, 9.0, 3.0, 10.0, 2.0, 8.0, 4.0, 6.0, 5.0]) == (2.0, 9.0)


@pytest.mark.parametrize("n", [6, 7, 10, 25, 80, 301])
def test_median_ranks_are_the_tightest_that_cover_95_percent(n: int) -> None:
    lower, upper = (int(rank) for rank in median_ranks(n))
    coverage = 1 - 2 * sum(math.comb(n, k) for k in range(lower)) / 2**n
    tighter = 1 - 2 * sum(math.comb(n, k) for k in range(lower + 1)) / 2**n
    assert upper == n + 1 - lower and coverage >= 0.95 > tighter


def test_median_interval_needs_six_values() -> None:
    assert median_interval([1.0, 2.0, 3.0, 4.0, 5.0]) is None
    assert median_interval([]) is None
    assert median_interval([4.0, 1.0, math.nan, 2.0, 3.0, 6.0, 5.0]) == (1.0, 6.0)


@given(st.lists(st.floats(0, 1e6), min_size=6, max_size=300))
def test_median_interval_holds_the_median(values: list[float]) -> None:
    low, high = median_interval(values) or (math.nan, math.nan)
    assert min(values) <= low <= float(np.median(values)) <= high <= max(values)


# Counts ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 1, 5, 25, 310])
def test_count_interval_is_the_exact_poisson_interval_of_chi_square(count: int) -> None:
    low = stats.chi2.ppf(0.025, 2 * count) / 2 if count else 0.0
    high = stats.chi2.ppf(0.975, 2 * count + 2) / 2
    assert count_interval(count) == pytest.approx((low, high))


def test_count_of_zero_has_an_interval_and_a_rate_divides_by_exposure() -> None:
    assert count_interval(0) == pytest.approx((0.0, 3.6889), abs=1e-4)
    low, high = count_intervals([10, 10], [1.0, 4.0])
    assert (low[1], high[1]) == pytest.approx((low[0] / 4, high[0] / 4))
    assert count_interval(-1) is None


@given(st.integers(0, 10_000))
def test_count_interval_holds_the_count_and_narrows_relatively(count: int) -> None:
    low, high = count_interval(count) or (math.nan, math.nan)
    big_low, big_high = count_interval(4 * count + 4) or (math.nan, math.nan)
    assert 0 <= low <= count <= high
    assert (big_high - big_low) / (4 * count + 4) < (high - low) / max(count, 1)
