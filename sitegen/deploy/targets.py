"""The kinds of deploy target: a folder on this machine, or one on a server reached by rsync over SSH.

Each kind does the same four things to its folder: say which releases it holds, copy a tree in as a partial
release, make a release current (renaming a new symlink over `current`, so a request sees the old tree or the new
one, never half of each), and delete old releases. A failed copy leaves `current` as it was.
"""

from __future__ import annotations

import filecmp
import os
import shlex
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sitegen.deploy.releases import (
    PARTIAL_PREFIX,
    RELEASES,
    DeployError,
    ReleaseState,
    current_from_link,
)
from sitegen.models.deploy import CURRENT, Deploy, Target


class ReleaseTarget(Protocol):
    """A folder that holds releases of one built tree."""

    def describe(self) -> str:
        """The target as sitegen.yaml names it, for messages."""

    def state(self) -> ReleaseState:
        """The releases the folder holds now."""

    def upload(self, tree: Path, name: str, previous: str | None) -> None:
        """Copy `tree` in as the partial release `name`; raise DeployError (and leave `current` alone) on failure."""

    def publish(self, name: str, remove: Sequence[str]) -> None:
        """Make the partial release `name` whole and current, then delete `remove` and any other partial copy."""

    def switch(self, name: str) -> None:
        """Make the whole release `name` current (a rollback)."""


@dataclass(frozen=True)
class LocalTarget:
    """A folder on this machine."""

    root: Path

    def describe(self) -> str:
        return str(self.root)

    def state(self) -> ReleaseState:
        releases = self.root / RELEASES
        names = sorted(entry.name for entry in releases.iterdir() if entry.is_dir()) if releases.is_dir() else []
        link = self.root / CURRENT
        current = current_from_link(os.readlink(link)) if link.is_symlink() else None
        return ReleaseState(
            tuple(name for name in names if not name.startswith(".")),
            current,
            tuple(name for name in names if name.startswith(PARTIAL_PREFIX)),
        )

    def upload(self, tree: Path, name: str, previous: str | None) -> None:
        """Copy `tree` in, hard-linking each file whose content the previous release already has, as rsync does."""
        partial = self.root / RELEASES / f"{PARTIAL_PREFIX}{name}"
        earlier = self.root / RELEASES / previous if previous is not None else None

        def copy_or_link(source: str, destination: str) -> object:
            same = earlier / Path(destination).relative_to(partial) if earlier is not None else None
            if same is not None and same.is_file() and filecmp.cmp(source, same, shallow=False):
                os.link(same, destination)
                return destination
            return shutil.copy2(source, destination)

        try:
            partial.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(tree, partial, symlinks=True, copy_function=copy_or_link)
        except OSError as error:
            shutil.rmtree(partial, ignore_errors=True)
            raise DeployError(f"copying {tree} to {partial} failed: {error}") from None

    def publish(self, name: str, remove: Sequence[str]) -> None:
        releases = self.root / RELEASES
        (releases / f"{PARTIAL_PREFIX}{name}").rename(releases / name)
        self.switch(name)
        for old in (*remove, *self.state().partials):
            shutil.rmtree(releases / old, ignore_errors=True)

    def switch(self, name: str) -> None:
        staged = self.root / f".{CURRENT}-{name}"
        staged.unlink(missing_ok=True)
        staged.symlink_to(f"{RELEASES}/{name}")
        os.replace(staged, self.root / CURRENT)  # rename(2): atomic over the old link


