"""`sitegen build`: load and check the project, render every page, write `output/` atomically."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sitegen.errors import ProjectInvalid, SiteError
from sitegen.render.environment import THEME_DIR, create_environment
from sitegen.charts import vega_bundle
from sitegen.render import INTRANET, TREES
from sitegen.scorecards import ScorecardFigures, compute_scorecards, metric_csv, scorecard_json
from sitegen.render.pages import PagePlan, plan_pages, render_page, site_values
from sitegen.render.write import write_output
from sitegen.site import Site, load_site

Progress = Callable[[Iterable[PagePlan]], Iterable[PagePlan]]


@dataclass
class BuildReport:
    """What a build did, for the one-line summary."""

    pages: int
    files: int
    seconds: float
    output: Path
    warnings: list[SiteError] = field(default_factory=list)


def render_site(site: Site, progress: Progress = lambda plans: plans) -> dict[str, bytes]:
    """Every output file of a site, by path relative to `output/`, in memory."""
    environment = create_environment(site.files.templates)
    shared = site_values(site)
    figures = compute_scorecards(site)
    files: dict[str, bytes] = {}
    for plan in progress(plan_pages(site, figures)):
        files[f"{plan.tree}/{plan.path}"] = render_page(environment, shared, plan, site.files.root)
    for name, content in static_files(site.files.templates).items():
        for tree in TREES:
            files[f"{tree}/static/{name}"] = content
    files.update(scorecard_files(site, figures))
    return files


def scorecard_files(site: Site, figures: dict[str, ScorecardFigures]) -> dict[str, bytes]:
    """Each scorecard's data files, and the chart script, on the intranet."""
    files: dict[str, bytes] = {}
    for scorecard_id, scorecard in figures.items():
        folder = f"{INTRANET}/scorecards/{scorecard_id}"
        files[f"{folder}/scorecard.json"] = scorecard_json(scorecard, scorecard.scorecard.title.get(site.default_language, site.default_language))
        for metric in scorecard.metrics:
            files[f"{folder}/{metric.metric.id}.csv"] = metric_csv(metric)
    if figures:
        files[f"{INTRANET}/static/vega.js"] = vega_bundle().encode("utf-8")
    return files


def static_files(project_templates: Path) -> dict[str, bytes]:
    """The theme's static files, overridden or extended by the project's `templates/static/`."""
    files: dict[str, bytes] = {}
    for directory in (THEME_DIR / "static", project_templates / "static"):
        if directory.is_dir():
            for path in sorted(directory.rglob("*")):
                if path.is_file():
                    files[path.relative_to(directory).as_posix()] = path.read_bytes()
    return files


def build_project(directory: Path, progress: Progress = lambda plans: plans, strict: bool = False) -> BuildReport:
    """Check, render and write a whole site; nothing is written if anything fails.

    With `strict`, warnings (a missing translation) fail the build too.
    """
    started = time.perf_counter()
    site = load_site(directory)
    if strict and site.warnings:
        raise ProjectInvalid(site.warnings)
    files = render_site(site, progress)
    write_output(site.files.output, files)
    pages = sum(1 for path in files if path.endswith(".html"))
    return BuildReport(pages, len(files), time.perf_counter() - started, site.files.output, site.warnings)
