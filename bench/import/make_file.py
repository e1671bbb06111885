"""Write a JSON Lines file of N SYNTHETIC responses to the example's surveys, for `responses import` to read.

Usage: make_file.py OUTPUT N   (prints one JSON object: lines per survey, bytes, seconds)

The lines are the example's sample (`data/sample-responses.jsonl`, made by
`data/generate_sample.py`: all four surveys, the anonymous employee survey
among them) over and over, each copy with an id of its own, so every line
is a new response that passes the collector's checks.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-responses.jsonl"


def write(output: Path, count: int) -> Counter[str]:
    sample = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    surveys: Counter[str] = Counter()
    with output.open("w", encoding="utf-8", newline="\n") as lines:
        for number in range(count):
            record = dict(sample[number % len(sample)])
            record["id"] = f"bench-{number:08d}"
            surveys[record["survey"]] += 1
            lines.write(json.dumps(record, ensure_ascii=False) + "\n")
    return surveys


def main() -> None:
    output, count = Path(sys.argv[1]), int(sys.argv[2])
    started = time.perf_counter()
    surveys = write(output, count)
    seconds = time.perf_counter() - started
    print(json.dumps({"lines": dict(surveys), "bytes": output.stat().st_size, "seconds": seconds}))


if __name__ == "__main__":
    main()
