"""Metric definitions, margins, periods, target status and change tests, against figures worked by hand."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom
from statsmodels.stats.proportion import proportion_confint

from sitegen.intervals import median_interval
from sitegen.metrics import (
    CesMeasure,
    CountMeasure,
    CsatMeasure,
    DurationMeasure,
    Figure,
    MeanMeasure,
    NpsMeasure,
    RepeatRateMeasure,
    ResponseRateMeasure,
    ShareMeasure,
    TopBoxMeasure,
    cases_closed,
    ces,
    compute,
    compute_by,
    count,
    csat,
    duration,
    mean,
    moe_nps,
    moe_share,
    nps,
    period_end,
    period_label,
    period_labels,
    period_start,
    periods_between,
    previous_period,
    repeat_rate,
    repeat_rate_by_period,
    share,
    target_status,
    to_figure,
    wilson_interval,
)
from sitegen.metrics.measures import moments, summarise_by

RIGA = "Europe/Riga"


def utc(*instants: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(instants), utc=True))


# NPS ---------------------------------------------------------------------------------------


def test_nps_of_ten_answers_worked_by_hand() -> None:
    # 5 promoters (10, 9, 9, 10, 9), 3 passives (7, 8, 8), 2 detractors (3, 0):
    # P = .5, D = .2, NPS = 100 * (.5 - .2) = 30
    # moe = 1.96 * sqrt((.5 + .2 - .3^2) / 10) * 100 = 1.96 * sqrt(.061) * 100 = 48.408...
    figure = nps(pd.Series([10, 9, 9, 10, 9, 7, 8, 8, 3, 0]))
    assert figure.value == pytest.approx(30.0)
    assert figure.n == 10
    assert figure.moe == pytest.approx(48.4084, abs=1e-4)
    assert figure.extra["promoters"] == pytest.approx(50.0)
    assert figure.extra["passives"] == pytest.approx(30.0)
    assert figure.extra["detractors"] == pytest.approx(20.0)
    assert (figure.extra["promoters_n"], figure.extra["passives_n"], figure.extra["detractors_n"]) == (5, 3, 2)


def test_nps_counts_seven_and_eight_as_passives_and_six_as_detractor() -> None:
    # 7 and 8 are passives (neither side); 6 is a detractor: P = 0, D = 1/3 -> NPS -33.3
    figure = nps(pd.Series([7, 8, 6]))
    assert figure.value == pytest.approx(-100 / 3)
    assert figure.extra["passives_n"] == 2
    assert figure.extra["detractors_n"] == 1


def test_nps_of_all_promoters_is_100_with_no_margin() -> None:
    # P = 1, D = 0: moe = 1.96 * sqrt((1 + 0 - 1) / 3) * 100 = 0
    figure = nps(pd.Series([9, 10, 10]))
    assert figure.value == 100.0
    assert figure.moe == 0.0


def test_nps_of_no_answers_has_no_value() -> None:
    figure = nps(pd.Series([], dtype="float64"))
    assert figure.value is None
    assert figure.n == 0
    assert figure.moe is None


def test_nps_leaves_skipped_answers_out_of_n() -> None:
    # Only 10 and 0 were answered: P = D = .5, NPS 0, moe = 1.96 * sqrt((1 - 0) / 2) * 100 = 138.59
    for scores in (
        pd.Series([10, None, np.nan, 0], dtype=object),
        pd.Series([10, None, np.nan, 0]),
        pd.Series([10, pd.NA, pd.NA, 0], dtype="Int64"),
    ):
        figure = nps(scores)
        assert figure.n == 2
        assert figure.value == pytest.approx(0.0)
        assert figure.moe == pytest.approx(138.593, abs=1e-3)


def test_answers_hidden_by_show_if_are_absent_and_not_counted() -> None:
    # `improve` was shown only to two of the three respondents; the third has no key at all.
    responses = [
        {"recommend": 3, "improve_score": 2},
        {"recommend": 10},
        {"recommend": 5, "improve_score": 10},
    ]
    frame = pd.DataFrame.from_records(responses)
    assert compute(frame, NpsMeasure("improve_score")).n == 2
    assert compute(frame, NpsMeasure("recommend")).n == 3


# CSAT, CES, mean, share, count ------------------------------------------------------------------


def test_csat_is_the_share_of_the_top_two_points_of_five() -> None:
    # answered 5, 4, 4, 3, 1 (one skipped): 3 of 5 in 4-5 -> 60%
    # moe = 1.96 * sqrt(.6 * .4 / 5) * 100 = 1.96 * .219089 * 100 = 42.94
    figure = csat(pd.Series([5, 4, 4, 3, 1, None], dtype=object))
    assert figure.value == pytest.approx(60.0)
    assert figure.n == 5
    assert figure.moe == pytest.approx(42.9415, abs=1e-4)


def test_csat_on_a_seven_point_rating_counts_six_and_seven() -> None:
    # 7, 6 are the top two of 7; the 5s are not: 2 of 4 -> 50%, moe = 1.96 * sqrt(.25 / 4) * 100 = 49
    figure = csat(pd.Series([7, 6, 5, 5]), points=7)
    assert figure.value == pytest.approx(50.0)
    assert figure.moe == pytest.approx(49.0)


def test_ces_is_the_mean_with_the_share_of_five_to_seven() -> None:
    # 1, 5, 7 (one skipped): mean 13 / 3 = 4.333; 5-7: 2 of 3 = 66.7%
    # sd: deviations -3.333, .667, 2.667 -> squares 11.111 + .444 + 7.111 = 18.667 / 2 = 9.333 -> 3.055
    # share_top_moe = 1.96 * sqrt((2/3)(1/3) / 3) * 100 = 1.96 * .272166 * 100 = 53.34
    figure = ces(pd.Series([1, 5, 7, None], dtype=object))
    assert figure.value == pytest.approx(13 / 3)
    assert figure.n == 3
    assert figure.moe is None
    assert figure.extra["share_top"] == pytest.approx(200 / 3)
    assert figure.extra["share_top_moe"] == pytest.approx(53.3444, abs=1e-4)
    assert figure.extra["sd"] == pytest.approx(3.0551, abs=1e-4)


def test_mean_skips_missing_answers_and_carries_the_sd() -> None:
    # 2, 4, 9: mean 5; deviations -3, -1, 4 -> 9 + 1 + 16 = 26 / 2 = 13 -> sd 3.6056
    figure = mean(pd.Series([2, 4, None, 9], dtype=object))
    assert figure.value == pytest.approx(5.0)
    assert figure.n == 3
    assert figure.moe is None
    assert figure.extra["sd"] == pytest.approx(math.sqrt(13))


def test_mean_of_one_answer_has_no_sd() -> None:
    assert mean(pd.Series([4.0])).extra == {}


def test_share_equals_one_choice() -> None:
    # exceeded in 2 of 4 answered -> 50%, moe = 1.96 * sqrt(.25 / 4) * 100 = 49
    answers = pd.Series(["exceeded", "met", "exceeded", "below", None])
    figure = share(answers, ["exceeded"])
    assert (figure.value, figure.n) == (pytest.approx(50.0), 4)
    assert figure.moe == pytest.approx(49.0)
    assert share(answers.astype(object), ["exceeded"]) == figure


def test_share_in_several_choices() -> None:
    # exceeded or met in 3 of 4 -> 75%, moe = 1.96 * sqrt(.75 * .25 / 4) * 100 = 1.96 * .216506 * 100 = 42.435
    figure = share(pd.Series(["exceeded", "met", "exceeded", "below", None]), ["exceeded", "met"])
    assert figure.value == pytest.approx(75.0)
    assert figure.moe == pytest.approx(42.4352, abs=1e-4)


def test_share_on_a_multiple_question_counts_answers_containing_a_choice() -> None:
    # Answered: [a, b], [c], [b, c], [a]; None and [] are skipped questions.
    answers = pd.Series([["a", "b"], ["c"], None, [], ["b", "c"], ["a"]])
    figure = share(answers, ["a"])  # [a, b] and [a]: 2 of 4
    assert (figure.value, figure.n) == (pytest.approx(50.0), 4)
    assert share(answers, ["a", "b"]).value == pytest.approx(75.0)  # 3 of 4: [c] alone lacks both


def test_count_is_its_own_n() -> None:
    assert count(12) == Figure(value=12.0, n=12)
    assert count(0) == Figure(value=None, n=0)


def test_count_per_period_counts_responses() -> None:
    frame = pd.DataFrame({"period": ["2026-05", "2026-04", "2026-05"], "note": [None, "x", None]})
    table = compute_by(frame, CountMeasure(), ["period"])
    assert table["period"].tolist() == ["2026-04", "2026-05"]
    assert table["value"].tolist() == [1.0, 2.0]
    assert table["n"].tolist() == [1, 2]


# Duration ---------------------------------------------------------------------------------------


def test_duration_excludes_negative_spans_and_converts_units() -> None:
    # 10:00 -> 12:30 is 150 minutes; 10:00 -> 09:00 ends before it starts (excluded);
    # a missing start is skipped; 00:00+03:00 -> 00:00Z is 180 minutes across offsets.
    # median of [150, 180] = 165; p90 = 150 + .9 * (180 - 150) = 177
    starts = pd.Series(["2026-05-01T10:00", "2026-05-01T10:00", None, "2026-05-02T00:00+03:00"])
    ends = pd.Series(["2026-05-01T12:30", "2026-05-01T09:00", "2026-05-01T09:00", "2026-05-02T00:00Z"])
    figure = duration(starts, ends, "minutes", RIGA)
    assert figure.value == pytest.approx(165.0)
    assert figure.n == 2
    assert figure.moe is None
    assert figure.extra == {"p90": pytest.approx(177.0), "excluded": 1.0}
    assert duration(starts, ends, "hours", RIGA).value == pytest.approx(2.75)


def test_duration_in_days_and_p90_interpolates_linearly() -> None:
    # spans 1, 2, 3, 4, 10 days: median 3; p90 at rank .9 * 4 = 3.6 -> 4 + .6 * (10 - 4) = 7.6
    starts = pd.Series(["2026-05-01T00:00"] * 5)
    ends = pd.Series(
        ["2026-05-02T00:00", "2026-05-03T00:00", "2026-05-04T00:00", "2026-05-05T00:00", "2026-05-11T00:00"]
    )
    figure = duration(starts, ends, "days")
    assert figure.value == pytest.approx(3.0)
    assert figure.extra["p90"] == pytest.approx(7.6)


def test_duration_reads_wall_times_in_the_site_timezone() -> None:
    # Riga moves its clocks from 03:00 to 04:00 on 2026-03-29: 02:00 -> 05:00 on the wall is 2 hours.
    figure = duration(pd.Series(["2026-03-29T02:00"]), pd.Series(["2026-03-29T05:00"]), "hours", RIGA)
    assert figure.value == pytest.approx(2.0)
    assert duration(
        pd.Series(["2026-03-29T02:00"]), pd.Series(["2026-03-29T05:00"]), "hours", "UTC"
    ).value == pytest.approx(3.0)


def test_duration_reads_repeated_wall_times_as_the_first_and_missing_ones_as_moved_forward() -> None:
    # Riga's clocks go back from 04:00 to 03:00 on 2026-10-25: 03:30 happens twice, first at 00:30Z.
    # 02:30 (23:30Z) -> first 03:30 (00:30Z) is 1 hour; the second 03:30 (01:30Z) would make it 2.
    assert duration(
        pd.Series(["2026-10-25T02:30"]), pd.Series(["2026-10-25T03:30"]), "hours", RIGA
    ).value == pytest.approx(1.0)
    # 03:30 on 2026-03-29 never happens; it is read as 04:00 (01:00Z), 1 hour before 05:00 (02:00Z).
    assert duration(
        pd.Series(["2026-03-29T03:30"]), pd.Series(["2026-03-29T05:00"]), "hours", RIGA
    ).value == pytest.approx(1.0)


def test_duration_with_only_negative_spans_has_no_value_but_reports_them() -> None:
    figure = duration(pd.Series(["2026-05-02T00:00"]), pd.Series(["2026-05-01T00:00"]))
    assert figure.value is None
    assert figure.n == 0
    assert figure.extra["excluded"] == 1.0


# Repeat rate ------------------------------------------------------------------------------------

ORDERS = pd.DataFrame(
    {
        "customer": ["a", "b", "c", "a", "c", "a", "d"],
        "ordered_at": pd.to_datetime(
            [
                "2026-05-03T09:00Z",  # a's second order: repeat (May)
                "2026-05-04T09:00Z",  # b's first (May)
                "2026-04-01T09:00Z",  # c's first (April)
                "2026-04-10T09:00Z",  # a's first (April)
                "2026-04-15T09:00Z",  # c's second: repeat (April)
                "2026-05-20T09:00Z",  # a's third: repeat (May)
                "2026-04-30T21:30Z",  # d's first; 00:30 on 1 May in Riga (UTC+3): May
            ],
            utc=True,
        ),
    }
)


def test_repeat_rate_per_month_worked_by_hand() -> None:
    # April: orders c1, a1, c2 -> 1 repeat (c2) / 2 customers (a, c) = 0.5
    # May: a2, b1, a3, d1 -> 2 repeats (a2, a3; a's first order was in April) / 3 customers (a, b, d) = 0.667
    table = repeat_rate_by_period(ORDERS, "month", RIGA)
    assert table["period"].tolist() == ["2026-04", "2026-05"]
    assert table["value"].tolist() == pytest.approx([0.5, 2 / 3])
    assert table["n"].tolist() == [2, 3]
    assert table["repeat_orders"].tolist() == [1, 2]
    assert table["orders"].tolist() == [3, 4]
    assert table["moe"].isna().all()


def test_repeat_rate_overall_is_repeat_orders_per_customer() -> None:
    # 7 orders by 4 customers, 3 of them repeats -> 0.75
    figure = repeat_rate(ORDERS)
    assert figure.value == pytest.approx(0.75)
    assert figure.n == 4


def test_orders_at_the_same_instant_are_not_repeats_of_each_other() -> None:
    orders = pd.DataFrame({"customer": ["a", "a"], "ordered_at": utc("2026-05-01T10:00Z", "2026-05-01T10:00Z")})
    assert repeat_rate(orders).value == 0.0


# Grouped computation ----------------------------------------------------------------------------


def test_compute_by_gives_keys_then_value_n_moe_then_extras() -> None:
    frame = pd.DataFrame(
        {
            "period": ["2026-05", "2026-04", "2026-05", "2026-05", "2026-04"],
            "location": ["riga", "riga", "jelgava", None, "riga"],
            "recommend": [10, 0, 9, 9, None],
        }
    )
    table = compute_by(frame, NpsMeasure("recommend"), ["period", "location"])
    assert list(table.columns[:5]) == ["period", "location", "value", "n", "moe"]
    # Sorted keys; the response without a location is in no location group.
    assert table[["period", "location"]].values.tolist() == [
        ["2026-04", "riga"],
        ["2026-05", "jelgava"],
        ["2026-05", "riga"],
    ]
    assert table["n"].tolist() == [1, 1, 1]
    assert table["value"].tolist() == [-100.0, 100.0, 100.0]
    overall = compute_by(frame, NpsMeasure("recommend"))
    assert len(overall) == 1
    assert overall.loc[0, "n"] == 4


def test_a_group_without_answers_has_n_zero_and_no_value() -> None:
    frame = pd.DataFrame({"period": ["2026-04", "2026-05"], "satisfaction": [5, None]})
    table = compute_by(frame, CsatMeasure("satisfaction"), ["period"])
    assert table["n"].tolist() == [1, 0]
    assert np.isnan(table.loc[1, "value"])
    assert to_figure(table.iloc[1], keys=["period"]) == Figure(value=None, n=0, moe=None)


def test_an_empty_frame_gives_one_empty_overall_row() -> None:
    frame = pd.DataFrame({"recommend": pd.Series([], dtype="float64")})
    assert compute(frame, NpsMeasure("recommend")).value is None
    assert compute(frame, CountMeasure()) == Figure(value=None, n=0)


MEASURES = [
    NpsMeasure("score"),
    CsatMeasure("score", 10),
    CesMeasure("score"),
    MeanMeasure("score"),
    ShareMeasure("picks", ("a",)),
    CountMeasure(),
    DurationMeasure("start", "end", "minutes", RIGA),
]


@st.composite
def response_frames(draw: st.DrawFn) -> pd.DataFrame:
    size = draw(st.integers(0, 40))
    # Wall times over Riga's clock change of 25 October 2026, so some are ambiguous.
    minutes = st.integers(0, 72 * 60)
    moment = st.one_of(
        st.none(), minutes.map(lambda m: (dt.datetime(2026, 10, 24) + dt.timedelta(minutes=m)).isoformat())
    )
    picks = st.one_of(st.none(), st.lists(st.sampled_from("abc"), max_size=3, unique=True))
    return pd.DataFrame(
        {
            "location": draw(
                st.lists(st.sampled_from(["riga", "jelgava", "cesis", None]), min_size=size, max_size=size)
            ),
            "score": draw(st.lists(st.one_of(st.none(), st.integers(0, 10)), min_size=size, max_size=size)),
            "picks": draw(st.lists(picks, min_size=size, max_size=size)),
            "start": draw(st.lists(moment, min_size=size, max_size=size)),
            "end": draw(st.lists(moment, min_size=size, max_size=size)),
        },
        dtype=object,
    )


def same_figure(grouped: Figure, alone: Figure) -> bool:
    def close(a: float | None, b: float | None) -> bool:
        return (a is None and b is None) or (
            a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        )

    return (
        grouped.n == alone.n
        and close(grouped.value, alone.value)
        and close(grouped.moe, alone.moe)
        and grouped.extra.keys() == alone.extra.keys()
        and all(close(grouped.extra[k], alone.extra[k]) for k in grouped.extra)
    )


@settings(max_examples=40, deadline=None)
@given(response_frames())
def test_grouped_figures_equal_each_group_computed_alone(frame: pd.DataFrame) -> None:
    for measure in MEASURES:
        table = compute_by(frame, measure, ["location"])
        assert sorted(table["location"]) == sorted(frame["location"].dropna().unique())
        for _, row in table.iterrows():
            alone = compute(frame[frame["location"] == row["location"]], measure)
            assert same_figure(to_figure(row, keys=["location"]), alone), (measure, row["location"])


@given(st.lists(st.one_of(st.none(), st.integers(0, 10))))
def test_nps_stays_within_bounds_and_its_margin_is_not_negative(scores: list[int | None]) -> None:
    figure = nps(pd.Series(scores, dtype=object))
    assert figure.n == sum(score is not None for score in scores)
    if figure.n == 0:
        assert figure.value is None and figure.moe is None
    else:
        assert figure.value is not None and figure.moe is not None
        assert -100 <= figure.value <= 100
        assert figure.moe >= 0
        assert figure.extra["promoters"] + figure.extra["passives"] + figure.extra["detractors"] == pytest.approx(100)


def test_margin_helpers_follow_the_design_formulas() -> None:
    # moe_share(.5, 100) = 1.96 * sqrt(.25 / 100) * 100 = 9.8; moe_nps(.5, .2, 10) as in the NPS example
    assert moe_share(0.5, 100) == pytest.approx(9.8)
    assert moe_nps(0.5, 0.2, 10) == pytest.approx(48.4084, abs=1e-4)
    assert moe_share(0.5, 0) is None and moe_nps(0.5, 0.2, 0) is None


@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_holds_the_share(counts: tuple[int, int]) -> None:
    successes, n = counts
    interval = wilson_interval(successes, n)
    assert interval is not None
    low, high = interval
    assert 0 <= low <= 100 * successes / n + 1e-9
    assert 100 * successes / n - 1e-9 <= high <= 100


# Periods ----------------------------------------------------------------------------------------


def test_period_labels_use_the_site_timezone_at_boundaries() -> None:
    instants = utc(
        "2026-03-31T20:59Z",  # 23:59 in Riga: still March, Q1, week 14 (Tuesday 31 March)
        "2026-03-31T22:30Z",  # 01:30 on 1 April in Riga: April, Q2
        "2026-12-31T22:30Z",  # 00:30 on 1 January 2027 in Riga (UTC+2): 2027, but ISO week 53 of 2026
        "2027-01-01T12:00Z",  # Friday 1 January 2027: 2026-W53 (2026 began on a Thursday)
        "2025-12-28T22:30Z",  # 00:30 on Monday 29 December 2025 in Riga: 2026-W01, month 2025-12
        None,
    )
    assert period_labels(instants, "month", RIGA).tolist()[:5] == [
        "2026-03",
        "2026-04",
        "2027-01",
        "2027-01",
        "2025-12",
    ]
    assert period_labels(instants, "quarter", RIGA).tolist()[:5] == [
        "2026-Q1",
        "2026-Q2",
        "2027-Q1",
        "2027-Q1",
        "2025-Q4",
    ]
    assert period_labels(instants, "week", RIGA).tolist()[:5] == [
        "2026-W14",
        "2026-W14",
        "2026-W53",
        "2026-W53",
        "2026-W01",
    ]
    assert period_labels(instants, "month", "UTC").tolist()[:3] == ["2026-03", "2026-03", "2026-12"]
    assert pd.isna(period_labels(instants, "month", RIGA).iloc[5])


def test_period_labels_sort_chronologically_and_keep_the_index() -> None:
    instants = pd.Series(pd.to_datetime(["2026-11-05T00:00Z", "2026-02-01T12:00Z"], utc=True), index=[7, 3])
    labels = period_labels(instants, "month", RIGA)
    assert labels.index.tolist() == [7, 3]
    assert list(labels.cat.categories) == ["2026-02", "2026-11"]
    assert (labels == "2026-11").tolist() == [True, False]


def test_period_labels_of_nothing() -> None:
    assert period_labels(utc(), "week", RIGA).tolist() == []
    assert pd.isna(period_labels(utc(None, None), "week", RIGA)).all()


def test_period_labels_refuse_naive_timestamps() -> None:
    with pytest.raises(ValueError):
        period_labels(pd.Series(pd.to_datetime(["2026-05-01T10:00"])), "month", RIGA)


@settings(max_examples=50)
@given(
    st.lists(
        st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2060, 12, 31)), min_size=1, max_size=30
    ),
    st.sampled_from(["week", "month", "quarter"]),
    st.sampled_from([RIGA, "UTC", "America/St_Johns"]),
)
def test_vectorised_labels_agree_with_the_calendar(instants: list[dt.datetime], period: str, timezone: str) -> None:
    series = pd.Series(pd.to_datetime(instants)).dt.tz_localize("UTC")
    zone = ZoneInfo(timezone)
    days = [moment.replace(tzinfo=dt.UTC).astimezone(zone).date() for moment in instants]
    expected = [period_label(day, period) for day in days]  # type: ignore[arg-type]
    assert period_labels(series, period, timezone).tolist() == expected  # type: ignore[arg-type]


def test_period_starts_ends_and_previous_periods() -> None:
    assert period_start("2026-W01") == dt.date(2025, 12, 29)
    assert period_end("2026-W53") == dt.date(2027, 1, 3)
    assert period_start("2026-Q2") == dt.date(2026, 4, 1)
    assert period_end("2026-Q2") == dt.date(2026, 6, 30)
    assert period_end("2026-02") == dt.date(2026, 2, 28)
    assert period_end("2028-02") == dt.date(2028, 2, 29)
    assert period_end("2026-12") == dt.date(2026, 12, 31)
    assert previous_period("2027-W01") == "2026-W53"
    assert previous_period("2026-01") == "2025-12"
    assert previous_period("2026-Q1") == "2025-Q4"
    assert periods_between("2026-11", "2027-02") == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert periods_between("2026-W52", "2027-W01") == ["2026-W52", "2026-W53", "2027-W01"]
    with pytest.raises(ValueError):
        period_start("2026-5")


# Target status ----------------------------------------------------------------------------------


def at(value: float | None) -> Figure:
    return Figure(value=value, n=100 if value is not None else 0)


def test_a_target_is_met_at_or_beyond_it_in_its_direction() -> None:
    assert target_status(at(52), "2026-05", "2026-01", 50) == "met"
    assert target_status(at(50), "2026-05", "2026-01", 50) == "met"
    assert target_status(at(18), "2026-05", "2026-01", 20, direction="down") == "met"
    assert target_status(at(20), "2026-05", "2026-01", 20, direction="down") == "met"


def test_without_by_or_baseline_a_target_not_met_is_off_track() -> None:
    assert target_status(at(45), "2026-05", "2026-01", 50) == "off_track"
    assert target_status(at(45), "2026-05", "2026-01", 50, by=dt.date(2027, 1, 1)) == "off_track"
    assert target_status(at(22), "2026-05", "2026-01", 20, baseline=30, direction="down") == "off_track"


def test_on_track_means_at_or_beyond_the_straight_line_from_the_baseline() -> None:
    # Line from 31 Jan 2026 (end of the first period) to `by` = 27 Nov 2026, 300 days;
    # read at 30 June 2026 (end of the latest period), 150 days in: halfway, 30 + (50 - 30) / 2 = 40.
    by = dt.date(2026, 11, 27)
    assert (by - dt.date(2026, 1, 31)).days == 300
    assert target_status(at(40), "2026-06", "2026-01", 50, by=by, baseline=30) == "on_track"
    assert target_status(at(45), "2026-06", "2026-01", 50, by=by, baseline=30) == "on_track"
    assert target_status(at(39.9), "2026-06", "2026-01", 50, by=by, baseline=30) == "off_track"
    # Downwards: from 30 complaints to 20, halfway is 25.
    assert target_status(at(25), "2026-06", "2026-01", 20, by=by, baseline=30, direction="down") == "on_track"
    assert target_status(at(26), "2026-06", "2026-01", 20, by=by, baseline=30, direction="down") == "off_track"


def test_the_line_starts_at_the_baseline_in_the_first_period_and_ends_at_the_target() -> None:
    by = dt.date(2027, 6, 30)
    assert target_status(at(30), "2026-01", "2026-01", 50, by=by, baseline=30) == "on_track"
    assert target_status(at(29), "2026-01", "2026-01", 50, by=by, baseline=30) == "off_track"
    # Past `by`, the line is the target itself: anything short of it is off track.
    assert target_status(at(49), "2027-09", "2026-01", 50, by=by, baseline=30) == "off_track"


def test_an_empty_or_suppressed_latest_period_is_insufficient_data() -> None:
    assert target_status(None, "2026-05", "2026-01", 50) == "insufficient_data"
    assert target_status(at(None), "2026-05", "2026-01", 50, by=dt.date(2027, 1, 1), baseline=30) == "insufficient_data"


def test_repeat_rate_measure_needs_the_whole_history() -> None:
    # Computing May alone would forget a's April order: its May orders would look like one first + one repeat.
    may_only = ORDERS[ORDERS["ordered_at"] >= pd.Timestamp("2026-05-01", tz="UTC")]
    assert compute(may_only, RepeatRateMeasure()).value == pytest.approx(1 / 2)  # a3 only, over a and b


# Top box and response rate --------------------------------------------------------------------------------


def _wilson_percent(successes: int, n: int) -> tuple[float, float]:
    low, high = proportion_confint(successes, n, alpha=0.05, method="wilson")
    return 100 * low, 100 * high


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.integers(0, 10)), min_size=1, max_size=60),
    st.integers(1, 10),
)
def test_top_box_is_the_share_of_the_top_points_counted_by_hand(answers: list[int | None], top: int) -> None:
    figure = compute(pd.Series(answers, dtype="object").to_frame("answer"), TopBoxMeasure("answer", 10, top))
    given_answers = [answer for answer in answers if answer is not None]
    hits = sum(1 for answer in given_answers if answer > 10 - top)
    assert figure.n == len(given_answers)
    if not given_answers:
        assert figure.value is None and figure.low is None
        return
    assert figure.value == pytest.approx(100 * hits / len(given_answers))
    assert (figure.low, figure.high) == pytest.approx(_wilson_percent(hits, len(given_answers)), abs=1e-9)


def test_top_box_at_0_and_100_percent_and_of_one_answer() -> None:
    def top_two(*answers: int) -> Figure:
        return compute(pd.Series(answers).to_frame("answer"), TopBoxMeasure("answer", 5))

    none, every, one = top_two(1, 2, 3, 3), top_two(4, 5, 5), top_two(5)
    assert (none.value, none.low, none.high) == (0.0, 0.0, pytest.approx(_wilson_percent(0, 4)[1]))
    assert (every.value, every.high) == (100.0, 100.0) and every.low == pytest.approx(_wilson_percent(3, 3)[0])
    assert (one.value, one.n) == (100.0, 1) and one.low == pytest.approx(20.654, abs=1e-3)


def test_csat_is_the_top_box_of_two_points() -> None:
    ratings = pd.Series([1, 4, 5, 3, 5, None, 2]).to_frame("answer")
    assert compute(ratings, CsatMeasure("answer", 5)) == compute(ratings, TopBoxMeasure("answer", 5, 2))


def _rate_rows(responses: dict[str, int], counts: dict[str, int]) -> pd.DataFrame:
    """A response-rate frame: one row per response, one per count, with their period."""
    rows = [{"period": period, "responses": 1, "count": 0} for period, n in responses.items() for _ in range(n)]
    rows += [{"period": period, "responses": 0, "count": count} for period, count in counts.items()]
    return pd.DataFrame(rows, columns=["period", "responses", "count"])


def test_response_rate_is_responses_per_count_by_period_with_the_wilson_interval_of_the_count() -> None:
    frame = _rate_rows({"2026-04": 30, "2026-05": 12, "2026-06": 3}, {"2026-04": 400, "2026-05": 150, "2026-07": 90})
    table = compute_by(frame, ResponseRateMeasure(), ["period"]).set_index("period")
    assert table.loc["2026-04", "value"] == pytest.approx(7.5) and table.loc["2026-04", "n"] == 400
    assert table.loc["2026-04", "responses"] == 30
    assert (table.loc["2026-05", "low"], table.loc["2026-05", "high"]) == pytest.approx(_wilson_percent(12, 150))
    assert table.loc["2026-04", "moe"] == pytest.approx(moe_share(0.075, 400))
    # Answers but no receipts: no value. Receipts but no answers: 0 %, with an interval above it.
    assert table.loc["2026-06", "n"] == 0 and math.isnan(table.loc["2026-06", "value"])
    assert table.loc["2026-07", "value"] == 0.0 and table.loc["2026-07", "low"] == 0.0
    assert table.loc["2026-07", "high"] == pytest.approx(_wilson_percent(0, 90)[1])
    overall = compute(frame, ResponseRateMeasure())
    assert (overall.value, overall.n) == (pytest.approx(100 * 45 / 640), 640)


def test_a_response_rate_above_100_percent_has_no_interval() -> None:
    figure = compute(_rate_rows({"2026-05": 5}, {"2026-05": 4}), ResponseRateMeasure())
    assert figure.value == pytest.approx(125.0) and figure.n == 4
    assert (figure.low, figure.high, figure.moe) == (None, None, None)


def test_a_response_rate_of_one_count() -> None:
    figure = compute(_rate_rows({"2026-05": 1}, {"2026-05": 1}), ResponseRateMeasure())
    assert (figure.value, figure.n, figure.high) == (100.0, 1, 100.0)
    assert figure.low == pytest.approx(_wilson_percent(1, 1)[0])


# Cases: closed in time, and time to close

UNTIL = pd.Timestamp("2026-06-10T00:00Z")


def cases_frame(rows: list[tuple[str, str, str | None, str]]) -> pd.DataFrame:
    """Cases as (opened_at, due_at, resolved_at, status), seen at UNTIL."""
    frame = pd.DataFrame(rows, columns=["opened_at", "due_at", "resolved_at", "status"])
    for column in ("opened_at", "due_at", "resolved_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame.assign(until=UNTIL)


def test_cases_closed_counts_resolved_and_overdue_cases_and_waits_for_the_rest() -> None:
    frame = cases_frame(
        [
            ("2026-06-01T09:00Z", "2026-06-03T09:00Z", "2026-06-02T09:00Z", "resolved"),  # in time
            ("2026-06-01T09:00Z", "2026-06-03T09:00Z", "2026-06-03T09:00Z", "resolved"),  # at the due time: in time
            ("2026-06-01T09:00Z", "2026-06-03T09:00Z", "2026-06-05T09:00Z", "resolved"),  # late
            ("2026-06-01T09:00Z", "2026-06-03T09:00Z", None, "contacted"),  # open past due: late
            ("2026-06-08T09:00Z", "2026-06-10T09:00Z", None, "open"),  # not due yet: undecided
            ("2026-06-01T09:00Z", "2026-06-03T09:00Z", None, "dismissed"),  # no reply needed: left out
        ]
    )
    figure = cases_closed(frame)
    low, high = proportion_confint(2, 4, alpha=0.05, method="wilson")
    assert (figure.value, figure.n) == (50.0, 4)
    assert figure.low == pytest.approx(100 * low) and figure.high == pytest.approx(100 * high)


def test_time_to_close_is_the_median_of_resolved_cases_with_its_order_statistic_interval() -> None:
    opened = pd.Timestamp("2026-06-01T00:00Z")
    hours = [1, 2, 3, 5, 8, 13, 21, 34, 55]
    rows = [(str(opened), str(opened), str(opened + pd.Timedelta(hours=h)), "resolved") for h in hours]
    frame = cases_frame([*rows, (str(opened), str(opened), None, "open")])
    figure = compute(frame, DurationMeasure("opened_at", "resolved_at", "hours"))
    # n = 9: P(Binomial(9, 1/2) <= 1) = 10/512 < 0.025 <= P(B <= 2) = 46/512, so r = 2 and the interval is
    # [x_(2), x_(8)] (Conover 1999, section 3.2), covering the median with probability 1 - 2 * 10/512 = 96.1%.
    assert (figure.value, figure.n) == (8.0, 9)
    assert (figure.low, figure.high) == (2.0, 34.0)
    assert (figure.low, figure.high) == tuple(float(bound) for bound in scipy_median_bounds(hours))


def scipy_median_bounds(values: list[int]) -> tuple[int, int]:
    """The same interval found independently: the widest symmetric order statistics with coverage >= 95%."""
    ordered, n = sorted(values), len(values)
    r = max(k for k in range(1, n // 2 + 1) if 1 - 2 * binom.cdf(k - 1, n, 0.5) >= 0.95)
    return ordered[r - 1], ordered[n - r]


WALL_TIMES = st.datetimes(dt.datetime(2024, 1, 1), dt.datetime(2027, 1, 1))
answer_texts = st.lists(
    st.one_of(
        st.none(),
        st.sampled_from(["", "  ", "not a time", "2026-03-29T03:30", "2026-10-25T03:30", "2026-05-01T09:00Z"]),
        st.datetimes(dt.datetime(2024, 1, 1), dt.datetime(2027, 1, 1)).map(
            lambda moment: moment.strftime("%Y-%m-%dT%H:%M")
        ),
        st.datetimes(dt.datetime(2024, 1, 1), dt.datetime(2027, 1, 1)).map(
            lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%S+03:00")
        ),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(texts=answer_texts)
def test_datetime_answers_read_as_categories_are_the_same_instants(texts: list[str | None]) -> None:
    plain = pd.Series(texts, dtype=object)
    expected = moments(plain, "Europe/Riga")
    read = moments(plain.astype("category"), "Europe/Riga")
    pd.testing.assert_series_equal(read, expected)


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.sampled_from(["a", "b", "c"])),
            st.one_of(st.none(), st.integers(-5, 200).map(float)),
        ),
        max_size=60,
    )
)
def test_each_groups_median_interval_is_its_own_order_statistics(rows: list[tuple[str | None, float | None]]) -> None:
    keys = [key for key, _ in rows]
    start = pd.Timestamp("2026-05-01T08:00Z")
    frame = pd.DataFrame(
        {
            "g": pd.Series(keys, dtype=object),
            "start": [start] * len(rows),
            "end": [start + pd.Timedelta(hours=hours) if hours is not None else pd.NaT for _, hours in rows],
        }
    )
    table = compute_by(frame, DurationMeasure("start", "end"), ["g"]).set_index("g")
    for key in sorted({key for key in keys if key is not None}):
        spans = [hours for group, hours in rows if group == key and hours is not None and hours >= 0]
        interval = median_interval(spans)
        low, high = table.loc[key, "low"], table.loc[key, "high"]
        assert (None if math.isnan(low) else (low, high)) == interval


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.sampled_from(["a", "b", "c"])),
            st.one_of(st.none(), st.sampled_from(["x", "y"])),
            st.one_of(st.none(), st.floats(-5, 1e6, allow_nan=False)),
        ),
        max_size=60,
    )
)
def test_each_groups_median_and_90th_percentile_are_pandas_own_to_the_last_bit(
    rows: list[tuple[str | None, str | None, float | None]],
) -> None:
    """By a categorical key (categories out of their sort order, one never used) and a key of texts, both with
    missing values: the figures land on the groups pandas gives them to."""
    start = pd.Timestamp("2026-05-01T08:00Z")
    frame = pd.DataFrame(
        {
            "g": pd.Categorical([g for g, _, _ in rows], categories=["c", "a", "z", "b"]),
            "h": pd.Series([h for _, h, _ in rows], dtype=object),
            "start": [start] * len(rows),
            "end": [start + pd.Timedelta(seconds=seconds) if seconds is not None else pd.NaT for *_, seconds in rows],
        }
    )
    measure = DurationMeasure("start", "end", "minutes")
    table = compute_by(frame, measure, ["g", "h"])
    spans = measure.tally(frame).assign(g=frame["g"], h=frame["h"]).groupby(["g", "h"], observed=True)["span"]
    for figure, expected in (("value", spans.median()), ("p90", spans.quantile(0.9))):
        assert [tuple(key) for key in table[["g", "h"]].to_numpy()] == list(expected.index)
        assert np.array_equal(table[figure].to_numpy(), expected.to_numpy(), equal_nan=True), figure


def test_a_duration_grouped_by_a_key_indexed_otherwise_is_grouped_as_pandas_aligns_it() -> None:
    start = pd.Timestamp("2026-05-01T08:00Z")
    tally = DurationMeasure("start", "end").tally(
        pd.DataFrame({"start": [start] * 4, "end": [start + pd.Timedelta(hours=hours) for hours in (1, 2, 3, 10)]})
    )
    key = pd.Series(["a", "b", "a", "b"], index=[3, 2, 1, 0], name="g")  # row 0 is "b", row 3 is "a" once aligned
    table = summarise_by(DurationMeasure("start", "end"), tally, [key]).set_index("g")
    expected = tally.groupby(key)["span"].median()
    assert table["value"].to_dict() == expected.to_dict() == {"a": 6.0, "b": 2.0}
