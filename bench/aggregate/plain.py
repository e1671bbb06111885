"""The floor: NPS and CSAT per month and per location, read from the store by the plainest honest pandas script.

Usage: plain.py DATABASE [TIMEZONE]   (prints one JSON object: seconds, CPU seconds, peak RSS, figures)
       DATABASE: a SQLite file, or a postgresql:// URL (the same query with ->>)

One query lets SQLite pick the three answers out of the JSON, pandas
converts the times to the site's months and groups. No ORDER BY, no ids,
no privacy rule, no comments: what any analyst would write first. The
figures are printed too, so the benchmark can check both sides agree.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time

import pandas as pd
import psycopg
from peak_memory import peak_rss_mb

QUERY = """
SELECT submitted_at,
       json_extract(answers, '$.recommend') AS recommend,
       json_extract(answers, '$.satisfaction') AS satisfaction,
       json_extract(meta, '$.location') AS location
FROM responses WHERE survey_id = 'after-visit'
"""
POSTGRES_QUERY = """
SELECT submitted_at,
       (answers->>'recommend')::float AS recommend,
       (answers->>'satisfaction')::float AS satisfaction,
       meta->>'location' AS location
FROM responses WHERE survey_id = 'after-visit'
"""


def figures(database: str, timezone: str) -> dict[str, dict[str, dict[str, dict[str, float]]]]:
    """{"nps"|"csat": {"month"|"location": {key: {"value", "n"}}}}."""
    if database.startswith("postgresql://"):
        with psycopg.connect(database) as server, server.cursor() as cursor:
            cursor.execute(POSTGRES_QUERY)
            frame = pd.DataFrame(cursor.fetchall(), columns=["submitted_at", "recommend", "satisfaction", "location"])
    else:
        with sqlite3.connect(database) as connection:
            frame = pd.read_sql(QUERY, connection)
    local = pd.to_datetime(frame["submitted_at"], utc=True, format="ISO8601").dt.tz_convert(timezone)
    frame["month"] = local.dt.tz_localize(None).dt.to_period("M").astype(str)
    frame["promoter"] = frame["recommend"] >= 9
    frame["detractor"] = frame["recommend"] <= 6
    frame["nps_n"] = frame["recommend"].notna()
    frame["satisfied"] = frame["satisfaction"] >= 4
    frame["csat_n"] = frame["satisfaction"].notna()
    result: dict[str, dict[str, dict[str, dict[str, float]]]] = {"nps": {}, "csat": {}}
    for by in ("month", "location"):
        sums = frame.groupby(by)[["promoter", "detractor", "nps_n", "satisfied", "csat_n"]].sum()
        nps = 100 * (sums["promoter"] - sums["detractor"]) / sums["nps_n"]
        csat = 100 * sums["satisfied"] / sums["csat_n"]
        result["nps"][by] = {key: {"value": float(nps[key]), "n": int(sums.at[key, "nps_n"])} for key in sums.index}
        result["csat"][by] = {key: {"value": float(csat[key]), "n": int(sums.at[key, "csat_n"])} for key in sums.index}
    return result


def main() -> None:
    database, timezone = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "Europe/Riga"
    started, cpu_started = time.perf_counter(), time.process_time()
    result = figures(database, timezone)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    json.dump({"seconds": seconds, "cpu_s": cpu_seconds, "peak_rss_mb": peak_rss_mb(), "figures": result}, sys.stdout)


if __name__ == "__main__":
    main()
