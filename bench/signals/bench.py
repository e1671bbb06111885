"""The signals benchmark: false alarms and detection delays of the pairwise change flags and the control charts.

Usage (from anywhere; seeded, so every run prints the same figures):

    bench/signals/run                   # 1,000 series per case
    bench/signals/run --series 200      # a quicker look

Simulated monthly series of 24 periods, at the example site's after-visit
sample sizes (the answers to `recommend` per month in
data/sample-responses.jsonl) and at 150 answers every month:

- NPS series (promoters 45%, detractors 15%: NPS 30) and mean series (a
  1-7 likert, mean 4.95, as CES), each charted on the XmR chart (the chart
  issue 12 named) and on the x-bar chart (the one scorecards use), and share
  series (80%, as CSAT), charted on the p chart;
- stable: the same process all 24 periods; the share of series flagged at
  least once, by `pairwise.change_significance` (each period against
  the one before, as the scorecards do today) and by the control charts
  (default baseline: the first 12 periods). Goal: at most 25%;
- step: from period 13 the process is better by 2 sigma of a period's
  figure (at the mean sample size); the median number of periods until the
  first flag at or after period 13 (1 = flagged at period 13; never flagged
  in 12 periods counts as never, shown as "never" when it is the median).
  Goal: at most 3.

Prints a table of both methods, the share of stable series each control
rule trips, then PASS/MISS for each goal of the charts scorecards use.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pairwise import change_significance

from sitegen.metric_kinds import KINDS
from sitegen.metrics import Figure, moe_nps, moe_share, periods_between
from sitegen.metrics.control_charts import CHARTS, ChartPoint, Observation, control_chart

REPOSITORY = Path(__file__).resolve().parents[2]
SAMPLE = REPOSITORY / "data" / "sample-responses.jsonl"
PERIODS = 24
STEP_AT = 12
"""The step starts at the 13th period (index 12), after a baseline of 12 ordinary ones."""
STEP_SIGMAS = 2.0
PROMOTERS, DETRACTORS = 0.45, 0.15
SHARE = 0.80
LIKERT = np.array([0.03, 0.05, 0.10, 0.17, 0.25, 0.25, 0.15])
"""Answer shares of the points 1-7 of the simulated likert (mean 4.95)."""
POINTS = np.arange(1, 8)
SEED = 20261201
FALSE_ALARM_GOAL = 0.25
DELAY_GOAL = 3.0
MONTHS = periods_between("2025-01", "2026-12")


def example_sizes() -> NDArray[np.int64]:
    """The after-visit answers to `recommend` per month in the example's data, the first 24 months."""
    months: Counter[str] = Counter()
    with SAMPLE.open(encoding="utf-8") as lines:
        for line in lines:
            response = json.loads(line)
            if response["survey"] == "after-visit" and response["answers"].get("recommend") is not None:
                months[response["submitted_at"][:7]] += 1
    return np.array([months[month] for month in sorted(months)][:PERIODS], dtype=np.int64)


def _shifts(series: int, step: float) -> NDArray[np.float64]:
    """Per series and period, the change of the true figure: `step` from period 13, else 0."""
    shift = np.zeros((series, PERIODS))
    shift[:, STEP_AT:] = step
    return shift


def draw_nps(
    rng: np.random.Generator, sizes: NDArray[np.int64], step: float, series: int, drift: float = 0.0
) -> list[list[Figure]]:
    """NPS figures; a step of `step` points moves half from detractors to passives, half from passives to promoters.

    `drift` > 0 moves the true NPS of every period by a normal amount of that sd in points, as real months
    differ by more than their answers alone explain (a new barista, the weather).
    """
    wobble = rng.normal(0.0, drift, (series, PERIODS)) if drift else 0.0
    shift = (_shifts(series, step) + wobble) / 200
    n = np.broadcast_to(sizes, (series, PERIODS))
    promoters = rng.binomial(n, PROMOTERS + shift)
    detractors = rng.binomial(n - promoters, (DETRACTORS - shift) / (1 - PROMOTERS - shift))
    p, d = promoters / n, detractors / n
    value = 100 * (p - d)
    variance = 100 * 100 * (p + d) - value**2
    return [
        [
            Figure(value[s, t], int(n[s, t]), moe_nps(p[s, t], d[s, t], int(n[s, t])), {"variance": variance[s, t]})
            for t in range(PERIODS)
        ]
        for s in range(series)
    ]


