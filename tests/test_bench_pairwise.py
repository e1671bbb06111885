"""The pairwise change test that bench/signals compares the control charts with: worked examples."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from sitegen.metrics import Figure, count

SIGNALS = Path(__file__).resolve().parent.parent / "bench" / "signals"
_spec = importlib.util.spec_from_file_location("pairwise", SIGNALS / "pairwise.py")
assert _spec is not None and _spec.loader is not None
pairwise = importlib.util.module_from_spec(_spec)
sys.modules["pairwise"] = pairwise
_spec.loader.exec_module(pairwise)
change_significance = pairwise.change_significance


def test_a_big_change_in_a_share_is_significant_and_a_small_one_not() -> None:
    # 80% vs 50% of 200 each: pooled .65, se = sqrt(.65 * .35 * (2 / 200)) * 100 = 4.77; 30 > 1.96 * 4.77 = 9.35
    assert change_significance(Figure(80.0, 200), Figure(50.0, 200), "csat") == (pytest.approx(30.0), True)
    # 52% vs 50% of 100 each: pooled .51, se = sqrt(.2499 * .02) * 100 = 7.07; 2 < 13.86
    assert change_significance(Figure(52.0, 100), Figure(50.0, 100), "share") == (pytest.approx(2.0), False)


def test_nps_change_uses_the_combined_standard_error() -> None:
    # se = sqrt(2) * 10 / 1.96 = 7.215 -> 1.96 * se = 14.14: a change of 20 is significant, 10 is not
    assert change_significance(Figure(40.0, 100, 10.0), Figure(20.0, 100, 10.0), "nps").is_significant is True
    assert change_significance(Figure(30.0, 100, 10.0), Figure(20.0, 100, 10.0), "nps").is_significant is False


def test_mean_change_uses_each_periods_sd() -> None:
    # se = sqrt(1 / 100 + 1 / 100) = .1414 -> 1.96 * se = .277: .5 is significant, .1 is not
    def with_sd(value: float) -> Figure:
        return Figure(value, 100, extra={"sd": 1.0})

    assert change_significance(with_sd(4.0), with_sd(3.5), "mean").is_significant is True
    assert change_significance(with_sd(3.9), with_sd(4.0), "ces").is_significant is False
    assert change_significance(Figure(3.9, 1), Figure(4.0, 100, extra={"sd": 1.0}), "mean").is_significant is None


def test_count_change_is_a_poisson_test() -> None:
    # 40 vs 20: 1.96 * sqrt(60) = 15.18 < 20, significant; 22 vs 20: 1.96 * sqrt(42) = 12.70 > 2, not
    assert change_significance(count(40), count(20), "count") == (20.0, True)
    assert change_significance(count(22), count(20), "count") == (2.0, False)


def test_no_change_test_for_durations_and_none_without_both_values() -> None:
    assert change_significance(Figure(5.0, 10), Figure(4.0, 10), "duration") == (1.0, None)
    assert change_significance(Figure(None, 0), Figure(4.0, 10), "nps") == (None, None)
