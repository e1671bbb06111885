"""`sitegen build`: load and check the project, render every page, write `output/` atomically."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from jinja2 import Environment, TemplateError

from sitegen.alerts.signals import queue_new_signals
from sitegen.errors import ProjectInvalid, SiteError
from sitegen.project import NoProject, find_project
from sitegen.render import INTRANET, TREES
from sitegen.render.environment import create_environment, names_used
from sitegen.render.pages import (
    Digests,
    KeptPlans,
    PagePlan,
    Remembered,
    plan_digest,
    plan_pages,
    render_page,
    site_values,
)
from sitegen.render.search import index_trees
from sitegen.render.write import write_output
from sitegen.site import Site, load_site

if TYPE_CHECKING:
    from sitegen.render.scorecard_view import MetricCharts
    from sitegen.scorecards import MetricFigures, ScorecardFigures

Progress = Callable[[Iterable[PagePlan]], Iterable[PagePlan]]


@dataclass
class BuildReport:
    """What a build did, for the one-line summary."""

    pages: int
    files: int
    seconds: float
    output: Path
    warnings: list[SiteError] = field(default_factory=list)
    signals_queued: int = 0  # new control-chart signals queued as alerts (`sitegen.alerts.signals`)


class Rendered(NamedTuple):
    """A page as the last build made it: its plan, the digests of its own values and of the shared values its
    templates read, and its HTML."""

    plan: PagePlan
    values: str
    shared: str
    html: bytes


@dataclass
class RenderCache:
    """What one build leaves for the next (`sitegen serve`): pages by what they were made from, and figures.

    A page is rendered again only when its own values or the shared values
    its templates read changed; a change to any template starts afresh.
    Scorecard figures are computed again only when the scorecards, their
    surveys, the data files or the number of stored responses changed.
    """

    templates: tuple[tuple[str, int], ...] = ()
    environment: Environment | None = None
    names: dict[str, frozenset[str]] = field(default_factory=dict)
    pages: dict[str, Rendered] = field(default_factory=dict)
    """Each page of the last build by path; a plan it kept (`KeptPlans`) keeps its values' digest too."""
    figures_key: str = ""
    figures: dict[str, ScorecardFigures] = field(default_factory=dict)
    charts: dict[tuple[str, str], MetricCharts] = field(default_factory=dict)
    digests: Remembered = field(default_factory=dict)
    plans: KeptPlans = field(default_factory=KeptPlans)

    def prepare(self, site: Site) -> Environment:
        """The environment to render with; everything is forgotten when a template changed."""
        stamp = template_stamp(site.template_folders)
        if self.environment is None or stamp != self.templates:
            self.templates, self.environment, self.names, self.pages = (
                stamp,
                create_environment(site.template_folders),
                {},
                {},
            )
        return self.environment

    def scorecard_figures(self, site: Site, as_of: dt.date) -> dict[str, ScorecardFigures]:
        if not site.scorecards:
            self.figures_key, self.figures, self.charts = "", {}, {}
            return self.figures
        # pandas, altair and the store load only for sites with scorecards: a second off every other build.
        from sitegen.chart_cache import ChartCache
        from sitegen.charts import prepare_charts, use_chart_cache
        from sitegen.render.scorecard_view import metric_charts
        from sitegen.render.segments import metric_words
        from sitegen.scorecards import compute_scorecards, scorecards_key

        key = scorecards_key(site, as_of)
        if key != self.figures_key:
            use_chart_cache(ChartCache.open(site.files.root / site.config.model.chart_cache, site.files.output))
            prepare_charts()
            charts: dict[tuple[str, str], MetricCharts] = {}

            def draw(scorecard_id: str, metric: MetricFigures) -> None:
                # Built as each metric is ready, its SVGs are drawn in the background while the next metrics are
                # computed and the other pages render.
                charts[scorecard_id, metric.metric.id] = metric_charts(metric, metric_words(site, metric.metric))

            figures = compute_scorecards(site, as_of, draw)
            self.figures_key, self.figures, self.charts = key, figures, charts
        return self.figures


def template_stamp(folders: Sequence[Path]) -> tuple[tuple[str, int], ...]:
    """Every template file of the project, its theme and plugins (`Site.template_folders`), with its modification
    time: a changed file, or another theme, is a new stamp."""
    return tuple(
        sorted(
            (str(path), path.stat().st_mtime_ns) for folder in folders for path in folder.rglob("*") if path.is_file()
        )
    )


def today_in(timezone: str) -> dt.date:
    """The calendar day it is now in the site's timezone: the default as-of day of a build."""
    return dt.datetime.now(ZoneInfo(timezone)).date()


