"""Deploy a built site: each tree (public, intranet) to its target as a new release, or roll each back one release."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sitegen.deploy.releases import DeployError, previous_release, release_name, releases_to_remove
from sitegen.deploy.targets import open_target
from sitegen.models.deploy import Deploy, Target
from sitegen.render import INTRANET, PUBLIC
from sitegen.site import Site

TREES = (PUBLIC, INTRANET)
"""The built trees under output/, each deployed to the `deploy:` target of the same name."""


@dataclass(frozen=True)
class Outcome:
    """What one tree's deploy or rollback did, for the command to report."""

    tree: str
    where: str
    current: str
    removed: tuple[str, ...] = ()

    def line(self) -> str:
        removed = f"; removed {len(self.removed)} old release{'s' * (len(self.removed) != 1)}" if self.removed else ""
        return f"{self.tree}: {self.where} now serves release {self.current}{removed}"


def deploy_config(site: Site) -> Deploy:
    """sitegen.yaml's `deploy:`, which every deploy command needs."""
    deploy = site.config.model.deploy
    if deploy is None:
        raise DeployError(f"{site.files.relative(site.files.config)} has no deploy: section (see README, Deploying)")
    return deploy


def _target(deploy: Deploy, tree: str) -> Target:
    target: Target = getattr(deploy, tree)
    return target


def deploy_site(site: Site, now: Callable[[], dt.datetime], report: Callable[[Outcome], None]) -> None:
    """Copy output/public and output/intranet to their targets, then switch each one's `current` to the copy.

    Both trees are checked to be built before anything is copied; each target is switched as soon as its copy
    is whole, so a failure on the second leaves the first on its new release (say so, and deploy again).
    """
    deploy = deploy_config(site)
    missing = [tree for tree in TREES if not (site.files.output / tree).is_dir()]
    if missing:
        raise DeployError(f"output/{missing[0]} is not built: run 'sitegen build' first")
    name = release_name(now())
    for tree in TREES:
        target = open_target(_target(deploy, tree), deploy)
        state = target.state()
        if name in state.releases:
            raise DeployError(f"{target.describe()} already has a release {name}")
        target.upload(site.files.output / tree, name, state.current)
        removed = releases_to_remove(state, name, deploy.keep)
        target.publish(name, removed)
        report(Outcome(tree, target.describe(), name, tuple(removed)))


def roll_back_site(site: Site, report: Callable[[Outcome], None]) -> None:
    """Point each target's `current` at the release before it; both are checked to have one first."""
    deploy = deploy_config(site)
    targets = [(tree, open_target(_target(deploy, tree), deploy)) for tree in TREES]
    previous = []
    for tree, target in targets:
        try:
            previous.append((tree, target, previous_release(target.state())))
        except DeployError as error:
            raise DeployError(f"{tree} ({target.describe()}): {error}") from None
    for tree, target, name in previous:
        target.switch(name)
        report(Outcome(tree, target.describe(), name))
