"""The surveys the collector checks answers against: the project as last loaded, swapped whole when its files change.

A request reads `ServedSurveys.snapshot` once and keeps that object to its end, so a reload in the middle of a post
never mixes two versions. A version that an edit replaced stays known for `collector.version_grace_days`: a form
built from it (its hidden `v` names it) is checked against it and stored under its id.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import watchfiles
from jinja2 import Environment

from sitegen.collector.guards import allowed_origins
from sitegen.errors import ProjectInvalid, SitegenError
from sitegen.models.site import SiteConfig
from sitegen.models.survey import Survey
from sitegen.project import CONFIG_FILE, SURVEYS_DIR
from sitegen.render.environment import create_environment
from sitegen.render.pages import site_values
from sitegen.render.surveys import survey_tree, tree_url
from sitegen.site import Site, load_site
from sitegen.versions import SurveyVersion, survey_version, version_of

logger = logging.getLogger("sitegen.collector")
Clock = Callable[[], dt.datetime]
SAME_ORIGIN: Mapping[str, str] = MappingProxyType({"public": "", "intranet": "/intranet"})
"""Where each tree is served on the collector's own origin: the public site at its root, the built intranet below
/intranet, to signed-in staff (`sitegen.staff.pages`; the preview serves it there too)."""
SURVEY_SUFFIXES = (".yaml", ".yml")


class VersionKeeper(Protocol):
    """Where versions are kept beyond this process (`sitegen.store.ResponseStore`): their definitions outlive a
    restart, so a form of an earlier version is still checked against the questions it showed."""

    def record_versions(self, versions: list[SurveyVersion]) -> None: ...

    def versions(self, survey_id: str | None = None) -> list[SurveyVersion]: ...


@dataclass(frozen=True)
class Snapshot:
    """One good load of the project: every value a request takes from the site, never changed once made."""

    site: Site
    surveys: Mapping[str, Survey]
    versions: Mapping[str, str]
    """Each survey's `survey_version`: what its pages' hidden `v` says and what its rows are stored under."""
    environment: Environment
    shared: dict[str, Any]
    origins: frozenset[str]
    max_body: int
    zone: ZoneInfo
    tree_prefixes: Mapping[str, str]

    @classmethod
    def of(cls, site: Site, tree_prefixes: Mapping[str, str] = SAME_ORIGIN) -> Snapshot:
        config = site.config.model
        surveys = {source.model.id: source.model for source in site.surveys}
        return cls(
            site=site,
            surveys=MappingProxyType(surveys),
            versions=MappingProxyType({survey_id: survey_version(survey) for survey_id, survey in surveys.items()}),
            environment=create_environment(site.template_folders),
            # The collector's pages come from its own origin and carry its own policy as a header (which lets in the
            # site's stylesheet); the built pages' meta policy, whose 'self' is the site, would block it.
            shared={**site_values(site), "content_security_policy": None},
            origins=allowed_origins(config),
            max_body=config.collector.max_body_kb * 1024,
            zone=ZoneInfo(config.timezone),
            tree_prefixes=tree_prefixes,
        )

    @property
    def config(self) -> SiteConfig:
        return self.site.config.model

    def link_base(self, survey: Survey | None) -> str:
        """Where the site's pages are, seen from the collector: same origin unless collector_url is set."""
        tree = survey_tree(survey) if survey else "public"
        if self.config.collector_url is None:
            return self.tree_prefixes[tree]
        return tree_url(self.config, tree) or tree_url(self.config, "public") or ""


@dataclass(frozen=True)
class Superseded:
    """A survey version served before the current one, and when an edit replaced it."""

    survey: Survey
    at: dt.datetime


@dataclass(frozen=True)
class Checked:
    """The survey version a post's answers are checked against and stored under."""

    survey: Survey
    version: str
    is_stale: bool = False
    """The post named a version no longer taken (unknown, or past its grace), so it is checked against the current
    one; if its answers do not fit that either, the respondent is told the survey changed."""


