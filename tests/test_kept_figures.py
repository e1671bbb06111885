"""Kept figures (`sitegen.kept_figures`): a build that takes a metric's figures from the last build publishes what a
full recomputation does, whatever happened in between (answers, edits, purges, settings), and takes them only
when nothing they were made of changed."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update
from test_kept_counts import SAMPLE, assert_as_recomputed, copy_example, histories, imported, published, recomputed

from sitegen import scorecards
from sitegen.build import build_project
from sitegen.kept_figures import FILE, code_digest
from sitegen.scorecards import compute_scorecards
from sitegen.site import Site, load_site
from sitegen.store import ResponseStore
from sitegen.store.changes import note_change
from sitegen.store.retention import Cutoffs, purge_survey
from sitegen.store.schema import responses

AS_OF = dt.date(2026, 12, 1)
EDITS = {
    "recode": (
        "surveys/after-visit.yaml",
        "    type: rating\n    points: 5\n    style: faces\n",
        "    type: rating\n    points: 5\n    recode: {1: 1, 2: 1, 3: 2, 4: 4, 5: 5}\n    style: faces\n",
    ),
    "privacy": ("sitegen.yaml", "  min_group_size: 5\n", "  min_group_size: 8\n"),
    "target": ("content/scorecards/customer-experience.yaml", "target: {value: 50,", "target: {value: 45,"),
}
"""Edits a step may make (each once): a recode of old answers, a stricter privacy minimum, another target."""


def edit(project: Path, name: str) -> None:
    file, old, new = EDITS[name]
    path = project / file
    text = path.read_text(encoding="utf-8")
    if old in text:
        path.write_text(text.replace(old, new, 1), encoding="utf-8")


def purged(site: Site, survey_id: str, days: int) -> None:
    """The survey's answers of the sample's first `days` days deleted, as a retention purge deletes them."""
    cutoff = dt.datetime.fromisoformat(SAMPLE[0]["submitted_at"]) + dt.timedelta(days=days)
    with ResponseStore.open(site.config.model.store, site.files.root) as store:
        purge_survey(store.engine, Cutoffs(survey_id, answers_before=cutoff))


def computed_metrics(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the metrics a build computes (rather than takes from the kept figures), in order."""
    calls: list[str] = []
    original = scorecards.compute_metric

    def noted(metric: Any, *args: Any) -> Any:
        calls.append(metric.id)
        return original(metric, *args)

    monkeypatch.setattr(scorecards, "compute_metric", noted)
    return calls


steps = st.lists(
    st.one_of(
        st.tuples(st.just("next"), st.integers(1, 900)),  # the sample's next answers, as collected
        st.tuples(st.just("late"), st.integers(0, 5000)),  # 200 earlier answers, imported late
        st.tuples(st.just("build"), st.integers(-40, 3)),  # as of days after the latest answer (before it if < 0)
        st.tuples(st.just("purge"), st.integers(1, 200)),  # after-visit's first days deleted
        st.tuples(st.sampled_from(sorted(EDITS)), st.just(0)),
    ),
    min_size=1,
    max_size=7,
)


@histories
@given(history=steps)
def test_kept_figures_equal_a_full_recomputation_after_any_answers_edits_and_purges(
    history: list[tuple[str, int]], tmp_path: Path
) -> None:
    project = copy_example(tmp_path / uuid.uuid4().hex)
    site = load_site(project)
    position = 0
    imported(site, project, SAMPLE[:500], dt.timedelta())
    for step, argument in [("build", 0), *history, ("build", 0), ("build", 0)]:
        if step == "next" and position < len(SAMPLE):
            imported(site, project, SAMPLE[500 + position : 500 + position + argument], dt.timedelta())
            position += argument
        elif step == "late":
            imported(site, project, SAMPLE[argument : argument + 200], dt.timedelta(hours=1))
        elif step == "purge":
            purged(site, "after-visit", argument)
        elif step in EDITS:
            edit(project, step)
            site = load_site(project)
        elif step == "build":
            latest = SAMPLE[min(500 + position, len(SAMPLE)) - 1]["submitted_at"]
            assert_as_recomputed(site, dt.date.fromisoformat(latest[:10]) + dt.timedelta(days=argument))


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """The example with 3,000 answers, its figures computed once as of `AS_OF`."""
    project = copy_example(tmp_path / "example")
    site = load_site(project)
    imported(site, project, SAMPLE[:3000], dt.timedelta())
    compute_scorecards(site, AS_OF)
    return project


