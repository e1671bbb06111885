"""The counts cube: a metric published from its tally summed per (period, segments) equals one from its rows."""

from __future__ import annotations

import statistics

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen import privacy
from sitegen.metrics import (
    CesMeasure,
    CountMeasure,
    CsatMeasure,
    MeanMeasure,
    Measure,
    NpsMeasure,
    ShareMeasure,
    TopBoxMeasure,
    compute,
)
from sitegen.metrics.cube import counts_cube, distinct_answers

PERIODS = ["2026-03", "2026-04", "2026-05"]
SUMMED: list[Measure] = [
    NpsMeasure("score"),
    CsatMeasure("score", 10),
    TopBoxMeasure("score", 10, 3),
    CesMeasure("score"),
    MeanMeasure("score"),
    ShareMeasure("picks", ("a", "b")),
    CountMeasure(),
]


@st.composite
def answer_frames(draw: st.DrawFn) -> pd.DataFrame:
    """Responses with a period, a location (some missing), a multiple-choice segment and answers, in any order."""
    size = draw(st.integers(0, 60))

    def column(values: st.SearchStrategy[object]) -> list[object]:
        return draw(st.lists(values, min_size=size, max_size=size))

    picks = st.one_of(st.none(), st.lists(st.sampled_from("abc"), max_size=3, unique=True))
    frame = pd.DataFrame(
        {
            "period": pd.Categorical(column(st.sampled_from(PERIODS)), categories=PERIODS),
            "location": pd.Categorical(column(st.sampled_from(["riga", "cesis", None]))),
            "channel": pd.Series(column(st.sampled_from(["web", "qr", None])), dtype=object),
            "reason": pd.Series(column(picks), dtype=object),
            "score": pd.Series(column(st.one_of(st.none(), st.integers(0, 10))), dtype="float64"),
            "picks": pd.Series(column(picks), dtype=object),
        }
    )
    return frame.set_axis(draw(st.permutations(range(100, 100 + size))))


@settings(max_examples=60, deadline=None)
@given(
    answer_frames(),
    st.sampled_from([[], ["location"], ["location", "channel"], ["reason"], ["location", "reason"]]),
    st.sampled_from(["exempt", "small_groups", "anonymous"]),
    st.integers(1, 4),
)
def test_publishing_from_the_cube_equals_publishing_from_the_responses(
    frame: pd.DataFrame, segments: list[str], rule: privacy.Rule, minimum: int
) -> None:
    for measure in SUMMED:
        assert measure.summed
        tally = measure.tally(frame)
        cells, sums = counts_cube(frame, tally, ["period", *segments])
        assert len(cells) <= len(frame)
        options = {"periods": PERIODS, "running": PERIODS[-1], "segments": segments, "minimum": minimum, "rule": rule}
        assert privacy.publish(cells, measure, sums, **options) == privacy.publish(frame, measure, tally, **options)


def test_whole_counts_sum_exactly_and_a_missing_key_is_a_cell_of_its_own() -> None:
    frame = pd.DataFrame({"period": ["2026-05"] * 4, "location": ["riga", None, "riga", None]})
    tally = pd.DataFrame({"n": [True, True, False, True], "x": [1.5, np.nan, 2.0, 4.0]})
    cells, sums = counts_cube(frame, tally, ["period", "location"])
    by_location = {"riga" if location == "riga" else "none": row for row, location in enumerate(cells["location"])}
    assert len(cells) == 2 and pd.isna(cells["location"][by_location["none"]])
    assert sums["n"].dtype == np.int64
    assert sums["n"][by_location["riga"]] == 1 and sums["n"][by_location["none"]] == 2
    assert sums["x"][by_location["riga"]] == 3.5 and sums["x"][by_location["none"]] == 4.0


def test_list_answers_are_equal_by_their_items_and_missing_ones_have_no_code() -> None:
    same = ["a", "b"]
    codes, distinct = distinct_answers(pd.Series([same, same, ["a", "b"], None, ["b", "a"], [], np.nan], dtype=object))
    assert codes.tolist() == [0, 0, 0, -1, 1, 2, -1]
    assert distinct == [["a", "b"], ["b", "a"], []]


@given(st.lists(st.one_of(st.none(), st.integers(1, 7)), min_size=2))
def test_the_mean_and_sd_from_sums_are_the_statistics_modules(scores: list[int | None]) -> None:
    answered = [score for score in scores if score is not None]
    figure = compute(pd.DataFrame({"score": pd.Series(scores, dtype="float64")}), MeanMeasure("score"))
    assert figure.n == len(answered)
    if not answered:
        assert figure.value is None
        return
    assert figure.value == pytest.approx(statistics.fmean(answered), rel=1e-12)
    if len(answered) > 1:
        assert figure.extra["sd"] == pytest.approx(statistics.stdev(answered), rel=1e-9, abs=1e-12)
    else:
        assert "sd" not in figure.extra


def test_answers_far_from_zero_keep_their_spread() -> None:
    """The shifted sums: without the shift, 1e9 + small spreads lose every digit of the variance."""
    answers = [1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16]
    figure = compute(pd.DataFrame({"score": answers}), MeanMeasure("score"))
    assert figure.extra["sd"] == pytest.approx(statistics.stdev(answers), rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(answer_frames(), st.sampled_from(["location", "reason"]))
def test_a_segment_grouped_once_by_period_equals_each_period_grouped_alone(frame: pd.DataFrame, name: str) -> None:
    for measure in SUMMED:
        tally = measure.tally(frame)
        segment = privacy._Segment.of(frame, tally, name)
        together = segment.cells_by_period(measure, PERIODS)
        assert together == {label: segment.cells(measure, segment.period == label) for label in PERIODS}
