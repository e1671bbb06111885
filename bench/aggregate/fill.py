"""Fill a project's SQLite store with SYNTHETIC responses, fast: vectorised draws, batched inserts.

Usage: fill.py PROJECT AFTER_VISIT_RESPONSES [--after-visit-only]
       fill.py PROJECT NEW_RESPONSES --add ROUND   NEW_RESPONSES more after-visit responses on day ROUND after the
                                                   filled ones (rounds 1 to 9 fall before the as-of day)
       (prints one JSON object: database, time zone, privacy minimum, rows per survey, seconds)

Nothing here is a real answer. The draws follow the example site's story
(three cafés, 1 December 2024 to 20 November 2026, NPS rising from about 30
to about 45 with a dip in summer 2025, Jelgava highest, Rīga mall lowest)
closely enough that every scorecard metric has realistic figures, but they
are made with numpy in bulk instead of one `random` call at a time like
`data/generate_sample.py`. Rows go in oldest first with plain sqlite3
(`executemany` in one transaction, `synchronous=OFF`) into the schema that
`ResponseStore.open` created, in the exact format `ResponseStore.add`
writes: UTC text times, compact UTF-8 JSON, random hex ids like the
collector's.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg

from sitegen.site import load_site
from sitegen.store import ResponseStore
from sitegen.store.engine import database_url, encode_json
from sitegen.versions import survey_version

SEED = 20261120
FIRST_DAY = np.datetime64("2024-12-01")
LAST_DAY = np.datetime64("2026-11-20")
TIMEZONE = "Europe/Riga"
LOCATIONS = ("riga-centre", "riga-mall", "jelgava")
LANGUAGES = ("lv", "ru", "en")
BATCH = 50_000

OTHER_SURVEYS = {"journey-order": 0.12, "complaint-log": 0.15, "employee-annual": 0.013}
"""Responses per after-visit response, as in the example's sample (500, 605 and 52 to 4,103)."""

IMPROVE = (
    ("Rinda bija pārāk gara.", "Очередь была слишком длинной.", "The queue was too long."),
    ("Kapučīno bija remdens.", "Капучино был едва тёплым.", "My cappuccino was lukewarm."),
    ("Nebija kur apsēsties.", "Негде было сесть.", "Nowhere to sit."),
    ("Cenas ir kāpušas.", "Цены выросли.", "Prices have gone up."),
    ("Galdiņi bija netīri.", "Столики были грязные.", "The tables were sticky."),
    ("Zālē bija ļoti karsts.", "В зале было очень жарко.", "It was very hot inside."),
)
STOOD_OUT_GOOD = (
    ("Barists atcerējās manu pasūtījumu!", "Бариста запомнил мой заказ!", "The barista remembered my order!"),
    ("Labākā kanēļmaizīte pilsētā.", "Лучшая булочка с корицей в городе.", "The best cinnamon bun in town."),
)
STOOD_OUT_BAD = (
    ("Pusdienas gaidīju 25 minūtes.", "Обед ждал 25 минут.", "Waited 25 minutes for lunch."),
    ("Pasūtījums bija sajaukts.", "Заказ перепутали.", "My order was mixed up."),
)
ORDER_PROBLEMS = (
    ("Trūka dzēriena.", "Не хватало напитка.", "A drink was missing."),
    ("Kūka bija sabojāta.", "Торт был помят.", "The cake was damaged."),
)
WHAT_HAPPENED = (
    ("Viesis gaidīja kafiju 20 minūtes.", "Гость ждал кофе 20 минут.", "Guest waited 20 minutes for coffee."),
    ("Nepareizs piens kapučīno.", "Не то молоко в капучино.", "Wrong milk in a cappuccino."),
    ("Kanēļmaizīte bija sakaltusi.", "Булочка была чёрствой.", "Cinnamon bun was stale."),
)
ACTION_TAKEN = (
    (
        "Atvainojāmies, kafija uz mājas rēķina.",
        "Извинились, кофе за счёт заведения.",
        "Apologised; coffee on the house.",
    ),
)
IDEAS = (("Vairāk apmācību jaunajiem.", "Больше обучения для новичков.", "More training for new staff."),)

