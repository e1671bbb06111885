"""The collector benchmark: durable form submissions per second and latency, against a bare Starlette route.

Usage (from anywhere; loopback only, bounded in time and count):

    bench/collector/run                              # 10 s per step at 8, 32 and 64 connections, 1 worker
    bench/collector/run --repeat 3                   # each step 3 times, interleaved; medians in the table
    bench/collector/run --duration 5 --connections 8,64 --workers 2
    bench/collector/run --servers collector          # the collector alone (no ratio)
    bench/collector/run --servers collector,no-cases --connections 8,64 --repeat 3   # what opening cases costs
    bench/collector/run --servers collector,refresh --refresh-every 5s   # does `collect --refresh` slow it down?

Each step starts a fresh server on 127.0.0.1 with an empty SQLite store
(WAL, synchronous=FULL on both sides), warms it up for a second, and drives
it with wrk (`submit.lua`: one form post to /s/after-visit per request, each
with its own rid). The servers: `sitegen collect` on a temporary copy of the
example project (rate limit raised: all connections come from 127.0.0.1),
and `bare_app.py`, the simplest honest route storing one row per commit;
both on uvicorn with the same settings and worker count. `no-cases` is the
collector on a second copy whose after-visit survey has no `follow_up`: the
same posts (7 in 11 are detractors leaving an e-mail, who open a case with
`collector`) open none, so collector / no-cases is what opening cases costs.
After each step the stored rows are counted against the stored answers wrk
received, and the cases against the stored answers that open one: both must
be equal (exit status 1 otherwise). The table gives submissions/s, wrk's p50
and p99 latency, the servers' CPU time per submission, then the ratios
collector / bare and collector / no-cases per connection count and the disk's
fsync rate for context.
The `refresh` server is the collector with `--refresh` (every 5 s unless
`--refresh-every`) on the example built once; while it runs, every store
(all servers') starts with the example's sample answers, so each refresh
recomputes real figures; its ratio is refresh / collector, and its CPU
time includes the refresher's.
Needs Debian's wrk (`apt-get install -y wrk`).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from statistics import median

import yaml

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parents[1]
PYTHON = Path(sys.executable)
SITEGEN = PYTHON.parent / "sitegen"
SUBMIT_SCRIPT = HERE / "submit.lua"
SURVEY_PATH = "/s/after-visit"
STORED_STATUS = {"collector": 200, "no-cases": 200, "refresh": 200, "bare": 303}
"""Each server's answer to a form post once it is stored: the example's after-visit survey has an incentive, so the
collector answers 200 with the thank-you page showing the answer's code; the bare route redirects (303)."""
BENCH_SECRET = secrets.token_urlsafe(32)
"""The site secret the collector servers derive incentive codes with (`SITEGEN_SECRET`), made for this run only."""
SERVERS = ("collector", "no-cases", "refresh", "bare")
CASE_SURVEY = "after-visit"
"""The survey whose `follow_up` the `no-cases` server's copy goes without."""
OPENS_CASE = (
    "SELECT count(*) FROM responses WHERE survey_id = ? "
    "AND json_extract(answers, '$.recommend') <= 6 AND json_extract(answers, '$.email') IS NOT NULL"
)
"""The stored answers that the example's `follow_up` opens a case for (a detractor leaving an address)."""
SAMPLE_ANSWERS = "data/sample-responses.jsonl"
NOT_PROJECT = {
    ".git",
    ".venv",
    "output",
    "bench",
    "sitegen",
    "sitegen.egg-info",
    "tests",
    "scripts",
    "__pycache__",
    ".pytest_cache",
}
RATE_LIMIT = {"per_hour": 100_000_000, "burst": 10_000_000}
MAX_DURATION = 120
MAX_CONNECTIONS = 1024
WARMUP_SECONDS = 1
GRACE_SECONDS = 3
"""How long wrk runs on after the last submission was sent, so that every answer in flight arrives."""
START_TIMEOUT = 60
LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""Health checks go straight to 127.0.0.1, whatever http_proxy says."""


class BenchError(Exception):
    """The benchmark cannot run or a server misbehaved."""


@dataclass(frozen=True)
class Step:
    """One measured run: one server, one worker count, one connection count."""

    server: str
    workers: int
    connections: int
    submissions_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    cpu_us: float
    """CPU time of the server's processes (all threads, user + system) per acknowledged submission."""
    acknowledged: int
    other: int
    unanswered: int
    socket_errors: int
    rows: int
    cases: int
    """Cases opened during the step."""
    expected_cases: int
    """Stored answers of the step that open a case on this server (none on `no-cases` and `bare`)."""

    @property
    def is_consistent(self) -> bool:
        """Every acknowledged submission stored, each case it opens opened, nothing refused or lost on the way."""
        return (
            self.rows == self.acknowledged
            and self.cases == self.expected_cases
            and self.other == 0
            and self.unanswered == 0
            and self.socket_errors == 0
        )


