"""The import benchmark: `responses import` of 200,000 and 1,000,000 answers into a fresh SQLite store.

Usage (from anywhere; writes only to a temporary folder):

    bench/import/run                         # 200,000 and 1,000,000 answers, 3 runs each
    bench/import/run --sizes 200000 --repeat 5
    bench/import/run --keep                  # leave the project and its files behind (to profile them)

For each size: copy the example project to a temporary folder, write a
JSON Lines file of that many SYNTHETIC answers of its four surveys
(`make_file.py`, the example's sample over and over with ids of their own;
not timed), then import it `--repeat` times, each in a fresh process into a
fresh SQLite store (`measure.py`: the function `sitegen responses import`
calls, with every check and one transaction, durable on commit). Every run
must store every line (exit status 1 otherwise). The table gives medians of
the runs (wall and CPU time: the machine is shared, so the load average is
printed beside them) and the largest peak RSS; the target is checked at each
size: at least 50,000 answers/s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parents[1]
PYTHON = Path(sys.executable)
PROJECT_PARTS = ("content", "surveys", "templates", "assets", "sitegen.yaml")
TARGET_PER_S = 50_000


class BenchError(Exception):
    """The benchmark cannot run, or an import did not store every line."""


@dataclass(frozen=True)
class Result:
    """One size's measurements: medians over the runs, the largest peak RSS."""

    size: int
    file_mb: float
    seconds: float
    cpu_s: float
    peak_rss_mb: float
    baseline_rss_mb: float
    children_peak_rss_mb: float
    """The largest of the forked checking processes' (0 without any); most of it is pages shared with the import's."""
    load: str

    @property
    def per_s(self) -> float:
        return self.size / self.seconds

    @property
    def cpu_per_s(self) -> float:
        return self.size / self.cpu_s


def copy_project(destination: Path) -> Path:
    """The example project's definitions (no store, no output) in `destination`."""
    project = destination / "project"
    project.mkdir()
    for part in PROJECT_PARTS:
        source = REPOSITORY / part
        if source.is_dir():
            shutil.copytree(source, project / part)
        else:
            shutil.copy2(source, project / part)
    (project / "data").mkdir()
    for table in (REPOSITORY / "data").glob("*.csv"):  # the scorecards' data files, which the site checks
        shutil.copy2(table, project / "data" / table.name)
    return project


def run_child(arguments: list[str]) -> dict[str, Any]:
    """Run one step in a fresh interpreter; its JSON output."""
    done = subprocess.run([str(PYTHON), *arguments], capture_output=True, text=True, cwd=REPOSITORY)
    if done.returncode != 0:
        raise BenchError(f"{' '.join(arguments)} failed:\n{done.stderr.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def measure(size: int, repeat: int, keep: bool) -> Result:
    folder = Path(tempfile.mkdtemp(prefix="sitegen-bench-import-"))
    try:
        project = copy_project(folder)
        answers = folder / "answers.jsonl"
        written = run_child([str(HERE / "make_file.py"), str(answers), str(size)])
        file_mb = written["bytes"] / 2**20
        say(f"{size:,} answers: {file_mb:,.0f} MB of JSON Lines in {answers} ({written['seconds']:.1f} s)")
        runs, loads = [], []
        for run in range(1, repeat + 1):
            loads.append(load_average())
            runs.append(run_child([str(HERE / "measure.py"), str(project), str(answers)]))
            if runs[-1]["stored"] != size or runs[-1]["new"] != size:
                raise BenchError(f"run {run} stored {runs[-1]['stored']:,} of {size:,} answers")
            say(
                f"  run {run}: {runs[-1]['seconds']:.1f} s ({size / runs[-1]['seconds']:,.0f}/s), "
                f"CPU {runs[-1]['cpu_s']:.1f} s, peak RSS {runs[-1]['peak_rss_mb']:,.0f} MB "
                f"(checking processes {runs[-1].get('children_peak_rss_mb', 0):,.0f} MB), load {loads[-1]}"
            )
        if keep:
            say(f"  kept {folder}")
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
    return Result(
        size=size,
        file_mb=file_mb,
        seconds=median(run["seconds"] for run in runs),
        cpu_s=median(run["cpu_s"] for run in runs),
        peak_rss_mb=max(run["peak_rss_mb"] for run in runs),
        baseline_rss_mb=max(run["baseline_rss_mb"] for run in runs),
        children_peak_rss_mb=max(run.get("children_peak_rss_mb", 0) for run in runs),
        load=" / ".join(loads),
    )


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def table(results: list[Result]) -> str:
    head = ("answers", "file MB", "import s", "answers/s", "CPU s", "answers/CPU s", "peak RSS MB", "load (1 min)")
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" for _ in head) + "|"]
    for result in results:
        cells = (
            f"{result.size:,}",
            f"{result.file_mb:,.0f}",
            f"{result.seconds:.1f}",
            f"{result.per_s:,.0f}",
            f"{result.cpu_s:.1f}",
            f"{result.cpu_per_s:,.0f}",
            f"{result.peak_rss_mb:,.0f} (start {result.baseline_rss_mb:,.0f}, fork {result.children_peak_rss_mb:,.0f})",
            " / ".join(load.split()[0] for load in result.load.split(" / ")),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdict(result: Result) -> str:
    passed = "PASS" if result.per_s >= TARGET_PER_S else "MISS"
    return f"{result.size:,} answers: {result.per_s:,.0f} answers/s (target >= {TARGET_PER_S:,}/s): {passed}"


def sizes(text: str) -> list[int]:
    try:
        values = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of whole numbers: {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("give one or more sizes of at least 1")
    return values


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=sizes, default=[200_000, 1_000_000], help="answers per file, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="imports per size (medians are reported)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary project and file")
    options = parser.parse_args()
    try:
        results = [measure(size, options.repeat, options.keep) for size in options.sizes]
    except BenchError as error:
        say(f"bench/import: {error}")
        return 1
    print(f"CPUs: {os.cpu_count()}, load average now (1, 5, 15 min): {load_average()}")
    print(table(results))
    for result in results:
        print(verdict(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
