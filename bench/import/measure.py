"""One timed `responses import` of a file into a fresh SQLite store, in this fresh process.

Usage: measure.py PROJECT FILE   (prints one JSON object: seconds, CPU seconds, stored count, peak RSS)

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


def main() -> None:
    project, path = Path(sys.argv[1]), Path(sys.argv[2])
    for stale in (project / "data").glob("responses.sqlite3*"):
        stale.unlink()
    site = load_site(project)
    baseline_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open_store(site) as store:
        started, cpu_started = time.perf_counter(), time.process_time()
        report = import_responses(site, store, [path])
        seconds, cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
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
            }
        )
    )


if __name__ == "__main__":
    main()
