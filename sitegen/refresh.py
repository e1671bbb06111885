"""`sitegen refresh`: keep the built figures current, writing the pages that show them again when the store changed.

Each run loads the project afresh and runs `REFRESH_TASKS` in order. The
figures task asks the store for its watermark (`scorecards_key`: the
definitions, the day, how many responses and the latest, how many case
steps) and only when it differs from the last run's recomputes the files
that show figures (`render_figure_files`: scorecard pages, their
scorecard.json and CSV files, standards pages with `measured_by`), made
exactly as `sitegen build` makes them. A file whose bytes changed replaces
the old one atomically (a temporary file in the same folder, fsync,
`os.replace`): a reader opening it gets the whole old or the whole new file.
The rest of `output/` is the last build's. docs/DESIGN.md, "Always-current
figures", gives the contract.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sitegen.build import render_figure_files, today_in
from sitegen.errors import ProjectInvalid, SitegenError
from sitegen.render import INTRANET
from sitegen.site import Site, load_site

TEMPORARY_PREFIX = ".refresh-"
"""Temporary files start with this; one a killed refresh left behind is removed by a later one."""
LEFTOVER_SECONDS = 3600
"""A temporary file this old is a killed refresh's, not one a refresh running beside this one is writing."""
NICENESS = 19
"""A refresh that keeps running takes the lowest CPU priority: beside a busy collector it gets about 1.5 % of a core."""
_INTERVAL = re.compile(r"\s*(?P<number>[0-9]+)\s*(?P<unit>[smh])\s*")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours"}


class RefreshError(SitegenError):
    """A refresh that cannot run as asked (an interval that does not read)."""


def parse_interval(text: str) -> dt.timedelta:
    """How long `30s`, `10m` or `1h` is; anything else (or zero) is refused with the forms that read."""
    match = _INTERVAL.fullmatch(text)
    if match is None or int(match["number"]) == 0:
        raise RefreshError(f"{text!r} is not an interval: write a whole number and s, m or h, such as 30s, 10m or 1h")
    return dt.timedelta(**{_UNITS[match["unit"]]: int(match["number"])})


@dataclass
class RefreshState:
    """What one run leaves for the next in the same process."""

    figures_key: str = ""


@dataclass(frozen=True)
class RefreshRun:
    """What a task is given: the site as loaded for this run, the day its figures are as of, the shared state."""

    site: Site
    as_of: dt.date
    state: RefreshState


RefreshTask = Callable[[RefreshRun], str | None]
"""One job of a refresh; returns a line for the log when it did something."""


def replace_changed(output: Path, files: dict[str, bytes]) -> list[str]:
    """Write each of `files` (relative POSIX path -> content) whose bytes differ from those in `output`, each
    replacing the old file atomically; the paths written, in order."""
    _remove_leftovers({(output / relative).parent for relative in files})
    written = []
    for relative, content in sorted(files.items()):
        target = output / relative
        if target.is_file() and target.read_bytes() == content:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        _replace_atomically(target, content)
        written.append(relative)
    return written


def _replace_atomically(target: Path, content: bytes) -> None:
    """Write `content` to a temporary file beside `target`, sync it, and rename it over `target`."""
    descriptor, temporary = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)  # as a build's files: mkstemp makes them private to the owner
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a power cut
    finally:
        os.close(folder)


def _remove_leftovers(folders: set[Path]) -> None:
    threshold = time.time() - LEFTOVER_SECONDS
    for folder in folders:
        for leftover in folder.glob(f"{TEMPORARY_PREFIX}*"):
            with contextlib.suppress(FileNotFoundError):
                if leftover.stat().st_mtime < threshold:
                    leftover.unlink()


def refresh_figures(run: RefreshRun) -> str | None:
    """Recompute the figures when the store's watermark moved, and replace the files whose bytes changed."""
    from sitegen.scorecards import scorecards_key  # pandas and the store load only when a refresh runs

    output = run.site.files.output
    if not (output / INTRANET).is_dir():
        return f"{output} has not been built yet: run 'sitegen build' first; figures not refreshed"
    key = scorecards_key(run.site, run.as_of)  # read before the figures: an answer stored meanwhile moves it again
    if key == run.state.figures_key:
        return None
    started = time.perf_counter()
    written = replace_changed(output, render_figure_files(run.site, run.as_of))
    run.state.figures_key = key
    return (
        f"Figures as of {run.as_of.isoformat()} computed in {time.perf_counter() - started:.2f} s; "
        f"{len(written)} file{'s' * (len(written) != 1)} replaced."
    )


def purge_expired(run: RefreshRun) -> str | None:
    """What `sitegen purge` does (retention), as of the run's day; a line only when it deleted something."""
    from sitegen.interchange import open_store
    from sitegen.retention import purge, purge_moment

    with open_store(run.site) as store:
        report = purge(store, run.site, purge_moment(run.site, run.as_of))
    return None if report.is_nothing else "Purged: " + "; ".join(report.lines())


REFRESH_TASKS: tuple[RefreshTask, ...] = (purge_expired, refresh_figures)
"""What every refresh runs, in order: retention first, so the figures written are those of the answers kept (a purge
moves the watermark: the counts drop)."""


@dataclass
class Refresher:
    """Runs the refresh tasks on the project, with the store from sitegen.yaml unless `store_url`."""

    project: Path
    store_url: str | None = None
    tasks: Sequence[RefreshTask] = REFRESH_TASKS
    state: RefreshState = field(default_factory=RefreshState)

    def run_once(self, as_of: dt.date | None = None) -> list[str]:
        """Run every task once on the project as it is now (as of `as_of`, default today); the lines they report.

        A project that does not load is reported, and nothing is written.
        """
        try:
            site = load_site(self.project)
        except ProjectInvalid as invalid:
            return [str(problem) for problem in invalid.errors] + ["The project has errors: figures not refreshed."]
        if self.store_url:
            model = site.config.model.model_copy(update={"store": self.store_url})
            site = dataclasses.replace(site, config=dataclasses.replace(site.config, model=model))
        run = RefreshRun(site, as_of or today_in(site.config.model.timezone), self.state)
        return [line for task in self.tasks if (line := task(run)) is not None]

    def run_every(self, interval: dt.timedelta, stop: threading.Event, report: Callable[[str], None]) -> None:
        """Run at once, then every `interval` until `stop` is set, at a lower CPU priority; a run that fails on
        something unexpected is reported and the next one tries again."""
        os.nice(NICENESS)
        while not stop.is_set():
            try:
                lines = self.run_once()
            except (SitegenError, OSError) as problem:
                lines = [f"Refresh failed: {problem}"]
            for line in lines:
                report(line)
            stop.wait(interval.total_seconds())
