"""Which pages a site has, and how each is rendered from its template.

`plan_pages` lists every page of both trees (`public`, `intranet`) in every
language; `render_page` turns one plan into HTML bytes. Links between pages
are relative, so each tree works wherever it is deployed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_datetime_format
from jinja2 import Environment, TemplateError, TemplateSyntaxError

from sitegen.errors import ProjectInvalid, SiteError
from sitegen.i18n import UiText, language_name
from sitegen.models.content import Standard
from sitegen.models.survey import Survey
from sitegen.render import INTRANET, PUBLIC, TREES
from sitegen.render.links import relative_url
from sitegen.render.policy import page_policy
from sitegen.render.surveys import qr_code_svg, short_link, survey_key, survey_link, survey_tree, survey_values
from sitegen.site import Page, Site
from sitegen.themes import THEME_DIR

if TYPE_CHECKING:
    from sitegen.render.scorecard_view import MetricCharts
    from sitegen.scorecards import LatestAnswer, ScorecardFigures


@dataclass(frozen=True)
class PagePlan:
    """One page to write: which tree, language, address and template, with its own values."""

    tree: str
    lang: str
    key: str
    template: str
    values: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    shows_figures: bool = False
    """It shows scorecard figures: `sitegen.refresh` writes it again when they change."""
    qr_target: str = ""
    """The address the page's QR code encodes (a poster's), which `sitegen check --links` proves is a built page."""

    @property
    def path(self) -> str:
        """The file path inside its tree, e.g. `lv/standards/greeting/index.html`."""
        return f"{self.lang}/{self.key}index.html" if self.lang else f"{self.key}index.html"

    @cached_property
    def address(self) -> str:
        """The file path inside `output/`, e.g. `intranet/lv/standards/greeting/index.html`: made once for a kept
        plan."""
        return f"{self.tree}/{self.path}"


def sorted_standards(site: Site) -> list[Standard]:
    return sorted((source.model for source in site.standards), key=lambda standard: (standard.order, standard.id))


_AUDIENCES = {PUBLIC: ("public", "both"), INTRANET: ("intranet", "both")}
"""The free pages' audiences each tree shows."""


def pages_for(site: Site, tree: str) -> list[Page]:
    """The free pages a tree shows, in navigation order."""
    chosen = [page for page in site.pages if page.meta.model.audience in _AUDIENCES[tree]]
    return sorted(chosen, key=lambda page: (page.meta.model.order, page.slug))


class KeptPlans:
    """Free pages' plans kept from one build to the next (`sitegen serve`): a page that is the same object (the parse
    cache keeps it while its files are unchanged) gets the same plan in each tree and language, whose signature is
    then known without digesting it again."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, str, str], tuple[Page, str, PagePlan]] = {}
        self._now: dict[tuple[str, str, str], tuple[Page, str, PagePlan]] = {}

    def page_plan(self, tree: str, lang: str, page: Page, default_language: str) -> PagePlan:
        key = (tree, lang, page.slug)
        kept = self._last.get(key)
        if kept is None or kept[0] is not page or kept[1] != default_language:
            body = page.bodies.get(lang, page.bodies[default_language])
            plan = PagePlan(tree, lang, f"pages/{page.slug}/", "page.html", {"page": page, "body": body})
            kept = (page, default_language, plan)
        self._now[key] = kept
        return kept[2]

    def finish(self) -> None:
        """Keep this build's plans (only those) for the next."""
        self._last, self._now = self._now, {}


def plan_pages(
    site: Site,
    build_day: dt.date,
    figures: Mapping[str, ScorecardFigures] | None = None,
    charts: dict[tuple[str, str], MetricCharts] | None = None,
    kept: KeptPlans | None = None,
) -> list[PagePlan]:
    """Every page of the site, in a stable order; scorecard pages show `figures` (with `charts` kept from before).

    `build_day` decides which surveys the pages show as closed; free pages' plans are taken from `kept` when their
    page is unchanged.
    """
    views = ScorecardViews(site, figures or {}, {} if charts is None else charts)
    kept = kept if kept is not None else KeptPlans()
    plans: list[PagePlan] = []
    for tree in TREES:
        plans.append(PagePlan(tree, "", "", "language.html"))
        tree_pages = pages_for(site, tree)
        for lang in site.languages:
            plans += _tree_pages(site, tree, lang, tree_pages)
            plans += [kept.page_plan(tree, lang, page, site.default_language) for page in tree_pages]
            plans += _tree_sources(site, tree, lang, views, build_day)
    kept.finish()
    return plans


