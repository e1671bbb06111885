"""Figures built from kept counts equal a full recomputation from the store, whatever was imported in between."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from sitegen.interchange import import_responses
from sitegen.kept_counts import KeptCounts, KeptSurvey
from sitegen.scorecards import (
    ScorecardFigures,
    _all_scorecards,
    compute_scorecards,
    read_frames,
    scorecard_json,
)
from sitegen.site import Site, load_site
from sitegen.store import Field, ResponseStore

REPOSITORY = Path(__file__).resolve().parent.parent
PROJECT_PARTS = ("sitegen.yaml", "content", "surveys", "templates", "assets", "locales")
SAMPLE = [json.loads(line) for line in (REPOSITORY / "data" / "sample-responses.jsonl").read_text().splitlines()]
SAMPLE.sort(key=lambda line: line["submitted_at"])
FIRST = dt.datetime.fromisoformat(SAMPLE[0]["submitted_at"])


def copy_example(destination: Path) -> Path:
    """The example project with its data files but an empty store."""
    destination.mkdir()
    for name in PROJECT_PARTS:
        source = REPOSITORY / name
        if source.is_dir():
            shutil.copytree(source, destination / name)
        elif source.exists():
            shutil.copy(source, destination / name)
    (destination / "data").mkdir()
    for path in (REPOSITORY / "data").glob("*.csv"):
        shutil.copy(path, destination / "data" / path.name)
    return destination


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_example(tmp_path_factory.mktemp("kept") / "example")


def imported(site: Site, folder: Path, lines: list[dict[str, Any]], shift: dt.timedelta) -> None:
    """The sample's lines again under new ids, `shift` later (case steps left out: no cases opened)."""
    path = folder / f"{uuid.uuid4().hex}.jsonl"
    with path.open("w", encoding="utf-8") as sink:
        for line in lines:
            moment = dt.datetime.fromisoformat(line["submitted_at"]) + shift
            again = {**line, "id": uuid.uuid4().hex, "submitted_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}
            sink.write(json.dumps(again) + "\n")
    config = site.config.model
    with ResponseStore.open(config.store, site.files.root) as store:
        report = import_responses(site, store, [path])
    assert report.new == len(lines), report


def recomputed(site: Site, as_of: dt.date) -> dict[str, ScorecardFigures]:
    """Every figure from the store alone: no snapshot, nothing kept."""
    config = site.config.model
    surveys = {source.model.id: source.model for source in site.surveys}
    scorecards = [source.model for source in site.scorecards]
    with ResponseStore.open_for_reading(config.store, site.files.root) as store:
        responses = read_frames(store, scorecards, surveys)
    return _all_scorecards(site, scorecards, responses, surveys, as_of, None)


def published(figures: dict[str, ScorecardFigures]) -> dict[str, tuple[bytes, list[Any]]]:
    return {
        key: (scorecard_json(one, key), [metric.comments for metric in one.metrics]) for key, one in figures.items()
    }


def assert_as_recomputed(site: Site, as_of: dt.date) -> None:
    assert published(compute_scorecards(site, as_of)) == published(recomputed(site, as_of))


steps = st.lists(
    st.one_of(
        st.tuples(st.just("next"), st.integers(1, 900)),  # the sample's next answers, as collected
        st.tuples(st.just("late"), st.integers(0, 5000)),  # 200 earlier answers, imported late
        st.tuples(st.just("build"), st.integers(-40, 3)),  # as of days after the latest answer (before it if < 0)
    ),
    min_size=1,
    max_size=6,
)


histories = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
"""How the random histories of builds are tried: each example builds several times, so few of them."""


@histories
@given(history=steps)
def test_figures_from_kept_counts_equal_a_full_recomputation_after_any_imports(
    history: list[tuple[str, int]], tmp_path: Path
) -> None:
    project = copy_example(tmp_path / uuid.uuid4().hex)
    site = load_site(project)
    position = 0
    for step, argument in [*history, ("build", 0), ("build", 0)]:
        if step == "next" and position < len(SAMPLE):
            imported(site, project, SAMPLE[position : position + argument], dt.timedelta())
            position += argument
        elif step == "late":
            imported(site, project, SAMPLE[argument : argument + 200], dt.timedelta(hours=1))
        elif step == "build":
            latest = max((SAMPLE[min(position, len(SAMPLE)) - 1]["submitted_at"],) if position else ("2025-01-01",))
            assert_as_recomputed(site, dt.date.fromisoformat(latest[:10]) + dt.timedelta(days=argument))


Read = tuple[str, "dt.datetime | None", "dt.datetime | None", int]


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Read]]:
    """Every frame a build reads from the store: (survey, since, before, rows)."""
    calls: list[Read] = []
    original = ResponseStore.encoded_frame

    def noted(
        store: ResponseStore,
        survey_id: str,
        fields: list[Field],
        since: dt.datetime | None = None,
        before: dt.datetime | None = None,
    ) -> Any:
        frame = original(store, survey_id, fields, since, before)
        calls.append((survey_id, since, before, len(frame)))
        return frame

    monkeypatch.setattr(ResponseStore, "encoded_frame", noted)
    yield calls