def draw_share(rng: np.random.Generator, sizes: NDArray[np.int64], step: float, series: int) -> list[list[Figure]]:
    """Share figures (in percent) with a step of `step` points."""
    n = np.broadcast_to(sizes, (series, PERIODS))
    share = rng.binomial(n, SHARE + _shifts(series, step) / 100) / n
    return [
        [Figure(100 * share[s, t], int(n[s, t]), moe_share(share[s, t], int(n[s, t]))) for t in range(PERIODS)]
        for s in range(series)
    ]


def _tilted(step: float) -> NDArray[np.float64]:
    """The likert's shares tilted (p_k proportional to p_k e^(theta k)) so that its mean rises by `step`."""
    target = float(LIKERT @ POINTS) + step
    low, high = -5.0, 5.0
    for _ in range(60):
        theta = (low + high) / 2
        shares = LIKERT * np.exp(theta * POINTS)
        shares /= shares.sum()
        low, high = (theta, high) if shares @ POINTS < target else (low, theta)
    return shares


def draw_mean(rng: np.random.Generator, sizes: NDArray[np.int64], step: float, series: int) -> list[list[Figure]]:
    """Means of likert answers, with each period's sd and variance; from period 13 the shares are `_tilted`."""
    figures = []
    for _ in range(series):
        row = []
        for t in range(PERIODS):
            shares = LIKERT if t < STEP_AT or step == 0 else _tilted(step)
            counts = rng.multinomial(int(sizes[t]), shares)
            n = int(sizes[t])
            mean = float(counts @ POINTS / n)
            variance = float(counts @ (POINTS - mean) ** 2 / n)
            row.append(Figure(mean, n, None, {"sd": math.sqrt(variance * n / (n - 1)), "variance": variance}))
        figures.append(row)
    return figures


def nps_sigma(n: float) -> float:
    """The sd of one period's NPS, in points, at n answers."""
    return 100 * math.sqrt((PROMOTERS + DETRACTORS - (PROMOTERS - DETRACTORS) ** 2) / n)


def share_sigma(n: float) -> float:
    """The sd of one period's share, in points, at n answers."""
    return 100 * math.sqrt(SHARE * (1 - SHARE) / n)


def mean_sigma(n: float) -> float:
    """The sd of one period's likert mean at n answers."""
    mean = float(LIKERT @ POINTS)
    return math.sqrt(float(LIKERT @ (POINTS - mean) ** 2) / n)


DRAWS = {"nps": draw_nps, "share": draw_share, "mean": draw_mean}
SIGMAS = {"nps": nps_sigma, "share": share_sigma, "mean": mean_sigma}
CASES = (("nps", "xmr"), ("nps", "xbar"), ("share", "p"), ("mean", "xmr"), ("mean", "xbar"))
"""(metric kind, chart) pairs measured: the XmR rows are the chart issue 12 named for NPS and means."""


def pairwise_flags(figures: list[Figure], kind: str) -> list[bool]:
    """Per period, whether today's scorecard calls its change from the period before larger than chance."""
    return [False] + [
        bool(change_significance(now, before, kind).is_significant) for before, now in itertools.pairwise(figures)
    ]


def chart_points(figures: list[Figure], chart: str) -> tuple[ChartPoint, ...]:
    """The control chart of a series on the named chart."""
    observations = [
        Observation(month, f.value, f.n, f.extra.get("variance")) for month, f in zip(MONTHS, figures, strict=False)
    ]
    return control_chart(observations, CHARTS[chart])


def delay(flags: list[bool]) -> float:
    """Periods from the step to its first flag (1 = at the step's first period); inf when never flagged."""
    return next((float(t - STEP_AT + 1) for t in range(STEP_AT, PERIODS) if flags[t]), math.inf)


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    kind: str
    chart: str
    sizes: str
    pairwise_alarms: float
    chart_alarms: float
    pairwise_delay: float
    chart_delay: float
    pairwise_found: float
    chart_found: float
    rules: Counter[str]


