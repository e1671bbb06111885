"""The scorecard benchmark: a build's scorecard step on 100,000 and 1,000,000 stored responses, against plain pandas.

Usage (from anywhere; writes only to a temporary folder):

    bench/aggregate/run                          # 100,000 and 1,000,000 after-visit responses, 3 runs each
    bench/aggregate/run --sizes 1000000 --repeat 5
    bench/aggregate/run --after-visit-only       # without the other surveys' proportionate responses
    bench/aggregate/run --keep                   # leave the filled projects behind (to profile them)
    bench/aggregate/run --postgres --sizes 1000000   # the store on a throwaway PostgreSQL server
    bench/aggregate/run --sizes 10000000 --repeat 1  # issue 16's large size (filling it takes long)

For each size: copy the example project to a temporary folder, fill its
SQLite store (`--postgres`: a PostgreSQL one) with that many SYNTHETIC after-visit responses (plus, as in
the example's sample, 12% as many journey-order, 15% complaint-log and
1.3% employee-annual ones; `fill.py`, not timed as part of the step), then
run, each in a fresh process and `--repeat` times, interleaved:

- `plain.py`: NPS and CSAT per month and per location by the plainest
  honest pandas script, reading the same store (the floor);
- `step.py pair`: sitegen's figures for exactly those two metrics;
- `step.py full`, with no answer cache: the first build's scorecard
  step, every scorecard of the example: every answer read from the store
  (the kept counts made, a window of older answers at a time, and the
  snapshots of the surveys not kept written), figures, charts (specs, and
  SVGs of trends and distributions, drawn as each metric is ready) and
  data files (JSON, CSV, the Vega bundle);
- `step.py full CACHE`: a rebuild with nothing new: the kept counts
  (`sitegen.kept_counts`) and a day's answers, the other surveys from their
  snapshots (`sitegen.answer_snapshots`), every figure computed again, the
  SVGs from a warm chart cache (`sitegen.chart_cache`);
- then `--repeat` times, each on top of the last: 10,000 new answers added
  to the store (`fill.py --add`), and the scorecard step of the build after
  them (the kept counts and snapshots extended by the new rows).

Both sides' figures must agree, before and after the new answers, and the
last incremental build's data files must equal, byte for byte, those of a
full recomputation from the store alone (`step.py recompute`: no snapshot,
nothing kept; exit status 1 otherwise). The table
gives medians of the runs and the largest peak RSS; at 1,000,000 and
10,000,000 issue 16's targets are checked (PASS/MISS): the rebuild under
3 s (30 s), the step after 10,000 new answers under 1 s (2 s), peak RSS
under 1 GB, sitegen / plain under 2.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

import psycopg

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parents[1]
PYTHON = Path(sys.executable)
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
    ".mypy_cache",
    ".ruff_cache",
}
TARGET_SIZE = 1_000_000
TARGET_SECONDS = 3.0
"""The scorecard step at TARGET_SIZE, figures all computed again from the answer snapshots (issue 16)."""
TARGET_INCREMENTAL_SECONDS = 1.0
"""The same after ADDED new answers since the last build."""
BIG_SIZE = 10_000_000
BIG_SECONDS, BIG_INCREMENTAL_SECONDS = 30.0, 2.0
TARGET_RSS_MB = 1024.0
TARGET_RATIO = 2.0
ADDED = 10_000
MAX_ROUNDS = 9
"""`fill.py --add` puts round r's answers on the r-th day after the filled ones; day 10 is the as-of day."""
EXAMPLE_STORE = "store: sqlite:///data/responses.sqlite3"
ANSWER_SNAPSHOTS = Path(".sitegen-cache/answers")
"""The example's `answer_cache` (the default), inside the copied project."""
TOLERANCE = 1e-9


class BenchError(Exception):
    """The benchmark cannot run, or the two sides disagree."""


@dataclass(frozen=True)
class Result:
    """One size's measurements: medians over the runs, the largest peak RSS."""

    size: int
    rows: int
    fill_s: float
    pair_s: float
    plain_s: float
    figures_s: float
    charts_s: float
    files_s: float
    step_s: float
    warm_charts_s: float
    warm_step_s: float
    warm_cpu_s: float
    incremental_s: float
    incremental_cpu_s: float
    incremental_rss_mb: float
    warm_rss_mb: float
    pair_cpu_s: float
    plain_cpu_s: float
    step_cpu_s: float
    step_rss_mb: float
    baseline_rss_mb: float
    pair_rss_mb: float
    plain_rss_mb: float
    charts: int
    svgs: int

    @property
    def peak_rss_mb(self) -> float:
        return max(self.step_rss_mb, self.warm_rss_mb, self.incremental_rss_mb)

    @property
    def ratio(self) -> float:
        return self.pair_s / self.plain_s

    @property
    def cpu_ratio(self) -> float:
        return self.pair_cpu_s / self.plain_cpu_s