class ScorecardViews:
    """Scorecard figures as pages show them; each metric's charts are built once for all languages together."""

    def __init__(
        self, site: Site, figures: Mapping[str, ScorecardFigures], charts: dict[tuple[str, str], MetricCharts]
    ) -> None:
        self.site = site
        self.figures = figures
        self._charts = charts

    def metric(self, scorecard_id: str, metric_id: str, lang: str) -> dict[str, Any] | None:
        scorecard = self.figures.get(scorecard_id)
        figures = scorecard.metric(metric_id) if scorecard else None
        if figures is None:
            return None
        from sitegen.render.scorecard_view import (
            metric_charts,
            metric_view,
        )  # pandas and altair: only sites with scorecards
        from sitegen.render.segments import metric_words

        key = (scorecard_id, metric_id)
        words = metric_words(self.site, figures.metric)
        if key not in self._charts or lang not in self._charts[key].segments:
            self._charts[key] = metric_charts(figures, words)
        return metric_view(figures, self._charts[key], lang, self.site.default_language, words[lang])

    def pages(self, lang: str) -> Iterator[PagePlan]:
        """The scorecards index and one page per scorecard (intranet)."""
        scorecards = [source.model for source in self.site.scorecards]
        if scorecards:
            yield PagePlan(INTRANET, lang, "scorecards/", "scorecards.html", {"scorecards": scorecards})
        for scorecard in scorecards:
            figures = self.figures.get(scorecard.id)
            views = [self.metric(scorecard.id, metric.id, lang) for metric in scorecard.metrics] if figures else []
            values = {
                "scorecard": scorecard,
                "metric_views": views,
                "responses": figures.responses if figures else 0,
                "as_of": format_date(figures.as_of, format="long", locale=lang) if figures else None,
                "latest_complete": figures.latest_complete if figures else None,
                "computed_at": computed_at(figures.latest_answer, lang, self.site.config.model.timezone)
                if figures and figures.latest_answer
                else None,
                "data_path": f"scorecards/{scorecard.id}/",
            }
            yield PagePlan(INTRANET, lang, f"scorecards/{scorecard.id}/", "scorecard.html", values, shows_figures=True)


def computed_at(latest: LatestAnswer, lang: str, timezone: str) -> str:
    """When the figures were computed, as the page says it: the newest answer they count, in the site's timezone
    and the language's medium date and short time (CLDR); the day alone for an anonymous survey's answer."""
    day = format_date(latest.moment.astimezone(ZoneInfo(timezone)).date(), format="medium", locale=lang)
    if not latest.has_time:
        return day
    time = format_time(latest.moment, format="short", tzinfo=ZoneInfo(timezone), locale=lang)
    return str(get_datetime_format("medium", locale=lang)).format(time, day)


def _tree_pages(site: Site, tree: str, lang: str, tree_pages: list[Page]) -> Iterator[PagePlan]:
    """A tree's pages in one language that come before its free pages: home, vision, the free pages' list."""
    vision = site.vision.model if site.vision else None
    yield PagePlan(tree, lang, "", "home.html")
    if vision is not None and (tree == INTRANET or site.config.model.public.vision):
        yield PagePlan(tree, lang, "vision/", "vision.html")
    if tree_pages:
        yield PagePlan(tree, lang, "pages/", "pages.html")


def _tree_sources(site: Site, tree: str, lang: str, views: ScorecardViews, day: dt.date) -> Iterator[PagePlan]:
    """A tree's pages in one language that come after its free pages: surveys, standards, guides, scorecards."""
    yield from _survey_pages(site, tree, lang, day)
    if tree == PUBLIC:
        return
    yield PagePlan(tree, lang, "standards/", "standards.html")
    for standard in sorted_standards(site):
        measures = _measures(site, standard, views, lang)
        yield PagePlan(
            tree,
            lang,
            f"standards/{standard.id}/",
            "standard.html",
            {"standard": standard, "measures": measures},
            shows_figures=bool(measures),
        )
    if site.guides:
        yield PagePlan(tree, lang, "onboarding/", "guides.html")
    for source in site.guides:
        yield PagePlan(tree, lang, f"onboarding/{source.model.id}/", "guide.html", {"guide": source.model})
    yield from views.pages(lang)


def surveys_for(site: Site, tree: str) -> list[Survey]:
    """The surveys a tree hosts: customer surveys are public, employee surveys internal."""
    return [source.model for source in site.surveys if survey_tree(source.model) == tree]


def qr_links(site: Site, survey: Survey, lang: str) -> dict[str, str]:
    """Location -> the address of the survey's page for it, where the survey's site address is known."""
    config = site.config.model
    links = {location: survey_link(config, survey, lang, location) for location in locations_of(survey)}
    return {location: link for location, link in links.items() if link is not None}


def locations_of(survey: Survey) -> list[str]:
    """The values of a survey's hidden `location` field, each of which gets its own page."""
    return survey.hidden["location"].ids if "location" in survey.hidden else []


POSTER_PAPERS = {"a4": "", "a6": "a6/"}
"""Each location's poster comes in A4 (for a wall or window) and A6 (a table tent), by address suffix."""