class ServedSurveys:
    """The current snapshot, the versions it replaced, and the reload that swaps them when the files change."""

    def __init__(
        self,
        project: Path,
        site: Site,
        clock: Clock,
        tree_prefixes: Mapping[str, str] = SAME_ORIGIN,
        keeper: VersionKeeper | None = None,
    ) -> None:
        self.project = project.resolve()
        self.clock = clock
        self.tree_prefixes = tree_prefixes
        self.keeper = keeper
        self._kept: dict[tuple[str, str], Superseded] = {}
        self._record(site)
        self.snapshot = Snapshot.of(site, tree_prefixes)
        self._superseded: dict[tuple[str, str], Superseded] = {}
        self._reloading = asyncio.Lock()

    def _record(self, site: Site) -> None:
        """Keep the versions of `site` in the store before any answer of them is stored, and read back the earlier
        versions the store keeps (each replaced when the next was first seen), so that no post waits on the store."""
        if self.keeper is None:
            return
        self.keeper.record_versions([version_of(source.model, self.clock()) for source in site.surveys])
        by_survey: dict[str, list[SurveyVersion]] = {}
        for kept in self.keeper.versions():
            by_survey.setdefault(kept.survey_id, []).append(kept)
        self._kept = {
            (earlier.survey_id, earlier.version): Superseded(earlier.survey(), later.first_seen)
            for versions in by_survey.values()
            for earlier, later in itertools.pairwise(versions)
        }

    def superseded(self, survey_id: str, version: str) -> Superseded | None:
        """An earlier version of a survey: one this process served, or one the store keeps, so a restart forgets
        none. The one place such a version is looked up."""
        return self._superseded.get((survey_id, version)) or self._kept.get((survey_id, version))

    def choose_version(self, snapshot: Snapshot, survey_id: str, posted_version: object) -> Checked:
        """The version a post's answers are checked against: the one its form names if that is current or was
        replaced less than `version_grace_days` ago, else the current one (an API client names none)."""
        current = Checked(snapshot.surveys[survey_id], snapshot.versions[survey_id])
        if posted_version is None or posted_version == current.version:
            return current
        if isinstance(posted_version, str):
            earlier = self.superseded(survey_id, posted_version)
            if earlier is not None and self.clock() - earlier.at < _grace(snapshot):
                return Checked(earlier.survey, posted_version)
        return Checked(current.survey, current.version, is_stale=True)

    def install(self, site: Site) -> None:
        """Serve `site` from now on (the preview's rebuilds come in here)."""
        self._record(site)
        self._swap(Snapshot.of(site, self.tree_prefixes))

    async def reload(self) -> bool:
        """Load the project again, off the event loop, and serve it; if it does not load, keep serving the last good
        snapshot and log why with file:line (the owner watches the console). Whether the new one is served."""
        async with self._reloading:
            try:
                snapshot = await asyncio.to_thread(self._load)
            except (SitegenError, OSError) as error:  # a YAML typo, a file removed or being replaced
                logger.error("the edited project does not load; answers are checked as before it:\n%s", _why(error))
                return False
            self._swap(snapshot)
            versions = ", ".join(f"{survey_id} {version}" for survey_id, version in sorted(snapshot.versions.items()))
            logger.info("surveys reloaded: %s", versions)
            return True

    def _load(self) -> Snapshot:
        """The project as its files now are, its versions kept in the store before it is served."""
        site = load_site(self.project)
        self._record(site)
        return Snapshot.of(site, self.tree_prefixes)

    def _swap(self, new: Snapshot) -> None:
        """Keep each replaced version with the moment it was replaced, forget those past their grace, then swap."""
        old, now = self.snapshot, self.clock()
        replaced = [
            (survey_id, version)
            for survey_id, version in old.versions.items()
            if new.versions.get(survey_id) != version
        ]
        for survey_id, version in replaced:
            self._superseded[survey_id, version] = Superseded(old.surveys[survey_id], now)
        grace = _grace(new)
        self._superseded = {
            key: earlier
            for key, earlier in self._superseded.items()
            if now - earlier.at < grace and new.versions.get(key[0]) != key[1]  # a version restored is current again
        }
        self.snapshot = new  # one assignment: a request in flight keeps the snapshot it read at its start


def _why(error: SitegenError | OSError) -> str:
    """What stopped a reload as the owner reads it: each error of an invalid project at its file:line:col."""
    if isinstance(error, ProjectInvalid):
        return "\n".join(str(problem) for problem in error.errors if not problem.is_warning)
    return str(error)


def _grace(snapshot: Snapshot) -> dt.timedelta:
    return dt.timedelta(days=snapshot.config.collector.version_grace_days)


def survey_change_filter(project: Path) -> Callable[[watchfiles.Change, str], bool]:
    """A watch filter taking `sitegen.yaml` and the survey files of `project` (resolved), and nothing else: the store
    beside them changes with every answer."""
    config, surveys = project / CONFIG_FILE, project / SURVEYS_DIR

    def is_wanted(change: watchfiles.Change, path: str) -> bool:
        changed = Path(path)
        return changed == config or (changed.parent == surveys and changed.suffix in SURVEY_SUFFIXES)

    return is_wanted


async def follow_files(served: ServedSurveys, stop: asyncio.Event) -> None:
    """Reload `served` whenever a survey file or sitegen.yaml changes, until `stop` is set.

    Two directories are watched, not recursively (not the output or the store), so an editor that saves by
    replacing the file is seen too. Changes that come during a reload are kept by the watcher for the next round.
    """
    paths = [path for path in (served.project, served.project / SURVEYS_DIR) if path.is_dir()]
    is_wanted = survey_change_filter(served.project)
    async for _ in watchfiles.awatch(
        *paths, watch_filter=is_wanted, debounce=300, step=20, stop_event=stop, recursive=False
    ):
        await served.reload()
