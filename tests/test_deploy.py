"""`sitegen deploy`: releases copied whole before `current` moves, old ones pruned, rollback, rsync over a shell."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import report_problems
from hypothesis import given
from hypothesis import strategies as st

from sitegen.build import build_project
from sitegen.cli import main
from sitegen.deploy.publishing import Outcome, deploy_site, roll_back_site
from sitegen.deploy.releases import (
    DeployError,
    ReleaseState,
    current_from_link,
    previous_release,
    release_name,
    releases_to_remove,
)
from sitegen.site import load_site

FAKE_SSH = """#!/bin/sh
# ssh without the network: log the command line, then run it here as the server's shell would (words joined).
options=""
while [ "${{1#-}}" != "$1" ]; do options="$options $1 $2"; shift 2; done
host=$1; shift
printf '%s\\t%s\\t%s\\n' "$options" "$host" "$*" >> "{log}"
case "$*" in rsync*) [ -e "{broken}" ] && {{ echo "connection reset by peer" >&2; exit 255; }} ;; esac
exec sh -c "$*"
"""


def test_release_names_sort_in_the_order_they_were_made() -> None:
    riga = dt.timezone(dt.timedelta(hours=2))
    first = release_name(dt.datetime(2026, 12, 1, 21, 59, 59, 999_999, tzinfo=riga))
    second = release_name(dt.datetime(2026, 12, 1, 20, 0, 0, tzinfo=dt.UTC))
    assert first == "20261201T195959999999Z" and first < second


def test_the_newest_releases_are_kept_and_the_new_one_always() -> None:
    state = ReleaseState(("a1", "a2", "a3"), current="a3")
    assert releases_to_remove(state, "a4", keep=2) == ["a1", "a2"]
    assert releases_to_remove(state, "a4", keep=5) == []


def test_rollback_goes_to_the_release_just_before_the_current_one() -> None:
    assert previous_release(ReleaseState(("a1", "a2", "a3"), current="a2")) == "a1"
    with pytest.raises(DeployError, match="oldest"):
        previous_release(ReleaseState(("a1", "a2"), current="a1"))
    with pytest.raises(DeployError, match="no current"):
        previous_release(ReleaseState((), current=None))


def test_only_a_link_into_releases_names_a_current_release() -> None:
    assert current_from_link("releases/20261201T200000000000Z\n") == "20261201T200000000000Z"
    assert current_from_link("/srv/elsewhere") is None
    assert current_from_link("") is None


def clock() -> Callable[[], dt.datetime]:
    """A clock a minute later at each call, so each deploy makes a release of its own."""
    start = dt.datetime(2026, 12, 1, 20, 0, tzinfo=dt.UTC)
    minutes = itertools.count()
    return lambda: start + dt.timedelta(minutes=next(minutes))


def with_deploy(project: Path, section: str) -> Path:
    config = project / "sitegen.yaml"
    config.write_text(config.read_text(encoding="utf-8") + f"\ndeploy:\n{section}", encoding="utf-8")
    return project


def served(folder: Path) -> str:
    return os.readlink(folder / "current")


@pytest.fixture
def built(minimal_project: Path, tmp_path: Path) -> Path:
    srv = tmp_path / "srv"
    with_deploy(minimal_project, f"  public: {{path: {srv}/public}}\n  intranet: {{path: {srv}/intranet}}\n  keep: 2\n")
    build_project(minimal_project)
    return minimal_project


def test_each_deploy_becomes_current_and_only_the_kept_releases_stay(built: Path, tmp_path: Path) -> None:
    site, now, outcomes = load_site(built), clock(), list[Outcome]()
    for _ in range(3):
        deploy_site(site, now, outcomes.append)
    public = tmp_path / "srv/public"
    assert served(public) == "releases/20261201T200200000000Z"
    assert sorted(os.listdir(public / "releases")) == ["20261201T200100000000Z", "20261201T200200000000Z"]
    assert (public / "current/en/surveys/after-visit/index.html").is_file()
    assert (tmp_path / "srv/intranet/current/en/index.html").is_file()
    assert outcomes[-1].removed == ("20261201T200000000000Z",)
    roll_back_site(site, outcomes.append)
    assert served(public) == served(tmp_path / "srv/intranet") == "releases/20261201T200100000000Z"


def test_a_local_release_links_the_files_the_previous_one_has_and_copies_the_rest(built: Path, tmp_path: Path) -> None:
    site, now = load_site(built), clock()
    deploy_site(site, now, lambda outcome: None)
    (built / "output/public/static/survey.js").write_text("// changed", encoding="utf-8")
    deploy_site(site, now, lambda outcome: None)
    first, second = (
        tmp_path / "srv/public/releases" / name / "static"
        for name in ("20261201T200000000000Z", "20261201T200100000000Z")
    )
    assert (first / "style.css").stat().st_ino == (second / "style.css").stat().st_ino
    assert (second / "survey.js").read_text(encoding="utf-8") == "// changed"
    assert (first / "survey.js").stat().st_ino != (second / "survey.js").stat().st_ino


def test_a_copy_that_fails_leaves_current_and_no_partial_release(built: Path, tmp_path: Path) -> None:
    site, now = load_site(built), clock()
    deploy_site(site, now, lambda outcome: None)
    os.mkfifo(built / "output/public/en/pipe")  # copying it fails, after the files before it were copied
    with pytest.raises(DeployError, match="is a named pipe"):
        deploy_site(site, now, lambda outcome: None)
    public = tmp_path / "srv/public"
    assert served(public) == "releases/20261201T200000000000Z"
    assert os.listdir(public / "releases") == ["20261201T200000000000Z"]


@pytest.fixture
def fake_ssh(tmp_path: Path) -> tuple[Path, Path]:
    """A remote shell that runs here and logs each command: the `ssh` of an rsync target, and its log."""
    program, log = tmp_path / "fake-ssh", tmp_path / "ssh.log"
    program.write_text(FAKE_SSH.format(log=log, broken=tmp_path / "network-down"), encoding="utf-8")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program, log


def test_an_rsync_target_hard_links_what_did_not_change_and_switches_with_one_command(
    minimal_project: Path, tmp_path: Path, fake_ssh: tuple[Path, Path]
) -> None:
    program, log = fake_ssh
    srv = tmp_path / "server"
    with_deploy(
        minimal_project,
        f"  public: {{rsync: 'web1:{srv}/public'}}\n  intranet: {{rsync: 'web1:{srv}/intranet'}}\n"
        f"  ssh: {program} -p 2222\n",
    )
    build_project(minimal_project)
    site, now = load_site(minimal_project), clock()
    deploy_site(site, now, lambda outcome: None)
    log.write_text("", encoding="utf-8")
    for written in (minimal_project / "output").rglob("*"):  # as a new build leaves them: new times, same content
        os.utime(written, (1_000_000_000, 1_000_000_000))
    (minimal_project / "output/public/static/survey.js").write_text("// changed", encoding="utf-8")
    deploy_site(site, now, lambda outcome: None)

    releases = srv / "public/releases"
    first, second = (releases / name / "static" for name in sorted(os.listdir(releases)))
    assert (first / "style.css").stat().st_ino == (second / "style.css").stat().st_ino  # one file, linked
    assert (second / "survey.js").read_text(encoding="utf-8") == "// changed"
    assert (first / "survey.js").stat().st_ino != (second / "survey.js").stat().st_ino
    assert served(srv / "public") == "releases/20261201T200100000000Z"
    commands = [line.split("\t") for line in log.read_text(encoding="utf-8").splitlines()]
    assert {(options, host) for options, host, _ in commands} == {(" -p 2222", "web1")}
    public_commands = [command for _, _, command in commands if f"{srv}/public" in command]
    assert [command.split()[0] for command in public_commands] == ["readlink", "rsync", "cd"]
    assert "mv -T .current-20261201T200100000000Z current" in public_commands[-1]


def test_an_rsync_copy_that_fails_leaves_the_servers_current_release(
    minimal_project: Path, tmp_path: Path, fake_ssh: tuple[Path, Path]
) -> None:
    program, _ = fake_ssh
    srv = tmp_path / "server"
    with_deploy(
        minimal_project,
        f"  public: {{rsync: 'web1:{srv}/public'}}\n  intranet: {{path: {srv}/intranet}}\n  ssh: {program}\n",
    )
    build_project(minimal_project)
    site, now = load_site(minimal_project), clock()
    deploy_site(site, now, lambda outcome: None)
    (tmp_path / "network-down").touch()
    with pytest.raises(DeployError, match=r"rsync to web1:.* failed \(exit \d+\).*connection reset"):
        deploy_site(site, now, lambda outcome: None)
    assert served(srv / "public") == "releases/20261201T200000000000Z"
    assert os.listdir(srv / "public/releases") == ["20261201T200000000000Z"]


def test_the_command_deploys_rolls_back_and_says_where(built: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["-C", str(built), "deploy"])
    second = runner.invoke(main, ["-C", str(built), "deploy"])
    assert first.exit_code == second.exit_code == 0, first.output + second.output
    assert f"public: {tmp_path}/srv/public now serves release" in second.output
    back = runner.invoke(main, ["-C", str(built), "deploy", "--rollback"])
    oldest = sorted(os.listdir(tmp_path / "srv/public/releases"))[0]
    assert back.exit_code == 0 and served(tmp_path / "srv/public") == f"releases/{oldest}"
    again = runner.invoke(main, ["-C", str(built), "deploy", "--rollback"])
    assert again.exit_code == 1 and "is the oldest release kept" in again.output


def test_deploying_an_unbuilt_or_unconfigured_site_is_refused(minimal_project: Path) -> None:
    runner = CliRunner()
    unconfigured = runner.invoke(main, ["-C", str(minimal_project), "deploy"])
    assert unconfigured.exit_code == 1 and "sitegen.yaml has no deploy: section" in unconfigured.output
    with_deploy(minimal_project, "  public: {path: /srv/public}\n  intranet: {path: /srv/intranet}\n")
    unbuilt = runner.invoke(main, ["-C", str(minimal_project), "deploy"])
    assert unbuilt.exit_code == 1 and "output/public is not built: run 'sitegen build' first" in unbuilt.output


def test_a_target_with_both_places_or_a_relative_folder_is_reported_at_its_line(minimal_project: Path) -> None:
    problems = report_problems(
        minimal_project,
        (
            "sitegen.yaml",
            "privacy: {min_group_size: 5}",
            "privacy: {min_group_size: 5}\ndeploy:\n  public: {path: /srv/p, rsync: 'web:/srv/p'}\n"
            "  intranet: {path: srv/intranet}\n",
        ),
    )
    assert any(line.startswith("sitegen.yaml:7:") and "either path" in line for line in problems), problems
    assert any(line.startswith("sitegen.yaml:8:") and "deploy.intranet.path" in line for line in problems), problems


@given(
    releases=st.lists(st.integers(0, 99), unique=True, max_size=12).map(lambda ns: tuple(f"r{n:02d}" for n in ns)),
    keep=st.integers(2, 8),
)
def test_a_deploy_keeps_the_newest_releases_and_never_removes_the_new_one(releases: tuple[str, ...], keep: int) -> None:
    new = "r99" if "r99" not in releases else "r99z"
    removed = releases_to_remove(ReleaseState(releases, current=max(releases, default=None)), new, keep)
    kept = sorted({*releases, new} - set(removed))
    assert new in kept and len(kept) == min(keep, len(releases) + 1)
    assert all(old < min(kept) for old in removed)


def test_printing_a_config_warns_when_the_collector_would_not_believe_the_proxy(minimal_project: Path) -> None:
    with_deploy(minimal_project, "  public: {path: /srv/public}\n  intranet: {path: /srv/intranet}\n")
    result = CliRunner().invoke(main, ["-C", str(minimal_project), "deploy", "--print-config", "nginx"])
    assert result.exit_code == 0 and "collector.trusted_proxies does not name 127.0.0.1" in result.stderr
    assert "proxy_pass http://127.0.0.1:8001;" in result.stdout and "Warning" not in result.stdout


def test_proxy_auth_without_a_users_file_is_reported(minimal_project: Path) -> None:
    problems = report_problems(
        minimal_project,
        (
            "sitegen.yaml",
            "privacy: {min_group_size: 5}",
            "privacy: {min_group_size: 5}\ndeploy:\n  public: {path: /srv/p}\n  intranet: {path: /srv/i}\n"
            "  intranet_auth: proxy\n",
        ),
    )
    assert problems == ["sitegen.yaml:7:3: deploy: intranet_auth: proxy needs proxy: {users_file: /path}"]