def test_a_rebuild_with_nothing_new_computes_no_metric(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    computed = computed_metrics(monkeypatch)
    site = load_site(built)
    figures = compute_scorecards(site, AS_OF)
    assert computed == []
    assert published(figures) == published(recomputed(site, AS_OF))


def test_answers_to_one_survey_compute_only_its_metrics(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = load_site(built)
    imported(site, built, [line for line in SAMPLE[3000:4000] if line["survey"] == "journey-order"], dt.timedelta())
    computed = computed_metrics(monkeypatch)
    figures = compute_scorecards(site, AS_OF)
    on_journey = [
        shown.metric.id
        for one in figures.values()
        for shown in one.metrics
        if getattr(shown.metric, "survey", None) == "journey-order"
    ]
    assert computed and sorted(computed) == sorted(on_journey)
    assert published(figures) == published(recomputed(site, AS_OF))


def test_a_survey_with_answers_after_the_as_of_day_is_computed_every_time(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = load_site(built)
    earlier = dt.date.fromisoformat(SAMPLE[2000]["submitted_at"][:10])
    compute_scorecards(site, earlier)
    computed = computed_metrics(monkeypatch)
    figures = compute_scorecards(site, earlier)
    assert "nps" in computed  # after-visit has answers after that day: its counts cannot tell the figures apart
    assert published(figures) == published(recomputed(site, earlier))


@pytest.mark.parametrize("damage", ["{not json", json.dumps({"format": 0, "entries": {}}), json.dumps([1, 2])])
def test_a_damaged_or_older_file_of_kept_figures_is_read_as_empty(
    built: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    kept = built / ".sitegen-cache" / "answers" / FILE
    assert kept.exists()
    kept.write_text(damage, encoding="utf-8")
    computed = computed_metrics(monkeypatch)
    site = load_site(built)
    figures = compute_scorecards(site, AS_OF)
    assert "nps" in computed
    assert published(figures) == published(recomputed(site, AS_OF))
    assert json.loads(kept.read_text(encoding="utf-8"))["format"] == 1  # written anew


def test_new_code_computes_every_metric_again(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sitegen.kept_figures.code_digest", lambda *files: "another version of sitegen")
    computed = computed_metrics(monkeypatch)
    compute_scorecards(load_site(built), AS_OF)
    assert sorted(computed) == sorted(m.id for source in load_site(built).scorecards for m in source.model.metrics)


def test_the_code_digest_covers_a_plugin_s_own_file(tmp_path: Path) -> None:
    plugin = tmp_path / "kind.py"
    plugin.write_text("A = 1\n", encoding="utf-8")
    before = code_digest(str(plugin))
    code_digest.cache_clear()
    plugin.write_text("A = 2\n", encoding="utf-8")
    assert code_digest(str(plugin)) != before != code_digest()


def test_a_build_from_kept_figures_writes_the_files_a_build_from_nothing_does(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "example")
    site = load_site(project)
    imported(site, project, SAMPLE[:2000], dt.timedelta())
    build_project(project, as_of=AS_OF)
    imported(site, project, [line for line in SAMPLE[2000:3000] if line["survey"] == "after-visit"], dt.timedelta())
    build_project(project, as_of=AS_OF)
    kept = {path.relative_to(project): path.read_bytes() for path in (project / "output").rglob("*") if path.is_file()}
    (project / ".sitegen-cache" / "answers" / FILE).unlink()
    build_project(project, as_of=AS_OF)
    again = {path.relative_to(project): path.read_bytes() for path in (project / "output").rglob("*") if path.is_file()}
    assert sorted(kept) == sorted(again)
    assert [name for name in kept if kept[name] != again[name]] == []


def test_a_change_that_leaves_the_counts_as_they_were_computes_the_survey_again(built: Path) -> None:
    """As a case entry completed later does: one response's answers changed in place, the generation bumped."""
    site = load_site(built)
    with ResponseStore.open(site.config.model.store, site.files.root) as store, store.engine.begin() as connection:
        first = connection.execute(
            select(responses.c.id, responses.c.answers).where(responses.c.survey_id == "after-visit").limit(1)
        ).one()
        score = 10 if first.answers.get("recommend", 0) < 7 else 0  # a promoter now, or a detractor
        changed = {**first.answers, "recommend": score}
        connection.execute(update(responses).where(responses.c.id == first.id).values(answers=changed))
        note_change(connection)
    assert_as_recomputed(site, AS_OF)


def test_scorecards_that_read_answers_are_computed_first_and_published_in_their_order(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = load_site(built)
    order = [source.model.id for source in site.scorecards]  # customer-experience is not the first
    reading = next(source.model for source in site.scorecards[1:] if source.model.id == "customer-experience")
    imported(site, built, [line for line in SAMPLE[3000:3400] if line["survey"] == "after-visit"], dt.timedelta())
    ready: list[str] = []
    figures = compute_scorecards(site, AS_OF, lambda scorecard_id, _metric: ready.append(scorecard_id))
    assert list(figures) == order
    assert ready[: len(reading.metrics)] == [reading.id] * len(reading.metrics), "its charts are drawn first"
    assert sorted(ready) == sorted(scorecard_id for scorecard_id in order for _ in figures[scorecard_id].metrics)
    assert published(figures) == published(recomputed(site, AS_OF))