def main() -> int:
    options = _parse_options()
    try:
        _check_wrk()
        with tempfile.TemporaryDirectory(prefix="sitegen-bench-", dir=options.tmp) as scratch:
            return run(Path(scratch), options)
    except BenchError as problem:
        print(f"bench: {problem}", file=sys.stderr)
        return 2


def _parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/collector/run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--duration", type=int, default=10, help=f"Seconds of submissions per step (1-{MAX_DURATION}; default 10)."
    )
    parser.add_argument(
        "--connections", type=_numbers, default=[8, 32, 64], help="Connection counts, e.g. 8,32,64 (the default)."
    )
    parser.add_argument(
        "--workers", type=_numbers, default=[1], help="Worker processes of both servers, e.g. 1 or 1,2 (default 1)."
    )
    parser.add_argument(
        "--servers",
        default="collector,bare",
        help="Which servers to run, of collector, no-cases (the collector without follow_up) and bare "
        "(default: collector,bare).",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="Runs per step, interleaved; the table shows medians (1-5; default 1)."
    )
    parser.add_argument(
        "--threads", type=int, default=2, help="wrk threads (default 2, one per core of the reference machine)."
    )
    parser.add_argument(
        "--tmp",
        type=Path,
        default=None,
        help="Where the stores go (default: the system's temp dir; must be a real disk).",
    )
    parser.add_argument("--keep-logs", type=Path, default=None, help="Copy the servers' logs here after the run.")
    parser.add_argument(
        "--refresh-every", default="5s", help="The refresh server's interval, as `collect --refresh` takes it (5s)."
    )
    options = parser.parse_args()
    options.servers = [name.strip() for name in options.servers.split(",") if name.strip()]
    if not options.servers or any(name not in SERVERS for name in options.servers):
        parser.error(f"--servers: choose from {', '.join(SERVERS)}")
    if not 1 <= options.duration <= MAX_DURATION:
        parser.error(f"--duration: 1 to {MAX_DURATION} seconds")
    if any(not 1 <= count <= MAX_CONNECTIONS for count in options.connections):
        parser.error(f"--connections: 1 to {MAX_CONNECTIONS}")
    if not 1 <= options.repeat <= 5:
        parser.error("--repeat: 1 to 5")
    if any(not 1 <= count <= 8 for count in options.workers):
        parser.error("--workers: 1 to 8")
    return options