def _survey_pages(site: Site, tree: str, lang: str, day: dt.date) -> Iterator[PagePlan]:
    """Each survey's form (also one per location) and thank-you page; on the intranet, QR codes for every location."""
    config = site.config.model
    hosted = surveys_for(site, tree)
    listed = [source.model for source in site.surveys] if tree == INTRANET else hosted
    qr_pages = {survey.id: qr_links(site, survey, lang) for survey in listed} if tree == INTRANET else {}
    if listed:
        yield PagePlan(tree, lang, "surveys/", "surveys.html", {"listed_surveys": listed, "qr_pages": qr_pages})
    for survey in hosted:
        for location in [None, *locations_of(survey)]:
            values = survey_values(config, survey, lang, day, location)
            yield PagePlan(tree, lang, survey_key(survey, location), "survey.html", values)
        yield PagePlan(tree, lang, f"surveys/{survey.id}/thanks/", "thanks.html", {"survey": survey})
    for survey in listed if tree == INTRANET else []:
        for location, link in qr_pages[survey.id].items():
            poster = f"surveys/{survey.id}/qr/{location}/"
            values = {
                "survey": survey,
                "location": location,
                "link": link,
                "short_link": short_link(link),
                "qr_code": qr_code_svg(link, f"{survey.id} {location}"),
                "poster_keys": {paper: poster + suffix for paper, suffix in POSTER_PAPERS.items()},
            }
            for paper, suffix in POSTER_PAPERS.items():
                yield PagePlan(tree, lang, poster + suffix, "qr.html", values | {"paper": paper}, qr_target=link)


def _measures(site: Site, standard: Standard, views: ScorecardViews, lang: str) -> list[dict[str, Any]]:
    """The scorecard and metric of each reference in a standard's `measured_by` (checked to exist), with figures."""
    found = []
    for _loc, reference in standard.metric_refs:
        scorecard_id, metric_id = reference.split("/")
        scorecard = next(source.model for source in site.scorecards if source.model.id == scorecard_id)
        found.append(
            {
                "scorecard": scorecard,
                "metric": scorecard.metric(metric_id),
                "view": views.metric(scorecard_id, metric_id, lang),
            }
        )
    return found


def site_values(site: Site) -> dict[str, Any]:
    """Values every page can use, computed once per build."""
    tree_pages = {tree: pages_for(site, tree) for tree in TREES}
    return {
        "site": site.config.model,
        "content_security_policy": page_policy(site.config.model),
        "vision": site.vision.model if site.vision else None,
        "standards": sorted_standards(site),
        "guides": [source.model for source in site.guides],
        "languages": site.languages,
        "default_language": site.default_language,
        "language_names": {lang: language_name(lang) for lang in site.languages},
        "tree_pages": tree_pages,
        "tree_surveys": {tree: surveys_for(site, tree) for tree in TREES},
        "scorecards": [source.model for source in site.scorecards],
        "nav": {
            "vision": site.vision is not None,
            "standards": bool(site.standards),
            "guides": bool(site.guides),
            "scorecards": bool(site.scorecards),
            "pages": {tree: bool(tree_pages[tree]) for tree in TREES},
            "surveys": {tree: bool(surveys_for(site, tree)) for tree in TREES},
        },
    }


PER_TREE_VALUES = {"nav_pages": "tree_pages", "nav_surveys": "tree_surveys"}
"""Values `render_page` picks per tree out of a shared value."""


Remembered = dict[int, tuple[Any, str]]
"""Digests of page values by object identity (the object kept, so its id cannot be reused)."""


