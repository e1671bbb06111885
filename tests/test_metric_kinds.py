"""The metric-kind registry: one entry per model of the `Metric` union, and what pages make of an entry."""

from __future__ import annotations

import pytest

from sitegen.metric_kinds import KINDS, kind_of
from sitegen.metrics.control_charts import CHARTS
from sitegen.models.scorecard import METRIC_MODELS, TopBoxMetric
from sitegen.render.scorecard_view import format_value


def test_every_metric_model_has_one_entry_and_every_entry_a_model() -> None:
    models = METRIC_MODELS.members
    assert [kind.model for kind in KINDS.values()] == list(models)
    assert all(kind_of(kind.model.model_construct()) is kind for kind in KINDS.values())


def test_an_entry_is_named_by_its_models_kind() -> None:
    metric = TopBoxMetric(id="top", kind="top_box", survey="after-visit", question="satisfaction")
    assert kind_of(metric).name == "top_box" and list(KINDS)[5] == "top_box"


def test_each_control_chart_named_is_a_chart_and_agrees_with_the_charts_module() -> None:
    assert all(kind.control_chart in (None, *CHARTS) for kind in KINDS.values())
    assert KINDS["nps"].control_chart == KINDS["mean"].control_chart == "xbar" and KINDS["count"].control_chart == "c"
    # The x-bar chart pools each period's answer variance: every kind on it says how to get one, and no other does.
    assert all((kind.control_chart == "xbar") == (kind.answer_variance is not None) for kind in KINDS.values())


@pytest.mark.parametrize(
    ("kind", "value", "unit", "shown"),
    [
        ("nps", -0.4, "", "0"),
        ("csat", 84.6, "", "85\u00a0%"),
        ("top_box", 84.6, "", "85\u00a0%"),
        ("response_rate", 2.36, "", "2.4\u00a0%"),
        ("count", 1234.0, "", "1,234"),
        ("duration", 4.25, "h", "4.2 h"),
        ("mean", 4.256, "", "4.26"),
    ],
)
def test_values_read_in_their_kinds_format(kind: str, value: float, unit: str, shown: str) -> None:
    assert format_value(value, kind, "en", unit) == shown