def _numbers(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list of numbers") from None


def _check_wrk() -> None:
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed; install it with: apt-get install -y wrk")


def run(scratch: Path, options: argparse.Namespace) -> int:
    """Every step, then the table; 0 when every step stored exactly what it acknowledged."""
    steps_planned = len(options.workers) * len(options.connections) * len(options.servers) * options.repeat
    seconds = steps_planned * (WARMUP_SECONDS + GRACE_SECONDS + options.duration + GRACE_SECONDS + 3)
    print(
        f"{steps_planned} steps of {options.duration} s, about {seconds // 60} min {seconds % 60} s; stores in "
        f"{scratch}"
    )
    _warn_if_memory_backed(scratch)
    load = os.getloadavg()[0]
    print(
        f"load average before the run: {load:.2f}"
        + (" (other work is running: figures will be low and noisy)" if load > 0.5 else "")
    )
    fsyncs = measure_fsync_rate(scratch)
    print(f"fsync rate of the store's disk: {fsyncs:,.0f}/s (4 KiB write + fsync, 2 s)")
    project = copy_project(scratch / "project")
    projects = {"collector": project, "refresh": project, "bare": project}  # the bare route reads no project
    if "no-cases" in options.servers:
        projects["no-cases"] = without_follow_up(copy_project(scratch / "project-no-cases"))
    if "refresh" in options.servers:
        seed_and_build(project)
    print(_HEADER)
    steps: list[Step] = []
    for workers in options.workers:
        for connections in options.connections:
            for attempt in range(1, options.repeat + 1):
                for server in options.servers:
                    step = measure(server, workers, connections, attempt, projects, scratch, options)
                    steps.append(step)
                    print(_row(step), flush=True)
    if options.keep_logs:
        options.keep_logs.mkdir(parents=True, exist_ok=True)
        for log in scratch.glob("*.log"):
            shutil.copy(log, options.keep_logs / log.name)
    print()
    print_table(steps, fsyncs, options)
    return 0 if all(step.is_consistent for step in steps) else 1


def _warn_if_memory_backed(directory: Path) -> None:
    """An fsync on tmpfs costs nothing: the figures would not be those of a disk."""
    best, kind = "", ""
    for line in Path("/proc/mounts").read_text().splitlines():
        _, mount_point, fs_type, *_ = line.split()
        if str(directory).startswith(mount_point) and len(mount_point) > len(best):
            best, kind = mount_point, fs_type
    if kind in ("tmpfs", "ramfs"):
        print(f"warning: {directory} is on {kind}; use --tmp on a real disk for durable figures", file=sys.stderr)


def measure_fsync_rate(directory: Path, seconds: float = 2.0) -> float:
    """How many 4 KiB write + fsync rounds the disk does per second."""
    path = directory / "fsync-probe"
    block = os.urandom(4096)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        rounds = 0
        start = time.monotonic()
        while (elapsed := time.monotonic() - start) < seconds:
            os.pwrite(descriptor, block, 0)
            os.fsync(descriptor)
            rounds += 1
    finally:
        os.close(descriptor)
        path.unlink()
    return rounds / elapsed


def copy_project(target: Path) -> Path:
    """The example project (the repository root without code, tests, output or stores), its rate limit raised."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = {name for name in names if ".sqlite3" in name}
        if Path(directory) == REPOSITORY:
            skipped |= NOT_PROJECT & set(names)
        return skipped

    shutil.copytree(REPOSITORY, target, ignore=ignore)
    config_path = target / "sitegen.yaml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    config.setdefault("collector", {})["rate_limit"] = RATE_LIMIT
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def without_follow_up(project: Path) -> Path:
    """The project with CASE_SURVEY's `follow_up` taken out: the same posts, stored alike, open no case."""
    survey_path = project / "surveys" / f"{CASE_SURVEY}.yaml"
    survey = yaml.safe_load(survey_path.read_text(encoding="utf-8"))
    if survey.pop("follow_up", None) is None:
        raise BenchError(f"{survey_path} has no follow_up: there is nothing to compare")
    survey_path.write_text(yaml.safe_dump(survey, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return project


def seed_and_build(project: Path) -> None:
    """The example's sample answers in the project's store (every step's store starts as a copy), and a build."""
    for command in (["responses", "import", SAMPLE_ANSWERS], ["build"]):
        subprocess.run([str(SITEGEN), "-C", str(project), *command], check=True, capture_output=True)


def _fresh_store(project: Path, store: Path) -> None:
    """The step's store: a copy of the seeded one when there is one (SQLite's backup: a consistent copy)."""
    seeded = project / "data/responses.sqlite3"
    if seeded.exists():
        with closing(sqlite3.connect(seeded)) as source, closing(sqlite3.connect(store)) as target:
            source.backup(target)


def measure(
    server: str,
    workers: int,
    connections: int,
    attempt: int,
    projects: dict[str, Path],
    scratch: Path,
    options: argparse.Namespace,
) -> Step:
    """Start `server` on a fresh store, warm it up, drive it for the step, count what it stored."""
    name = f"{server}-w{workers}-c{connections}-{attempt}"
    store = scratch / f"{name}.sqlite3"
    port = _free_port()
    _fresh_store(projects[server], store)
    with _running(server, workers, port, projects[server], store, scratch / f"{name}.log", options) as process:
        _run_wrk(port, min(connections, 8), WARMUP_SECONDS, f"warm-{name}", options.threads, STORED_STATUS[server])
        before = _count_stored(store, opens_cases=server in ("collector", "refresh"))
        cpu_before = _cpu_seconds(process.pid)
        result = _run_wrk(port, connections, options.duration, name, options.threads, STORED_STATUS[server])
        cpu = _cpu_seconds(process.pid) - cpu_before
        after = _count_stored(store, opens_cases=server in ("collector", "refresh"))
    window = result["window_s"]
    return Step(
        server=server,
        workers=workers,
        connections=connections,
        submissions_per_s=result["acknowledged"] / window if window > 0 else 0.0,
        p50_ms=result["p50_ms"],
        p99_ms=result["p99_ms"],
        max_ms=result["max_ms"],
        cpu_us=cpu / result["acknowledged"] * 1e6 if result["acknowledged"] else 0.0,
        acknowledged=int(result["acknowledged"]),
        other=int(result["other"]),
        unanswered=int(result["sent"] - result["acknowledged"] - result["other"]),
        socket_errors=int(
            result["errors_connect"] + result["errors_read"] + result["errors_write"] + result["errors_timeout"]
        ),
        rows=after.rows - before.rows,
        cases=after.cases - before.cases,
        expected_cases=after.expected_cases - before.expected_cases,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _running(
    server: str, workers: int, port: int, project: Path, store: Path, log: Path, options: argparse.Namespace
) -> Iterator[subprocess.Popen[bytes]]:
    """The server as a child process of its own session, stopped with SIGINT (then SIGKILL) afterwards."""
    if server in ("collector", "no-cases", "refresh"):
        command = [
            str(SITEGEN),
            "-C",
            str(project),
            "collect",
            "--port",
            str(port),
            "--store",
            f"sqlite:///{store}",
            "--workers",
            str(workers),
        ] + (["--refresh", options.refresh_every] if server == "refresh" else [])
    else:
        command = [
            str(PYTHON),
            str(HERE / "bare_app.py"),
            "--port",
            str(port),
            "--store",
            str(store),
            "--workers",
            str(workers),
        ]
    with log.open("wb") as output:
        environment = {**os.environ, "SITEGEN_SECRET": BENCH_SECRET}
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True, env=environment
        )
    try:
        _wait_until_up(port, process, log)
        yield process
    finally:
        _stop(process)


def _wait_until_up(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(
                f"the server stopped on start (exit {process.returncode}); see {log}:\n{log.read_text()[-2000:]}"
            )
        try:
            with LOOPBACK.open(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise BenchError(f"the server did not answer /healthz within {START_TIMEOUT} s; see {log}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _cpu_seconds(root: int) -> float:
    """User + system CPU seconds of process `root` and its descendants (uvicorn's workers), from /proc."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # a process that ended meanwhile
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / ticks
    tree, grown = {root}, True
    while grown:
        children = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= children
        grown = bool(children)
    return sum(times.get(pid, 0.0) for pid in tree)


def _run_wrk(port: int, connections: int, seconds: int, tag: str, threads: int, status: int) -> dict[str, float]:
    """Submissions for `seconds`, then GRACE_SECONDS for the answers in flight; the figures of submit.lua's done()."""
    threads = max(1, min(threads, connections))
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds + GRACE_SECONDS}s",
        "--latency",
        "--timeout",
        f"{GRACE_SECONDS}s",
        "-s",
        str(SUBMIT_SCRIPT),
        f"http://127.0.0.1:{port}{SURVEY_PATH}",
        "--",
        str(seconds),
        tag,
        str(status),
    ]
    try:
        finished = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + GRACE_SECONDS + 60, check=False
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk did not finish: {' '.join(command)}") from None
    for line in finished.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line.removeprefix("BENCH "))
    raise BenchError(f"wrk printed no figures (exit {finished.returncode}):\n{finished.stdout}{finished.stderr}")


@dataclass(frozen=True)
class Stored:
    """What a store holds: its response rows, its cases, and how many of its answers open a case."""

    rows: int
    cases: int
    expected_cases: int


def _count_stored(store: Path, *, opens_cases: bool) -> Stored:
    """What the store holds, read after the server has answered everything it was sent."""
    with closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as connection:
        rows = int(connection.execute("SELECT count(*) FROM responses").fetchone()[0])
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        cases = int(connection.execute("SELECT count(*) FROM cases").fetchone()[0]) if "cases" in tables else 0
        expected = int(connection.execute(OPENS_CASE, (CASE_SURVEY,)).fetchone()[0]) if opens_cases else 0
    return Stored(rows, cases, expected)


_HEADER = (
    f"{'server':<10}{'workers':>8}{'conns':>7}{'submissions/s':>15}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    f"{'cpu us':>8}{'acked':>10}{'rows':>10}{'cases':>9}  check"
)


def _row(step: Step) -> str:
    check = "OK" if step.is_consistent else "MISMATCH"
    problems = [
        f"{label} {count}"
        for label, count in (
            ("other answers", step.other),
            ("unanswered", step.unanswered),
            ("socket errors", step.socket_errors),
            ("cases expected", step.expected_cases if step.cases != step.expected_cases else 0),
        )
        if count
    ]
    return (
        f"{step.server:<10}{step.workers:>8}{step.connections:>7}{step.submissions_per_s:>15,.0f}{step.p50_ms:>9.1f}"
        f"{step.p99_ms:>9.1f}{step.max_ms:>9.1f}{step.cpu_us:>8.0f}{step.acknowledged:>10}{step.rows:>10}"
        f"{step.cases:>9}  {check}" + (f" ({', '.join(problems)})" if problems else "")
    )


def summarise(steps: list[Step]) -> list[Step]:
    """One step per server, worker count and connection count: the medians of its runs, the counts summed."""
    runs: dict[tuple[str, int, int], list[Step]] = {}
    for step in steps:
        runs.setdefault((step.server, step.workers, step.connections), []).append(step)
    return [
        Step(
            server=server,
            workers=workers,
            connections=connections,
            submissions_per_s=median(step.submissions_per_s for step in group),
            p50_ms=median(step.p50_ms for step in group),
            p99_ms=median(step.p99_ms for step in group),
            max_ms=max(step.max_ms for step in group),
            cpu_us=median(step.cpu_us for step in group),
            acknowledged=sum(step.acknowledged for step in group),
            other=sum(step.other for step in group),
            unanswered=sum(step.unanswered for step in group),
            socket_errors=sum(step.socket_errors for step in group),
            rows=sum(step.rows for step in group),
            cases=sum(step.cases for step in group),
            expected_cases=sum(step.expected_cases for step in group),
        )
        for (server, workers, connections), group in runs.items()
    ]


def print_table(steps: list[Step], fsyncs: float, options: argparse.Namespace) -> None:
    """The figures of every step (medians of the runs), the ratio collector / bare, and the issue's targets."""
    summary = summarise(steps)
    if options.repeat > 1:
        print(f"median of {options.repeat} runs per step (acked and rows: all runs together; max ms: the highest)")
    print(_HEADER)
    for step in summary:
        print(_row(step))
    by_key = {(step.server, step.workers, step.connections): step for step in summary}
    print()
    for workers in options.workers:
        for connections in options.connections:
            collector, bare, no_cases = (
                by_key.get((server, workers, connections)) for server in ("collector", "bare", "no-cases")
            )
            if collector and bare and bare.submissions_per_s > 0:
                ratio = collector.submissions_per_s / bare.submissions_per_s
                verdict = "met" if ratio >= 0.6 else "missed"
                print(
                    f"ratio collector / bare, {workers} worker(s), {connections:>3} connections: {ratio:.2f} "
                    f"(target >= 0.6: {verdict})"
                )
            if collector and no_cases and no_cases.submissions_per_s > 0:
                ratio = collector.submissions_per_s / no_cases.submissions_per_s
                share = collector.cases / collector.rows if collector.rows else 0.0
                extra_us = collector.cpu_us - no_cases.cpu_us
                print(
                    f"ratio collector / no-cases, {workers} worker(s), {connections:>3} connections: {ratio:.2f} "
                    f"(target >= 0.95: {'met' if ratio >= 0.95 else 'missed'}); {share:.0%} of posts open a case, "
                    f"{extra_us:+.0f} us CPU per submission"
                    + (f", {extra_us / share:+.0f} us per case" if share else "")
                )
    for workers in options.workers:
        for connections in options.connections:
            refreshing, alone = (
                by_key.get(("refresh", workers, connections)),
                by_key.get(("collector", workers, connections)),
            )
            if refreshing and alone and alone.submissions_per_s > 0:
                ratio = refreshing.submissions_per_s / alone.submissions_per_s
                print(
                    f"ratio refresh / collector, {workers} worker(s), {connections:>3} connections: {ratio:.2f} "
                    f"(refreshed every {options.refresh_every}; p99 {refreshing.p99_ms:.1f} vs {alone.p99_ms:.1f} ms)"
                )
    for step in summary:
        if step.server == "collector":
            verdict = "met" if step.submissions_per_s >= 2000 else "missed"
            line = (
                f"collector, {step.workers} worker(s), {step.connections:>3} connections: "
                f"{step.submissions_per_s:,.0f}/s (target >= 2,000: {verdict})"
            )
            if step.connections == 64:
                line += f", p99 {step.p99_ms:.1f} ms (target < 50: {'met' if step.p99_ms < 50 else 'missed'})"
            print(line)
    print("cpu us: CPU time of the server's processes per stored submission (all threads, user + system)")
    print(
        f"disk: {fsyncs:,.0f} fsyncs/s; durability: SQLite WAL, synchronous=FULL on both sides; {os.cpu_count()} cores"
    )
    mismatches = [step for step in steps if not step.is_consistent]
    print(
        "rows stored == submissions acknowledged, cases == stored answers opening one, in every run: "
        + ("OK" if not mismatches else f"MISMATCH in {len(mismatches)} run(s)")
    )


if __name__ == "__main__":
    sys.exit(main())