def from_the_first_answer(calls: list[Read]) -> list[str]:
    """The surveys read from their first answer (not from where kept sums end)."""
    return [survey_id for survey_id, since, _, _ in calls if since is None]


def test_a_rebuild_reads_only_the_answers_after_the_kept_counts(example: Path, reads: list[Read]) -> None:
    site = load_site(example)
    imported(site, example, SAMPLE[:3000], dt.timedelta())
    as_of = dt.date(2026, 12, 1)
    compute_scorecards(site, as_of)
    assert sorted(set(from_the_first_answer(reads))) == [
        "after-visit",
        "complaint-log",
        "employee-annual",
        "journey-order",
    ]
    reads.clear()
    imported(site, example, SAMPLE[3000:3100], dt.timedelta())
    rebuilt = published(compute_scorecards(site, as_of))
    assert (
        from_the_first_answer(reads) == []
    )  # kept surveys from their cut, complaints (a median of durations) through its snapshot
    assert rebuilt == published(recomputed(site, as_of))
    kept = KeptCounts(example / ".sitegen-cache" / "answers")
    assert kept.path("after-visit").exists() and not kept.path("complaint-log").exists()


def test_a_build_as_of_an_earlier_day_leaves_the_kept_counts_as_they_were(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "example")
    site = load_site(project)
    imported(site, project, SAMPLE[:4000], dt.timedelta())
    compute_scorecards(site, dt.date(2026, 12, 1))
    kept = KeptCounts(project / ".sitegen-cache" / "answers").path("after-visit")
    before = kept.read_bytes()
    latest = dt.date.fromisoformat(SAMPLE[3999]["submitted_at"][:10])
    for days in (-60, -1):
        assert_as_recomputed(site, latest + dt.timedelta(days=days))
        assert kept.read_bytes() == before


def test_sums_that_stop_being_whole_numbers_are_recomputed_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_example(tmp_path / "example")
    site = load_site(project)
    imported(site, project, SAMPLE[:2000], dt.timedelta())
    as_of = dt.date(2026, 12, 1)
    compute_scorecards(site, as_of)
    kept = KeptCounts(project / ".sitegen-cache" / "answers").path("journey-order")
    assert kept.exists()
    imported(site, project, SAMPLE[2000:2400], dt.timedelta())
    monkeypatch.setattr("sitegen.scorecards.exact_sums", lambda _tally: False)  # as a tally of 2.5 would be
    assert_as_recomputed(site, as_of)
    assert not kept.exists()  # and nothing kept while a sum is not exact


def test_exact_sums_are_of_whole_numbers_only() -> None:
    import numpy as np
    import pandas as pd

    from sitegen.kept_counts import exact_sums

    assert exact_sums(pd.DataFrame({"n": [True, False], "k": [1, 2], "x": [3.0, np.nan], "dxx": [16.0, 0.0]}))
    assert not exact_sums(pd.DataFrame({"x": [3.0, 2.5]}))
    assert not exact_sums(pd.DataFrame({"x": [2.0**52, 1.0]}))  # whole, but no longer exact once added up


def test_a_first_build_adds_older_answers_in_a_window_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: list[Read]
) -> None:
    project = copy_example(tmp_path / "example")
    site = load_site(project)
    imported(site, project, SAMPLE[:3000], dt.timedelta())
    monkeypatch.setattr("sitegen.scorecards.FOLD_ROWS", 250)
    as_of = dt.date(2026, 12, 1)
    first = published(compute_scorecards(site, as_of))
    windows = [(survey_id, rows) for survey_id, _, before, rows in reads if before is not None]
    assert len([survey_id for survey_id, _ in windows if survey_id == "after-visit"]) >= 5
    assert all(rows < 400 for _, rows in windows)  # never every older row at once
    assert first == published(recomputed(site, as_of))
    imported(site, project, SAMPLE[3000:3300], dt.timedelta())
    assert_as_recomputed(site, as_of)


def test_a_row_that_came_in_below_the_cut_while_the_older_ones_were_added_reads_the_survey_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_example(tmp_path / "example")
    site = load_site(project)
    imported(site, project, SAMPLE[:2000], dt.timedelta())
    original = KeptSurvey.check_folded

    def late_row_first(kept: KeptSurvey) -> None:
        if kept.survey_id == "after-visit" and not late:
            late.append(True)
            imported(
                site, project, [line for line in SAMPLE[:50] if line["survey"] == "after-visit"], dt.timedelta(hours=2)
            )
        original(kept)

    late: list[bool] = []
    monkeypatch.setattr(KeptSurvey, "check_folded", late_row_first)
    as_of = dt.date(2026, 12, 1)
    assert_as_recomputed(site, as_of)
    assert late == [True]