def render_site(
    site: Site,
    progress: Progress = lambda plans: plans,
    cache: RenderCache | None = None,
    as_of: dt.date | None = None,
    is_local: bool = False,
) -> dict[str, bytes]:
    """Every output file of a site, by path relative to `output/`, in memory.

    Scorecards count the responses up to the `as_of` day (default: today in
    the site's timezone). With a `cache` (`sitegen serve`), only pages whose
    own or shared values changed since the last call are rendered; without
    one, every page is, and nothing is digested. `is_local` links every page
    by its `index.html`, for reading the output from disk.
    """
    is_incremental = cache is not None
    cache = cache if cache is not None else RenderCache()
    environment = cache.prepare(site)
    shared = site_values(site)
    digests = Digests(shared, cache.digests)
    day = as_of or today_in(site.config.model.timezone)
    figures = cache.scorecard_figures(site, day)
    files: dict[str, bytes] = {}
    pages: dict[str, Rendered] = {}
    read: dict[tuple[str, str], str] = {}  # the digest of the shared values a template reads, by template and tree
    for plan in progress(plan_pages(site, day, figures, cache.charts, cache.plans)):
        path = plan.address
        if not is_incremental:
            files[path] = render_page(environment, shared, plan, site.files.root, is_local=is_local)
            continue
        group = (plan.template, plan.tree)
        if group not in read:
            read[group] = digests.of_names(_names(cache, environment, shared, plan, site), plan.tree)
        last = cache.pages.get(path)
        if last is None or last.plan is not plan:
            values = plan_digest(plan, digests)
        elif last.shared == read[group]:
            pages[path], files[path] = last, last.html  # a kept plan: all a page costs that an edit did not touch
            continue
        else:
            values = last.values
        if last is not None and last.values == values and last.shared == read[group]:
            html = last.html
        else:
            html = render_page(environment, shared, plan, site.files.root, is_local=is_local)
        pages[path], files[path] = Rendered(plan, values, read[group], html), html
    cache.pages, cache.digests = pages, digests.used
    for name, content in static_files(site.template_folders).items():
        for tree in TREES:
            files[f"{tree}/static/{name}"] = content
    config = site.config.model
    if config.logo and config.logo_asset:
        for tree in TREES:
            files[f"{tree}/static/{config.logo_asset}"] = (site.files.root / config.logo).read_bytes()
    files.update(scorecard_files(site, figures))
    return files


def render_figure_files(site: Site, as_of: dt.date) -> dict[str, bytes]:
    """The files that show scorecard figures (pages planned with `shows_figures`, the data files), made exactly as
    `render_site` makes them for the same store and day: what `sitegen.refresh` writes again."""
    cache = RenderCache()
    environment = cache.prepare(site)
    shared = site_values(site)
    figures = cache.scorecard_figures(site, as_of)
    plans = [plan for plan in plan_pages(site, as_of, figures, cache.charts) if plan.shows_figures]
    files = {f"{plan.tree}/{plan.path}": render_page(environment, shared, plan, site.files.root) for plan in plans}
    files.update(scorecard_files(site, figures))
    return files


def _names(
    cache: RenderCache, environment: Environment, shared: dict[str, Any], plan: PagePlan, site: Site
) -> frozenset[str]:
    """The names a page's template reads, worked out once per template."""
    if plan.template not in cache.names:
        try:
            cache.names[plan.template] = names_used(environment, plan.template)
        except TemplateError:
            render_page(environment, shared, plan, site.files.root)  # reports the template's error at its line
            raise
    return cache.names[plan.template]


def scorecard_files(site: Site, figures: dict[str, ScorecardFigures]) -> dict[str, bytes]:
    """Each scorecard's data files, and the chart script, on the intranet."""
    if not figures:
        return {}
    from sitegen.charts import vega_bundle
    from sitegen.scorecards import metric_csv, scorecard_json

    files: dict[str, bytes] = {}
    for scorecard_id, scorecard in figures.items():
        folder = f"{INTRANET}/scorecards/{scorecard_id}"
        files[f"{folder}/scorecard.json"] = scorecard_json(
            scorecard, scorecard.scorecard.title.get(site.default_language, site.default_language)
        )
        for metric in scorecard.metrics:
            files[f"{folder}/{metric.metric.id}.csv"] = metric_csv(metric)
    files[f"{INTRANET}/static/vega.js"] = vega_bundle().encode("utf-8")
    return files


def static_files(folders: Sequence[Path]) -> dict[str, bytes]:
    """The `static/` files of the template folders, one of a folder searched earlier replacing a later one's: the
    project's `templates/static/` overrides or extends its theme's, which override the built-in theme's."""
    files: dict[str, bytes] = {}
    for directory in reversed([folder / "static" for folder in folders]):
        if directory.is_dir():
            for path in sorted(directory.rglob("*")):
                if path.is_file():
                    files[path.relative_to(directory).as_posix()] = path.read_bytes()
    return files


def _start_drawing_early(directory: Path) -> None:
    """A project with scorecards starts its drawing process while it loads (`charts.start_drawing`)."""
    try:
        files = find_project(directory)
    except NoProject:
        return  # load_site says so
    if files.scorecards:
        from sitegen.charts import start_drawing

        start_drawing()


def build_project(
    directory: Path,
    progress: Progress = lambda plans: plans,
    strict: bool = False,
    as_of: dt.date | None = None,
    is_local: bool = False,
) -> BuildReport:
    """Check, render, index for search and write a whole site; nothing is written if anything fails.

    With `strict`, warnings (a missing translation) fail the build too;
    `as_of` rebuilds the scorecards as they stood at the end of that day;
    `is_local` makes links that work where the output is opened from disk.
    """
    started = time.perf_counter()
    _start_drawing_early(directory)
    site = load_site(directory)
    if strict and site.warnings:
        raise ProjectInvalid(site.warnings)
    files = render_site(site, progress, as_of=as_of, is_local=is_local)
    write_output(site.files.output, files, finish=lambda staging: index_trees(staging, site.languages))
    signals = queue_new_signals(site, files)  # after the write: a build that fails tells nobody
    pages = sum(1 for path in files if path.endswith(".html"))
    return BuildReport(pages, len(files), time.perf_counter() - started, site.files.output, site.warnings, signals)
