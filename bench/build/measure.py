"""Run one build in a fresh process and measure it: wall time, peak memory, HTML pages written."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tools import Builder


class BuildFailed(Exception):
    """A builder exited with an error."""


@dataclass(frozen=True)
class Run:
    """One timed build."""

    pages: int
    seconds: float
    peak_mb: float

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds


def run_build(builder: Builder) -> Run:
    """Build once from an empty output folder, under `/usr/bin/time -v` for the peak resident memory.

    GNU time's "Maximum resident set size" is the child's own peak: time is
    tiny, so unlike `ru_maxrss` read from this (larger) process, nothing
    is carried over from the parent through fork and exec.
    """
    shutil.rmtree(builder.output, ignore_errors=True)
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        started = time.perf_counter()
        done = subprocess.run(
            ["/usr/bin/time", "-v", "-o", report.name, *builder.command],
            cwd=builder.cwd,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise BuildFailed(
                f"{builder.name} failed ({done.returncode}):\n{(done.stderr or done.stdout).strip()[-3000:]}"
            )
        kilobytes = next(
            int(line.rsplit(":", 1)[1]) for line in report.read().splitlines() if "Maximum resident set size" in line
        )
    return Run(count_html(builder.output), seconds, kilobytes / 1024)


def count_html(folder: Path) -> int:
    return sum(1 for _, _, names in os.walk(folder) for name in names if name.endswith(".html"))