@dataclass(frozen=True)
class RsyncTarget:
    """A folder on a server: copied with the system `rsync`, switched with one command through `ssh`.

    The copy hard-links files whose content is unchanged since the current release (`--link-dest`), so a release
    costs only what changed. `ssh` is the remote shell as a command line (rsync's `-e`), e.g.
    `ssh -p 2222 -i ~/.ssh/deploy`.
    """

    host: str
    root: str
    ssh: str

    def describe(self) -> str:
        return f"{self.host}:{self.root}"

    def state(self) -> ReleaseState:
        folder = shlex.quote(self.root)
        listing = self._remote(
            f"readlink {folder}/{CURRENT} || true; echo /; ls -1A {folder}/{RELEASES} 2>/dev/null || true"
        )
        lines = listing.splitlines()
        link, entries = "".join(lines[: lines.index("/")]), lines[lines.index("/") + 1 :]
        return ReleaseState(
            tuple(sorted(name for name in entries if not name.startswith("."))),
            current_from_link(link),
            tuple(sorted(name for name in entries if name.startswith(PARTIAL_PREFIX))),
        )

    def upload(self, tree: Path, name: str, previous: str | None) -> None:
        destination = f"{self.host}:{self.root}/{RELEASES}/{PARTIAL_PREFIX}{name}/"
        # Every build writes every file anew, so files are matched by content (--checksum), and their times are not
        # copied (--no-times): with the times, no file of a new build would ever be linked to the last release's.
        command = ["rsync", "--archive", "--no-times", "--checksum", "--delete", "--mkpath", "--rsh", self.ssh]
        if previous is not None:  # relative to the destination folder
            command.append(f"--link-dest=../{previous}/")
        _run([*command, f"{tree}/", destination], f"rsync to {destination}")

    def publish(self, name: str, remove: Sequence[str]) -> None:
        partial = shlex.quote(f"{RELEASES}/{PARTIAL_PREFIX}{name}")
        doomed = [shlex.quote(f"{RELEASES}/{old}") for old in remove]
        self._remote(
            f"cd {shlex.quote(self.root)} && mv {partial} {shlex.quote(f'{RELEASES}/{name}')} && {_switching(name)}"
            f" && rm -rf {' '.join([*doomed, f'{RELEASES}/{PARTIAL_PREFIX}*'])}"
        )

    def switch(self, name: str) -> None:
        self._remote(
            f"cd {shlex.quote(self.root)} && test -d {shlex.quote(f'{RELEASES}/{name}')} && {_switching(name)}"
        )

    def _remote(self, script: str) -> str:
        """Run `script` on the host with one `ssh` command (its remote shell reads the words as one line)."""
        return _run([*shlex.split(self.ssh), self.host, script], f"{self.ssh} {self.host}")


def _switching(name: str) -> str:
    """Shell words that point `current` at release `name` by renaming a new link over it (`mv -T`: rename(2))."""
    staged = shlex.quote(f".{CURRENT}-{name}")
    return f"ln -sfn {shlex.quote(f'{RELEASES}/{name}')} {staged} && mv -T {staged} {CURRENT}"


def _run(command: list[str], what: str) -> str:
    try:
        finished = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        raise DeployError(f"{what}: {error}") from None
    if finished.returncode != 0:
        detail = finished.stderr.strip().splitlines()[-3:]
        raise DeployError(f"{what} failed (exit {finished.returncode}): {' '.join(detail)}")
    return finished.stdout


def _local(target: Target, deploy: Deploy) -> ReleaseTarget:
    assert target.path is not None
    return LocalTarget(Path(target.path))


def _remote(target: Target, deploy: Deploy) -> ReleaseTarget:
    assert target.rsync is not None
    host, _, root = target.rsync.partition(":")
    return RsyncTarget(host, root.rstrip("/") or "/", deploy.ssh)


TARGET_KINDS: dict[str, Callable[[Target, Deploy], ReleaseTarget]] = {"path": _local, "rsync": _remote}
"""Each kind by the `deploy:` key that names it; a target sets exactly one of them."""


def open_target(target: Target, deploy: Deploy) -> ReleaseTarget:
    """The target kind whose key `target` sets."""
    (kind,) = (key for key in TARGET_KINDS if getattr(target, key) is not None)
    return TARGET_KINDS[kind](target, deploy)