def copy_project(destination: Path) -> Path:
    """The example project (the repository without code, tests, output or store) in `destination`."""

    def ignored(folder: str, names: list[str]) -> set[str]:
        skipped = {name for name in names if name in NOT_PROJECT}
        if Path(folder).resolve() == REPOSITORY / "data":
            skipped |= {name for name in names if ".sqlite3" in name}
        return skipped

    project = destination / "project"
    shutil.copytree(REPOSITORY, project, ignore=ignored)
    return project


def run_child(arguments: list[str]) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its JSON output."""
    done = subprocess.run([str(PYTHON), *arguments], capture_output=True, text=True, cwd=REPOSITORY)
    if done.returncode != 0:
        raise BenchError(f"{' '.join(arguments)} failed:\n{done.stderr.strip()}")
    return json.loads(done.stdout)


def compare(plain: dict[str, Any], sitegen: dict[str, Any], minimum: int) -> list[str]:
    """Where the two sides' figures differ (nothing: they agree); sitegen hides groups under the privacy minimum."""
    problems = []
    for metric in ("nps", "csat"):
        for by in ("month", "location"):
            ours = sitegen[metric][by]
            theirs = {key: cell for key, cell in plain[metric][by].items() if cell["n"] >= minimum}
            if set(ours) != set(theirs):
                problems.append(f"{metric} by {by}: keys {sorted(set(ours) ^ set(theirs))} on one side only")
                continue
            for key, cell in theirs.items():
                mine = ours[key]
                if mine["n"] != cell["n"] or not math.isclose(
                    mine["value"], cell["value"], rel_tol=TOLERANCE, abs_tol=TOLERANCE
                ):
                    problems.append(f"{metric} {by} {key}: sitegen {mine}, plain {cell}")
    return problems


def postgres_mb(url: str) -> float:
    """The size of the database at `url`, tables and indexes."""
    with psycopg.connect(url) as connection:
        row = connection.execute("SELECT pg_database_size(current_database())").fetchone()
    return float(row[0] if row else 0) / 2**20


@contextmanager
def postgres_database() -> Iterator[str]:
    """A store URL of an empty database on a throwaway PostgreSQL server, as the tests start one."""
    sys.path.insert(0, str(REPOSITORY / "tests"))
    from postgres_fixtures import find_postgres_bin, running_postgres

    binaries = find_postgres_bin()
    if binaries is None:
        raise BenchError("--postgres: PostgreSQL not found in /usr/lib/postgresql/*/bin")
    with running_postgres(binaries) as server:
        server.execute("CREATE DATABASE bench")
        yield server.url("bench")


def check_agreement(plain: dict[str, Any], pair: dict[str, Any], minimum: int) -> None:
    problems = compare(plain["figures"], pair["figures"], minimum)
    if problems:
        raise BenchError("sitegen and plain pandas disagree:\n  " + "\n  ".join(problems[:20]))


