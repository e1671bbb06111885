"""Which releases a target keeps and which one a rollback returns to: pure choices over release names.

A release is named by the UTC moment it was made (`20261201T200812123456Z`), so names sort in the order the
releases were made, on any machine and in any shell; a folder being copied is `.partial-<name>` until it is whole.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sitegen.errors import SitegenError

STAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"
PARTIAL_PREFIX = ".partial-"
RELEASES = "releases"


class DeployError(SitegenError):
    """A copy, a switch or a rollback that could not be done; `current` is as it was."""


@dataclass(frozen=True)
class ReleaseState:
    """What a target holds: its whole releases (oldest first), the one `current` names, and unfinished copies."""

    releases: tuple[str, ...]
    current: str | None
    partials: tuple[str, ...] = ()


def release_name(moment: dt.datetime) -> str:
    """The name of a release made at `moment` (an aware datetime), in UTC."""
    return moment.astimezone(dt.UTC).strftime(STAMP_FORMAT)


def current_from_link(link: str) -> str | None:
    """The release a `current` symlink's text (`releases/<name>`) names; None for no or another link."""
    parent, _, name = link.strip().rstrip("/").rpartition("/")
    return name if parent.endswith(RELEASES) and name else None


def releases_to_remove(state: ReleaseState, new: str, keep: int) -> list[str]:
    """The releases to delete once `new` is current: all but the `keep` newest, never the new one."""
    whole = sorted({*state.releases, new})
    return [name for name in whole[: max(len(whole) - keep, 0)] if name != new]


def previous_release(state: ReleaseState) -> str:
    """The release made just before the current one, which `--rollback` makes current."""
    if state.current is None:
        raise DeployError("nothing to roll back: the target has no current release")
    older = [name for name in sorted(state.releases) if name < state.current]
    if not older:
        raise DeployError(f"nothing to roll back to: {state.current} is the oldest release kept")
    return older[-1]