def measure(kind: str, chart: str, label: str, sizes: NDArray[np.int64], series: int, rng: np.random.Generator) -> Row:
    """False alarms on stable series and delays on stepped ones, for both methods."""
    step = STEP_SIGMAS * SIGMAS[kind](float(np.mean(sizes)))
    stable = DRAWS[kind](rng, sizes, 0.0, series)
    stepped = DRAWS[kind](rng, sizes, step, series)
    rules: Counter[str] = Counter()
    pairwise_alarms = chart_alarms = 0
    for figures in stable:
        pairwise_alarms += any(pairwise_flags(figures, kind))
        fired = {point.signal.rule for point in chart_points(figures, chart) if point.signal}
        chart_alarms += bool(fired)
        rules.update(fired)
    pairwise_delays = [delay(pairwise_flags(figures, kind)) for figures in stepped]
    chart_delays = [delay([p.signal is not None for p in chart_points(figures, chart)]) for figures in stepped]
    return Row(
        kind,
        chart,
        label,
        pairwise_alarms / series,
        chart_alarms / series,
        float(np.median(pairwise_delays)),
        float(np.median(chart_delays)),
        float(np.mean(np.isfinite(pairwise_delays))),
        float(np.mean(np.isfinite(chart_delays))),
        Counter({rule: count / series for rule, count in rules.items()}),
    )


def _periods(value: float) -> str:
    return "never" if math.isinf(value) else f"{value:g}"


DRIFT_SIGMAS = 0.5
"""The drifting case: true NPS moves month to month by half a period's sampling sd (3.3 points at 150 answers)."""


def print_drift(series: int, rng: np.random.Generator) -> None:
    """What the x-bar chart pays for its precision: stable-but-drifting NPS series flagged, on both charts."""
    sizes = np.full(PERIODS, 150)
    drift = DRIFT_SIGMAS * nps_sigma(150.0)
    stable = draw_nps(rng, sizes, 0.0, series, drift)
    flagged = {
        chart: sum(any(point.signal for point in chart_points(figures, chart)) for figures in stable) / series
        for chart in ("xmr", "xbar")
    }
    print(f"\nNPS at 150/month whose true value drifts by sd {drift:.1f} points a month (no step; information only):")
    print(f"  flagged at least once: xmr {flagged['xmr']:.1%}, xbar {flagged['xbar']:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000, help="series per case (default 1000)")
    series = parser.parse_args().series
    rng = np.random.default_rng(SEED)
    example = example_sizes()
    sizes = {f"example ({example.min()}-{example.max()}/month)": example, "150/month": np.full(PERIODS, 150)}
    rows = [measure(kind, chart, label, n, series, rng) for kind, chart in CASES for label, n in sizes.items()]
    print(f"{series} series of {PERIODS} periods per case; step of {STEP_SIGMAS:g} sigma from period {STEP_AT + 1}\n")
    print(
        "| metric | chart | sample sizes | stable: flagged at least once, pairwise | control chart "
        "| step: median periods to flag, pairwise | control chart | step flagged within 12, pairwise | control chart |"
    )
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        alarms = f"{row.pairwise_alarms:.1%} | {row.chart_alarms:.1%}"
        delays = f"{_periods(row.pairwise_delay)} | {_periods(row.chart_delay)}"
        found = f"{row.pairwise_found:.1%} | {row.chart_found:.1%}"
        print(f"| {row.kind} | {row.chart} | {row.sizes} | {alarms} | {delays} | {found} |")
    print("\nStable series tripping each control rule at least once:")
    for row in rows:
        shares = ", ".join(f"{rule} {share:.1%}" for rule, share in sorted(row.rules.items()))
        print(f"  {row.kind} on {row.chart}, {row.sizes}: {shares}")
    print_drift(series, rng)
    print()
    for row in rows:
        if KINDS[row.kind].control_chart != row.chart:
            continue
        case = f"{row.kind} on {row.chart}, {row.sizes}"
        alarms = "PASS" if row.chart_alarms <= FALSE_ALARM_GOAL else "MISS"
        print(f"{alarms} {case}: stable series flagged {row.chart_alarms:.1%} (goal <= {FALSE_ALARM_GOAL:.0%})")
        speed = "PASS" if row.chart_delay <= DELAY_GOAL else "MISS"
        print(f"{speed} {case}: median periods to flag the step {_periods(row.chart_delay)} (goal <= {DELAY_GOAL:g})")


if __name__ == "__main__":
    main()