def measure(size: int, repeat: int, with_others: bool, keep: bool, store_url: str | None = None) -> Result:
    """One size, on the example's SQLite store or, with `store_url`, on that (empty) PostgreSQL database."""
    folder = Path(tempfile.mkdtemp(prefix="sitegen-bench-aggregate-"))
    try:
        project = copy_project(folder)
        if store_url is not None:
            settings = project / "sitegen.yaml"
            text = settings.read_text(encoding="utf-8")
            settings.write_text(text.replace(EXAMPLE_STORE, f"store: {store_url}", 1), encoding="utf-8")
        say(f"{size:,} after-visit responses: filling {project}")
        filled = run_child(
            [str(HERE / "fill.py"), str(project), str(size)] + ([] if with_others else ["--after-visit-only"])
        )
        database, timezone, rows, fill_s = (
            filled["database"],
            filled["timezone"],
            sum(filled["rows"].values()),
            filled["seconds"],
        )
        stored = ", ".join(f"{n:,} {survey}" for survey, n in filled["rows"].items())
        size_mb = Path(database).stat().st_size / 2**20 if store_url is None else postgres_mb(database)
        say(f"  {stored} stored in {fill_s:.1f} s ({size_mb:,.0f} MB)")
        plains, pairs, fulls, warms, incrementals = [], [], [], [], []
        chart_cache, snapshots = folder / "chart-cache", project / ANSWER_SNAPSHOTS
        step = [str(HERE / "step.py"), str(project)]
        run_child([*step, "full", str(chart_cache)])  # primes both caches, untimed
        for run in range(1, repeat + 1):
            plains.append(run_child([str(HERE / "plain.py"), database, timezone]))
            pairs.append(run_child([*step, "pair"]))
            shutil.rmtree(snapshots)  # a first build: every answer read from the store
            fulls.append(run_child([*step, "full"]))
            warms.append(run_child([*step, "full", str(chart_cache)]))
            say(
                f"  run {run}: plain {plains[-1]['seconds']:.2f} s, sitegen NPS+CSAT {pairs[-1]['seconds']:.2f} s, "
                f"first build's scorecard step {fulls[-1]['seconds']:.2f} s (charts {fulls[-1]['charts_s']:.2f} s), "
                f"rebuilt from the answer cache with a warm chart cache {warms[-1]['seconds']:.2f} s "
                f"(charts {warms[-1]['charts_s']:.2f} s)"
            )
        check_agreement(plains[0], pairs[0], filled["min_group_size"])
        for run in range(1, repeat + 1):  # each run on top of the last: ADDED more answers since the last build
            run_child([str(HERE / "fill.py"), str(project), str(ADDED), "--add", str(run)])
            incrementals.append(run_child([*step, "full", str(chart_cache)]))
            say(f"  +{ADDED:,} answers, run {run}: scorecard step {incrementals[-1]['seconds']:.2f} s")
        recomputed = run_child([*step, "recompute"])  # from the store alone: no snapshot, nothing kept
        if recomputed["files_digest"] != incrementals[-1]["files_digest"]:
            raise BenchError("the incremental build's figures differ from a full recomputation from the store")
        say("  the last incremental build's data files equal a full recomputation's, byte for byte")
        check_agreement(
            run_child([str(HERE / "plain.py"), database, timezone]),
            run_child([*step, "pair"]),
            filled["min_group_size"],
        )
        if keep:
            say(f"  kept {project}")
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)

    def middle(runs: list[dict[str, Any]], key: str) -> float:
        return median(run[key] for run in runs)

    return Result(
        size=size,
        rows=rows,
        fill_s=fill_s,
        pair_s=middle(pairs, "seconds"),
        plain_s=middle(plains, "seconds"),
        figures_s=middle(fulls, "figures_s"),
        charts_s=middle(fulls, "charts_s"),
        files_s=median(run["bundle_s"] + run["files_s"] for run in fulls),
        step_s=middle(fulls, "seconds"),
        warm_charts_s=middle(warms, "charts_s"),
        warm_step_s=middle(warms, "seconds"),
        warm_cpu_s=middle(warms, "cpu_s"),
        incremental_s=middle(incrementals, "seconds"),
        incremental_cpu_s=middle(incrementals, "cpu_s"),
        incremental_rss_mb=max(run["peak_rss_mb"] for run in incrementals),
        warm_rss_mb=max(run["peak_rss_mb"] for run in warms),
        pair_cpu_s=middle(pairs, "cpu_s"),
        plain_cpu_s=middle(plains, "cpu_s"),
        step_cpu_s=middle(fulls, "cpu_s"),
        step_rss_mb=max(run["peak_rss_mb"] for run in fulls),
        baseline_rss_mb=max(run["baseline_rss_mb"] for run in fulls),
        pair_rss_mb=max(run["peak_rss_mb"] for run in pairs),
        plain_rss_mb=max(run["peak_rss_mb"] for run in plains),
        charts=fulls[0]["charts"],
        svgs=fulls[0]["svgs"],
    )


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def table(results: list[Result]) -> str:
    head = (
        "responses",
        "rows",
        "fill s",
        "sitegen NPS+CSAT s",
        "plain s",
        "ratio",
        "figures s",
        "charts s",
        "data files s",
        "step s",
        "charts s, warm cache",
        "step s, warm cache",
        f"step s, +{ADDED:,}",
        "peak RSS MB",
    )
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" for _ in head) + "|"]
    for result in results:
        cells = (
            f"{result.size:,}",
            f"{result.rows:,}",
            f"{result.fill_s:.1f}",
            f"{result.pair_s:.2f}",
            f"{result.plain_s:.2f}",
            f"{result.ratio:.2f}",
            f"{result.figures_s:.2f}",
            f"{result.charts_s:.2f}",
            f"{result.files_s:.2f}",
            f"{result.step_s:.2f}",
            f"{result.warm_charts_s:.2f}",
            f"{result.warm_step_s:.2f}",
            f"{result.incremental_s:.2f}",
            f"{result.peak_rss_mb:,.0f}",
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdicts(result: Result) -> list[str]:
    def verdict(passed: bool) -> str:
        return "PASS" if passed else "MISS"

    full, incremental = (
        (TARGET_SECONDS, TARGET_INCREMENTAL_SECONDS)
        if result.size < BIG_SIZE
        else (BIG_SECONDS, BIG_INCREMENTAL_SECONDS)
    )
    return [
        (
            f"scorecard step, every figure computed again from the answer cache, {result.warm_step_s:.2f} s "
            f"(target < {full:.0f} s): {verdict(result.warm_step_s < full)}"
        ),
        (
            f"scorecard step after {ADDED:,} new answers {result.incremental_s:.2f} s (target < {incremental:.0f} s): "
            f"{verdict(result.incremental_s < incremental)}"
        ),
        f"first build (no answer cache, every answer read from the store) {result.step_s:.2f} s: no target",
        (
            f"scorecard step peak RSS {result.peak_rss_mb:,.0f} MB, the largest of the three "
            f"(target < {TARGET_RSS_MB:,.0f} MB): {verdict(result.peak_rss_mb < TARGET_RSS_MB)}"
        ),
        f"sitegen / plain {result.ratio:.2f} (target < {TARGET_RATIO:.0f}): {verdict(result.ratio < TARGET_RATIO)}",
    ]


def sizes(text: str) -> list[int]:
    try:
        values = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers") from None
    if not values or any(value < 1 for value in values):
        raise argparse.ArgumentTypeError("sizes must be positive")
    return values


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:]),
    )
    parser.add_argument(
        "--sizes",
        type=sizes,
        default=[100_000, 1_000_000],
        help="after-visit responses per step, comma-separated (default 100000,1000000)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per measurement; the table shows medians (default 3)"
    )
    parser.add_argument(
        "--after-visit-only",
        action="store_true",
        help="store no journey-order, complaint-log or employee-annual responses",
    )
    parser.add_argument("--keep", action="store_true", help="keep the filled temporary projects")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="store the answers in a throwaway PostgreSQL server (as the tests start one) instead of SQLite",
    )
    options = parser.parse_args()
    if not 1 <= options.repeat <= MAX_ROUNDS:
        parser.error(f"--repeat must be 1 to {MAX_ROUNDS}: each run's new answers take a day before the as-of day")
    load = os.getloadavg()
    results = []
    try:
        for size in options.sizes:
            with postgres_database() if options.postgres else nullcontext(None) as store_url:
                results.append(measure(size, options.repeat, not options.after_visit_only, options.keep, store_url))
    except BenchError as error:
        say(f"error: {error}")
        return 1
    print()
    print(table(results))
    print()
    print(
        "sitegen NPS+CSAT: sitegen's figures for NPS and CSAT per month and per location; plain: the same from "
        "plain pandas (plain.py);"
    )
    print(
        "ratio = sitegen / plain. figures, charts, data files: the scorecard step of a build for every scorecard "
        "of the example,"
    )
    print(
        f"{results[0].charts} charts (specs; {results[0].svgs} also drawn as SVG); data files include the Vega "
        "bundle; charts: the drawing still running once the figures are done. Times are medians of "
        f"{options.repeat} fresh processes each;"
    )
    print(
        f"load average before the runs: {load[0]:.2f} on {os.cpu_count()} CPUs (other work on the machine slows "
        "every column alike)."
    )
    for result in results:
        print(
            f"{result.size:,}: peak RSS of the step {result.step_rss_mb:,.0f} MB "
            f"(rebuild {result.warm_rss_mb:,.0f} MB, after {ADDED:,} new answers "
            f"{result.incremental_rss_mb:,.0f} MB) "
            f"({result.baseline_rss_mb:,.0f} MB after imports and loading the project);"
            f" sitegen NPS+CSAT {result.pair_rss_mb:,.0f} MB, plain {result.plain_rss_mb:,.0f} MB."
            f" CPU s (less sensitive to other work): step {result.step_cpu_s:.2f} "
            f"({result.warm_cpu_s:.2f} for the rebuild with a warm chart cache, "
            f"{result.incremental_cpu_s:.2f} after {ADDED:,} new answers), "
            f"sitegen NPS+CSAT {result.pair_cpu_s:.2f}, plain {result.plain_cpu_s:.2f}, ratio {result.cpu_ratio:.2f}"
        )
    at_target = [result for result in results if result.size in (TARGET_SIZE, BIG_SIZE)]
    for result in at_target:
        print()
        print(f"targets at {result.size:,} responses:")
        for line in verdicts(result):
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