REASONS = ("coffee-to-go", "breakfast", "lunch", "meeting", "work-study", "cake-pickup")
LIKED = ("coffee", "pastries", "lunch", "atmosphere", "staff", "speed", "prices")
ASPECTS = ("coffee", "food", "cleanliness", "speed", "friendliness")
CHANNELS = ("in-person", "phone", "email", "social-media", "review-site", "survey")
CAUSES = (
    "product-quality",
    "order-error",
    "wait-time",
    "staff-behaviour",
    "cleanliness",
    "equipment",
    "billing",
    "other",
)
ROLES = ("barista", "kitchen", "shift-lead", "manager", "other")
EMPLOYEE_QUESTIONS = (
    "standards_clear",
    "standards_possible",
    "training",
    "tools",
    "management_feedback",
    "management_listens",
)

Row = tuple[str, str, str, str, str, str, str]


@dataclass(frozen=True)
class Drawn:
    """One survey's responses as columns: when, where, in which language, and a function making row i's answers."""

    survey_id: str
    at: np.ndarray  # datetime64[us], UTC
    location: np.ndarray
    lang: np.ndarray
    answers: Callable[[int], dict[str, Any]]


def pick(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One index per row of `weights` (rows of relative weights), drawn in one vectorised step."""
    cumulative = np.cumsum(weights, axis=1)
    point = rng.random(len(weights)) * cumulative[:, -1]
    return (point[:, None] >= cumulative).sum(axis=1)


def chance(rng: np.random.Generator, n: int, probability: float | np.ndarray) -> np.ndarray:
    return rng.random(n) < probability


def local_to_utc(local: np.ndarray) -> np.ndarray:
    """Riga wall times (datetime64) as UTC instants (datetime64[us])."""
    index = pd.DatetimeIndex(local).tz_localize(
        TIMEZONE, ambiguous=np.ones(len(local), dtype=bool), nonexistent="shift_forward"
    )
    return index.tz_convert("UTC").tz_localize(None).to_numpy().astype("datetime64[us]")


def visit_days(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Days in the sample window (weekends busier) and how far through it each is (0 to 1)."""
    days = np.arange(FIRST_DAY, LAST_DAY + 1)
    weights = np.where(pd.DatetimeIndex(days).day_of_week >= 5, 1.35, 1.0)
    chosen = days[rng.choice(len(days), size=n, p=weights / weights.sum())]
    return chosen, (chosen - FIRST_DAY).astype(np.int64) / (LAST_DAY - FIRST_DAY).astype(np.int64)


def _summer_dip(days: np.ndarray) -> np.ndarray:
    month = days.astype("datetime64[M]")
    return np.select(
        [month == np.datetime64("2025-06"), month == np.datetime64("2025-07"), month == np.datetime64("2025-08")],
        [0.4, 1.0, 0.6],
        0.0,
    )


def _texts(table: tuple[tuple[str, str, str], ...], rng: np.random.Generator, lang: np.ndarray) -> list[str]:
    which = rng.integers(0, len(table), len(lang))
    return [table[i][j] for i, j in zip(which, lang, strict=False)]


def after_visit(rng: np.random.Generator, n: int) -> Drawn:
    days, progress = visit_days(rng, n)
    location = pick(rng, np.tile([0.42, 0.35, 0.23], (n, 1)))
    lang = pick(rng, np.array([[0.62, 0.30, 0.08], [0.45, 0.45, 0.10], [0.80, 0.18, 0.02]])[location])
    dip = _summer_dip(days)
    nps = (30 + 15 * progress + np.array([0.0, -7.0, 8.0])[location] - 12 * dip) / 100
    group = pick(
        rng, np.column_stack([(0.70 + nps) / 2, np.full(n, 0.30), (0.70 - nps) / 2])
    )  # promoter, passive, detractor
    recommend = np.choose(
        group, [9 + chance(rng, n, 0.45), 7 + chance(rng, n, 0.55), pick(rng, np.tile([2, 1, 2, 3, 6, 10, 14], (n, 1)))]
    )
    satisfaction = 1 + pick(rng, np.array([[0, 1, 4, 30, 65], [2, 6, 27, 50, 15], [15, 25, 35, 20, 5]])[group])
    effort = 1 + pick(
        rng, np.array([[0, 0, 1, 3, 10, 36, 50], [1, 2, 5, 12, 30, 35, 15], [8, 12, 18, 22, 20, 14, 6]])[group]
    )
    expectations = pick(rng, np.array([[1, 55, 44], [10, 80, 10], [55, 42, 3]])[group])  # below, met, exceeded
    aspects = np.clip(
        np.rint(rng.normal(np.array([4.6, 3.9, 2.9])[group][:, None], 0.7, (n, len(ASPECTS)))), 1, 5
    ).astype(int)
    greeted = chance(rng, n, 0.80 + 0.12 * progress - 0.09 * dip + np.array([0.04, -0.02, -0.12])[group])
    reason = pick(rng, np.tile([30, 20, 22, 14, 10, 4], (n, 1)))
    liked = rng.random((n, len(LIKED))) < np.array([0.45, 0.35, 0.2, 0.25, 0.2, 0.08, 0.06])
    improve = np.where((recommend < 9) & chance(rng, n, np.where(group == 2, 0.6, 0.28)))[0]
    improve_text = dict(zip(improve.tolist(), _texts(IMPROVE, rng, lang[improve]), strict=False))
    stood = np.where((expectations != 1) & chance(rng, n, 0.35))[0]
    good, bad = _texts(STOOD_OUT_GOOD, rng, lang[stood]), _texts(STOOD_OUT_BAD, rng, lang[stood])
    stood_text = {i: good[k] if expectations[i] == 2 else bad[k] for k, i in enumerate(stood.tolist())}
    keep = {
        name: chance(rng, n, p)
        for name, p in (
            ("satisfaction", 0.97),
            ("greeted", 0.92),
            ("aspects", 0.82),
            ("expectations", 0.93),
            ("effort", 0.90),
            ("reason", 0.90),
            ("liked", 0.78),
        )
    }
    hours = 8 + rng.random(n) * 14
    at = local_to_utc(days.astype("datetime64[us]") + (hours * 3_600_000_000).astype("timedelta64[us]"))
    columns = {
        name: column.tolist()
        for name, column in (
            ("recommend", recommend),
            ("satisfaction", satisfaction),
            ("effort", effort),
            ("expectations", expectations),
            ("greeted", greeted),
            ("reason", reason),
        )
    }
    keep = {name: column.tolist() for name, column in keep.items()}
    aspects, liked = aspects.tolist(), liked.tolist()

    def answers(i: int) -> dict[str, Any]:
        row: dict[str, Any] = {"recommend": columns["recommend"][i]}
        if i in improve_text:
            row["improve"] = improve_text[i]
        if keep["satisfaction"][i]:
            row["satisfaction"] = columns["satisfaction"][i]
        if keep["greeted"][i]:
            row["greeted"] = "yes" if columns["greeted"][i] else "no"
        if keep["aspects"][i]:
            row["aspects"] = dict(zip(ASPECTS, aspects[i], strict=False))
        if keep["expectations"][i]:
            row["expectations"] = ("below", "met", "exceeded")[columns["expectations"][i]]
            if i in stood_text:
                row["stood_out"] = stood_text[i]
        if keep["effort"][i]:
            row["effort"] = columns["effort"][i]
        if keep["reason"][i]:
            row["visit_reason"] = REASONS[columns["reason"][i]]
        if keep["liked"][i] and any(liked[i]):
            row["liked"] = [choice for choice, chosen in zip(LIKED, liked[i], strict=False) if chosen]
        return row

    return Drawn("after-visit", at, location, lang, answers)


def journey_order(rng: np.random.Generator, n: int) -> Drawn:
    days, progress = visit_days(rng, n)
    location = pick(rng, np.tile([0.45, 0.30, 0.25], (n, 1)))
    lang = pick(rng, np.tile([0.6, 0.3, 0.1], (n, 1)))
    new_page = days >= np.datetime64("2025-09-08")
    ease = np.clip(np.rint(rng.normal(np.where(new_page, 6.0, 5.1), 1.1)), 1, 7).astype(int).tolist()
    order_ok = chance(rng, n, 0.93 + 0.04 * progress).tolist()
    has_ok, has_date = chance(rng, n, 0.96).tolist(), chance(rng, n, 0.82).tolist()
    ordered = (days - rng.integers(1, 10, n).astype("timedelta64[D]")).astype(str).tolist()
    problems = _texts(ORDER_PROBLEMS, rng, lang)
    at = local_to_utc(
        days.astype("datetime64[us]") + ((9 + rng.random(n) * 13) * 3_600_000_000).astype("timedelta64[us]")
    )

    def answers(i: int) -> dict[str, Any]:
        row: dict[str, Any] = {"order_date": ordered[i]} if has_date[i] else {}
        row["ease"] = ease[i]
        if has_ok[i]:
            row["order_ok"] = "yes" if order_ok[i] else "no"
            if not order_ok[i]:
                row["problem"] = problems[i]
        return row

    return Drawn("journey-order", at, location, lang, answers)


def complaint_log(rng: np.random.Generator, n: int) -> Drawn:
    days, progress = visit_days(rng, n)
    location = pick(rng, np.tile([0.45, 0.38, 0.17], (n, 1)))
    lang = pick(rng, np.tile([0.7, 0.3, 0.0], (n, 1)))
    opened = days.astype("datetime64[m]") + (rng.integers(8 * 60, 22 * 60, n)).astype("timedelta64[m]")
    channel = pick(rng, np.tile([44, 10, 14, 10, 12, 10], (n, 1)))
    # A complaint at the counter is sorted out at once, a review-site one takes longest.
    hours = (9.0 - 4.5 * progress) * np.exp(rng.normal(0, 0.7, n)) * np.array([0.5, 0.8, 1.5, 1.3, 2.0, 1.8])[channel]
    resolved = opened + np.rint(np.clip(hours, 0.15, 72) * 60).astype("timedelta64[m]")
    is_resolved = chance(rng, n, 0.96)
    logged = np.where(is_resolved, resolved, opened).astype("datetime64[us]") + (rng.random(n) * 170 + 10).astype(
        "timedelta64[m]"
    ).astype("timedelta64[us]")
    cause = pick(rng, np.tile([20, 19, 23, 9, 9, 8, 7, 5], (n, 1)))
    severity = 1 + pick(rng, np.tile([30, 36, 20, 10, 3], (n, 1)))
    opened_text, resolved_text = (
        np.datetime_as_string(opened, unit="m").tolist(),
        np.datetime_as_string(resolved, unit="m").tolist(),
    )
    texts, actions = _texts(WHAT_HAPPENED, rng, lang), _texts(ACTION_TAKEN, rng, lang)
    contacted = chance(rng, n, 0.68 + 0.20 * progress).tolist()
    keep = {
        name: chance(rng, n, p).tolist()
        for name, p in (("affected", 0.8), ("cause", 0.96), ("action", 0.88), ("contacted", 0.85))
    }
    columns = {
        "channel": channel.tolist(),
        "cause": cause.tolist(),
        "severity": severity.tolist(),
        "affected": (1 + pick(rng, np.tile([82, 10, 5, 3], (n, 1)))).tolist(),
    }
    is_resolved = is_resolved.tolist()

    def answers(i: int) -> dict[str, Any]:
        row: dict[str, Any] = {
            "opened_at": opened_text[i],
            "channel": CHANNELS[columns["channel"][i]],
            "what_happened": texts[i],
            "severity": columns["severity"][i],
        }
        if keep["affected"][i]:
            row["affected_customers"] = columns["affected"][i]
        if keep["cause"][i]:
            row["root_cause"] = CAUSES[columns["cause"][i]]
        if keep["action"][i]:
            row["action_taken"] = actions[i]
        if keep["contacted"][i]:
            row["customer_contacted"] = "yes" if contacted[i] else "no"
        if is_resolved[i]:
            row["resolved_at"] = resolved_text[i]
        return row

    return Drawn("complaint-log", local_to_utc(logged), location, lang, answers)


def employee_annual(rng: np.random.Generator, n: int) -> Drawn:
    """Two November waves; an anonymous survey keeps only the day (local midnight)."""
    wave = chance(rng, n, 0.5)
    days = np.where(wave, np.datetime64("2026-11-02"), np.datetime64("2025-11-03")) + rng.integers(0, 18, n).astype(
        "timedelta64[D]"
    )
    location = pick(rng, np.tile([0.5, 0.35, 0.15], (n, 1)))
    lang = pick(rng, np.tile([0.65, 0.33, 0.02], (n, 1)))
    mood = rng.normal(0, 0.5, n)
    scores = (
        np.clip(
            np.rint(rng.normal((np.array([4.4, 3.6, 3.9, 3.5, 3.8, 3.7]) + 0.3 * wave[:, None]) + mood[:, None], 0.6)),
            1,
            5,
        )
        .astype(int)
        .tolist()
    )
    role = pick(rng, np.tile([45, 25, 15, 8, 7], (n, 1))).tolist()
    years = rng.integers(0, 9, n).tolist()
    recommend = chance(rng, n, 0.68 + 0.3 * mood).tolist()
    keep = {
        name: chance(rng, n, p).tolist()
        for name, p in (("role", 0.88), ("years", 0.85), ("recommend", 0.95), ("ideas", 0.45))
    }
    ideas = _texts(IDEAS, rng, lang)

    def answers(i: int) -> dict[str, Any]:
        row: dict[str, Any] = {"role": ROLES[role[i]]} if keep["role"][i] else {}
        if keep["years"][i]:
            row["years"] = years[i]
        row.update(zip(EMPLOYEE_QUESTIONS, scores[i], strict=False))
        if keep["recommend"][i]:
            row["recommend_workplace"] = "yes" if recommend[i] else "no"
        if keep["ideas"][i]:
            row["ideas"] = ideas[i]
        return row

    return Drawn("employee-annual", local_to_utc(days.astype("datetime64[us]")), location, lang, answers)


SURVEYS = {
    "after-visit": after_visit,
    "journey-order": journey_order,
    "complaint-log": complaint_log,
    "employee-annual": employee_annual,
}


def draw_all(after_visit_n: int, with_others: bool) -> list[Drawn]:
    """`after_visit_n` after-visit responses and, with `with_others`, the other surveys in the sample's proportions."""
    counts = {"after-visit": after_visit_n}
    if with_others:
        counts.update({survey: round(after_visit_n * share) for survey, share in OTHER_SURVEYS.items()})
    return [
        SURVEYS[survey](np.random.default_rng([SEED, index]), n) for index, (survey, n) in enumerate(counts.items())
    ]


def rows(drawn: list[Drawn], versions: dict[str, str], rng: np.random.Generator) -> Iterator[Row]:
    """Every response as a store row, oldest first, as `ResponseStore.add` would write it."""
    which = np.concatenate([np.full(len(survey.at), number) for number, survey in enumerate(drawn)])
    index = np.concatenate([np.arange(len(survey.at)) for survey in drawn])
    at = np.concatenate([survey.at for survey in drawn])
    order = np.argsort(at, kind="stable")
    times = np.char.replace(np.datetime_as_string(at[order], unit="us"), "T", " ")
    hexes = rng.bytes(
        16 * len(at)
    ).hex()  # ids like the collector's uuid4().hex: random, so the primary key fills out of order
    ids = [hexes[32 * k : 32 * k + 32] for k in range(len(at))]
    for position, (number, i) in enumerate(zip(which[order].tolist(), index[order].tolist(), strict=False)):
        survey = drawn[number]
        meta = encode_json({"location": LOCATIONS[survey.location[i]]})
        yield (
            ids[position],
            survey.survey_id,
            versions[survey.survey_id],
            str(times[position]),
            LANGUAGES[survey.lang[i]],
            meta,
            encode_json(survey.answers(i)),
        )


def fill_sqlite(database: str, drawn: list[Drawn], versions: dict[str, str], id_seed: int = 99) -> int:
    """Insert every drawn response into the store at `database` (its schema already created); how many."""
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("PRAGMA cache_size = -262144")
        connection.execute("BEGIN")
        stream = rows(drawn, versions, np.random.default_rng([SEED, id_seed]))
        count = 0
        while batch := [row for _, row in zip(range(BATCH), stream, strict=False)]:
            connection.executemany(
                (
                    "INSERT INTO responses (id, survey_id, survey_version, submitted_at, lang, meta, answers) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?)"
                ),
                batch,
            )
            count += len(batch)
        connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return count


def added(size: int, round_number: int) -> list[Drawn]:
    """`size` more after-visit responses, drawn with their own seed and moved into day `round_number` after
    LAST_DAY (keeping their order and spread): a day's collecting since the last build, after the rounds before."""
    drawn = SURVEYS["after-visit"](np.random.default_rng([SEED, 1000 + round_number]), size)
    start, span = FIRST_DAY.astype("datetime64[us]"), (LAST_DAY + 1 - FIRST_DAY).astype("timedelta64[us]")
    fraction = (drawn.at - start).astype(np.float64) / span.astype(np.float64)
    day = (LAST_DAY + round_number).astype("datetime64[us]")
    moved = day + (fraction * np.timedelta64(86_399_999_999, "us").astype(np.float64)).astype("timedelta64[us]")
    return [dataclasses.replace(drawn, at=moved)]


def fill_postgres(url: str, drawn: list[Drawn], versions: dict[str, str], id_seed: int = 99) -> int:
    """`fill` for a store on PostgreSQL: the same rows, by COPY in one transaction (times are UTC text)."""
    count = 0
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
        columns = "id, survey_id, survey_version, submitted_at, lang, meta, answers"
        with cursor.copy(f"COPY responses ({columns}) FROM STDIN") as copy:  # type: ignore[arg-type]
            for row in rows(drawn, versions, np.random.default_rng([SEED, id_seed])):
                copy.write_row(row)
                count += 1
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE responses")
    return count


def describe(drawn: list[Drawn]) -> dict[str, int]:
    """How many responses each survey got."""
    return {survey.survey_id: len(survey.at) for survey in drawn}


def main() -> None:
    project, size, with_others = Path(sys.argv[1]), int(sys.argv[2]), "--after-visit-only" not in sys.argv[3:]
    round_number = int(sys.argv[sys.argv.index("--add") + 1]) if "--add" in sys.argv else None
    site = load_site(project)
    config = site.config.model
    ResponseStore.open(config.store, project).close()  # the schema, exactly as sitegen creates it
    location = database_url(config.store, project)
    on_postgres = location.get_backend_name() == "postgresql"
    database = location.set(drivername="postgresql").render_as_string(hide_password=False) if on_postgres else ""
    database = database or str(Path(location.database or ""))
    versions = {source.model.id: survey_version(source.model) for source in site.surveys}
    started = time.perf_counter()
    drawn = draw_all(size, with_others) if round_number is None else added(size, round_number)
    (fill_postgres if on_postgres else fill_sqlite)(
        database, drawn, versions, 99 if round_number is None else 2000 + round_number
    )
    seconds = time.perf_counter() - started
    summary = {
        "database": str(database),
        "timezone": config.timezone,
        "min_group_size": config.privacy.min_group_size,
        "rows": describe(drawn),
        "seconds": seconds,
    }
    json.dump(summary, sys.stdout)


if __name__ == "__main__":
    main()
