"""One timed `responses import` of a file into a fresh SQLite store, in this fresh process.

Usage: measure.py PROJECT FILE   (prints one JSON object: seconds, CPU seconds, stored count, peak RSS)

CPU seconds and peak RSS count the checking processes the import forks (their peak RSS apart: most of it is the
pages they share with this process).

The store is the project's own (`sitegen.yaml`: a SQLite file), removed
first; the import is `sitegen.interchange.import_responses`, the function
`sitegen responses import` calls, with its checks and its one transaction.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from sitegen.interchange import import_responses, open_store
from sitegen.site import load_site


def cpu_seconds() -> float:
    """CPU time of this process and of the checking processes it forked (ended by then), user and system."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    project, path = Path(sys.argv[1]), Path(sys.argv[2])
    for stale in (project / "data").glob("responses.sqlite3*"):
        stale.unlink()
    site = load_site(project)
    baseline_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open_store(site) as store:
        started, cpu_started = time.perf_counter(), cpu_seconds()
        report = import_responses(site, store, [path])
        seconds, cpu_s = time.perf_counter() - started, cpu_seconds() - cpu_started
        stored = store.count()
    if report.is_refused:
        raise SystemExit("the import was refused:\n" + "\n".join(map(str, report.problems[:20])))
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_s": cpu_s,
                "new": report.new,
                "stored": stored,
                "baseline_rss_mb": baseline_mb,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "children_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