class Digests:
    """Digests of what pages are made from, each made once however many pages use it.

    Shared values are digested once per build; a page's own values once for
    as long as they are the same objects, which the parse cache keeps them
    across `serve` rebuilds while their files are unchanged.
    """

    def __init__(self, shared: dict[str, Any], remembered: Remembered | None = None) -> None:
        self.shared = shared
        self.remembered = remembered if remembered is not None else {}
        self.used: Remembered = {}
        self._shared: dict[tuple[str, str], str] = {}
        self._names: dict[tuple[frozenset[str], str], str] = {}

    def of_shared(self, name: str, tree: str) -> str:
        """The digest of shared value `name` as a page of `tree` sees it."""
        key = (name, tree if name in PER_TREE_VALUES else "")
        if key not in self._shared:
            if name in PER_TREE_VALUES:
                self._shared[key] = self.of_value(self.shared[PER_TREE_VALUES[name]][tree])
            else:
                self._shared[key] = f"{name}={self.of_value(self.shared[name])}" if name in self.shared else ""
        return self._shared[key]

    def of_names(self, names: frozenset[str], tree: str) -> str:
        """The shared values a template reads, as a page of `tree` sees them: worked out once per template and tree."""
        key = (names, tree)
        if key not in self._names:
            self._names[key] = "\x00".join(self.of_shared(name, tree) for name in sorted(names))
        return self._names[key]

    def of_value(self, value: Any) -> str:
        """The digest of a value: plain values as they are, containers from their items' digests, objects once."""
        if isinstance(value, str) and len(value) <= 64:
            return repr(value)
        if isinstance(value, (int, float, bool, type(None))):
            return repr(value)
        if isinstance(value, (list, tuple)):
            return _digest(type(value).__name__ + ",".join(self.of_value(item) for item in value))
        if isinstance(value, dict):
            return _digest(
                "dict" + ",".join(f"{self.of_value(key)}:{self.of_value(item)}" for key, item in value.items())
            )
        # Long texts too: a page's Markdown is the same string object while the parse cache keeps its file.
        kept = self.remembered.get(id(value))
        if kept is not None and kept[0] is value:
            digest = kept[1]
        else:
            digest = _digest(value if isinstance(value, str) else repr(value))
        self.used[id(value)] = (value, digest)
        return digest


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan_digest(plan: PagePlan, digests: Digests) -> str:
    """A digest of what a page is made from besides the shared values: its template, place and own values."""
    parts = [plan.template, plan.tree, plan.lang, plan.key]
    parts += [f"{name}={digests.of_value(value)}" for name, value in sorted(plan.values.items())]
    return _digest("\x00".join(parts))


SITE_PATH = r"/(?!/)"
"""An address an owner writes as `/lv/pages/about/`: a page of the tree the link is on, linked like the theme's."""


def render_page(
    environment: Environment,
    shared: dict[str, Any],
    plan: PagePlan,
    project_root: Path,
    link_base: str | None = None,
    is_local: bool = False,
) -> bytes:
    """Render one page; a template problem becomes a SiteError naming the template line.

    Links are relative to the page (naming each page's `index.html` where
    `is_local`: for reading from disk, `sitegen.render.links`), or, for a
    page served elsewhere (the collector's), prefixed with `link_base` (the
    tree's address, or "" for the same origin).
    """
    ui = UiText(plan.lang or shared["default_language"])

    def link(target: str) -> str:
        return relative_url(plan.path, target, is_local) if link_base is None else f"{link_base}/{target}"

    def url(key: str, lang: str | None = None) -> str:
        target_lang = (plan.lang or shared["default_language"]) if lang is None else lang
        return link(f"{target_lang}/{key}")

    values = {
        **shared,
        **plan.values,
        "tree": plan.tree,
        "lang": plan.lang or shared["default_language"],
        "page_key": plan.key,
        **{name: shared[source][plan.tree] for name, source in PER_TREE_VALUES.items()},
        "url": url,
        "asset": lambda name: link(f"static/{name}"),
        "root": link,
        "address": lambda target: link(target[1:]) if re.match(SITE_PATH, target) else target,
        "has_search": link_base is None,  # the index lies beside a built tree's pages; the collector's have none
        "_": ui.gettext,
        "ngettext": ui.ngettext,
    }
    try:
        html = environment.get_template(plan.template).render(values)
    except TemplateSyntaxError as problem:
        raise ProjectInvalid(
            [_template_error(problem.filename, problem.lineno, problem.message or str(problem), project_root)]
        ) from None
    except TemplateError as problem:
        raise ProjectInvalid([_template_error(*_template_frame(problem), project_root)]) from None
    except Exception as problem:  # `{{ 1 / 0 }}` in an override: the owner's mistake, not a bug in sitegen
        filename, line, message = _template_frame(problem)
        if filename is None or not Path(filename).is_relative_to(project_root):
            raise  # raised by the theme alone: a bug, which keeps its traceback
        raise ProjectInvalid([_template_error(filename, line, message, project_root)]) from None
    return html.encode("utf-8")


def _template_frame(problem: Exception) -> tuple[str | None, int, str]:
    """The last template file and line in a rendering error's traceback (Jinja2 rewrites it to template lines)."""
    filename, line = None, 1
    trace = problem.__traceback__
    while trace is not None:
        code_file = trace.tb_frame.f_code.co_filename
        if code_file.endswith(".html"):
            filename, line = code_file, trace.tb_lineno
        trace = trace.tb_next
    message = problem.message if isinstance(problem, TemplateError) else None
    return filename, line, message or str(problem) or type(problem).__name__


def _template_error(filename: str | None, line: int | None, message: str, project_root: Path) -> SiteError:
    shown = filename or "<template>"
    if filename:
        path = Path(filename)
        for base, prefix in ((project_root, ""), (THEME_DIR, "sitegen/theme/")):
            if path.is_relative_to(base):
                shown = prefix + path.relative_to(base).as_posix()
                break
    return SiteError(shown, line or 1, 1, "", f"template error: {message}")
