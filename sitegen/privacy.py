"""The privacy rule: which cells of one metric a scorecard may publish, and which responses each is made of.

A cell with answers but fewer than `privacy.min_group_size` (k) is
suppressed; a cell with none says "no answers". On an anonymous survey the
rule must also hold between builds, statelessly, so every published figure
is a union of *units* fixed when their period closes: a complete period's
published segment cells and the hidden rest of that period. Nothing of the
running period is published; a complete period is published when it has k
answers; "all periods" is the union of the published periods, and a
segment's all-periods cell the union of its cells that its own period's
breakdown published. Every unit has 0 or at least k answers, so no sum or
difference of published figures, in one build or across builds, isolates
fewer than k answers (README, "Privacy", states the rule and its limits).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import pandas as pd

from sitegen import metrics
from sitegen.metrics import Figure, Measure

Rule = Literal["exempt", "small_groups", "anonymous"]
"""`exempt`: published as computed; `small_groups`: cells under k hidden; `anonymous`: the whole rule above."""
UNKNOWN = "\0unknown"
"""A response's segment value when it has none: never published, but counted when closing gaps."""
SEPARATOR = "\x1e"


@dataclass(frozen=True)
class Cell:
    """One published (or suppressed) figure of a breakdown: a period, a segment value, or everything."""

    key: str
    value: float | None
    n: int
    moe: float | None = None
    extra: Mapping[str, float] = field(default_factory=dict)
    suppressed: bool = False
    partial: bool = False
    """The running period: shown and charted, never judged (no status, no change)."""
    low: float | None = None
    high: float | None = None
    """The 95% interval of `sitegen.intervals` for the kind, where it is defined."""
    pending: bool = False
    """The running period of an anonymous survey (or all of it so far): published when its period closes."""

    @classmethod
    def of(cls, key: str, figure: Figure) -> Cell:
        return cls(key, figure.value, figure.n, figure.moe, dict(figure.extra), low=figure.low, high=figure.high)

    def hidden(self) -> Cell:
        """The cell as the privacy rule publishes it: nothing but its key (and whether it is still running)."""
        return Cell(self.key, None, 0, None, {}, True, self.partial)

    def withheld(self) -> Cell:
        """The cell of a period still running on an anonymous survey: nothing but its key, until it closes."""
        return Cell(self.key, None, 0, partial=True, pending=True)

    @property
    def is_published(self) -> bool:
        return not self.suppressed and self.value is not None

    @property
    def has_no_answers(self) -> bool:
        """Nobody answered: not a secret, and not to be confused with a hidden cell."""
        return self.n == 0 and not self.suppressed and not self.pending

    @property
    def responses(self) -> int:
        """The answers behind the cell, which the rule counts: its n, unless n counts something else.

        A response rate's n is its receipts, and its `responses` extra the answers.
        """
        return int(self.extra.get("responses", self.n))


@dataclass(frozen=True)
class Publication:
    """A metric's cells as they may be published, with the latest complete period's breakdowns beside the others."""

    overall: Cell
    periods: list[Cell]
    segments: dict[str, list[Cell]]
    latest_period: str
    latest_segments: dict[str, list[Cell]]


def suppress(cells: Sequence[Cell], minimum: int, *, complementary: bool, unknown_n: int = 0) -> list[Cell]:
    """Hide cells with answers but under `minimum`; with `complementary`, also the fewest others that close the gap.

    The hidden set must never be worked out from the total: it needs at least
    two groups and at least `minimum` responses together. Responses outside
    every cell (`unknown_n`, e.g. without a location) count as hidden too. An
    empty cell hides nobody: it is neither hidden nor counted as company.
    """
    hidden = {index for index, cell in enumerate(cells) if 0 < cell.responses < minimum}
    if complementary:
        hidden_n = unknown_n + sum(cells[index].responses for index in hidden)
        hidden_groups = len(hidden) + (1 if unknown_n else 0)
        candidates = sorted(
            (cell.responses, index) for index, cell in enumerate(cells) if index not in hidden and cell.responses
        )
        while hidden_groups and (hidden_groups == 1 or hidden_n < minimum) and candidates:
            n, index = candidates.pop(0)
            hidden.add(index)
            hidden_n += n
            hidden_groups += 1
    return [cell.hidden() if index in hidden else cell for index, cell in enumerate(cells)]


@dataclass(frozen=True)
class _Segment:
    """One segment's values, a response per value (a list answer counts under each choice), with its tally."""

    values: pd.Series
    tally: pd.DataFrame
    period: pd.Series
    is_multiple: bool

    @classmethod
    def of(cls, frame: pd.DataFrame, tally: pd.DataFrame, name: str) -> _Segment:
        column = frame[name]
        is_multiple = bool(
            pd.api.types.is_object_dtype(column) and column.map(lambda value: isinstance(value, list)).any()
        )
        if is_multiple:
            column = column.explode()
            tally = tally.reindex(column.index)
        return cls(column, tally, frame["period"].reindex(column.index), is_multiple)

    def cells(self, measure: Measure, rows: pd.Series | None = None) -> tuple[list[Cell], int]:
        """Cells per value over `rows` (all by default), and how many of those responses had no value."""
        if rows is None:
            values, tally = self.values, self.tally
        else:
            values, tally = self.values[rows.to_numpy()], self.tally[rows.to_numpy()]
        unknown = Cell.of("", metrics.to_figure(metrics.summarise_by(measure, tally[values.isna().to_numpy()]).iloc[0]))
        return _cells(metrics.summarise_by(measure, tally, [values]), str(values.name)), unknown.responses

    def cells_by_period(self, measure: Measure, labels: Sequence[str]) -> dict[str, tuple[list[Cell], int]]:
        """`cells` over each period's rows, from two groupings for all of them: a group's figures are its rows'."""
        name = str(self.values.name)
        found: dict[str, tuple[list[Cell], int]] = {label: ([], 0) for label in labels}
        for row in _rows(metrics.summarise_by(measure, self.tally, [self.period, self.values])):
            if (label := str(row["period"])) in found:
                found[label][0].append(Cell.of(str(row[name]), metrics.to_figure(row, ["period", name])))
        missing = self.values.isna().to_numpy()
        for row in _rows(metrics.summarise_by(measure, self.tally[missing], [self.period[missing]])):
            if (label := str(row["period"])) in found:
                unknown = Cell.of("", metrics.to_figure(row, ["period"]))
                found[label] = (found[label][0], unknown.responses)
        return found


def _cells(table: pd.DataFrame, key: str) -> list[Cell]:
    return [Cell.of(str(row[key]), metrics.to_figure(row, [key])) for row in _rows(table)]


def _rows(table: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """The rows `iterrows` gives, each value as the row's common type (`table.values`, which `iterrows` reads), as
    dicts: a Series a row took longer than the figures themselves."""
    columns = list(table.columns)
    return (dict(zip(columns, values, strict=True)) for values in table.values)


def _unit_keys(frame: pd.DataFrame, segments: Sequence[str]) -> pd.Series:
    """Per response, all its segment values as one key (a list answer as its set of choices): the finest groups."""

    def key(value: object) -> str:
        if isinstance(value, list):
            return "\x1f".join(sorted(map(str, value))) if value else UNKNOWN
        return UNKNOWN if value is None or pd.isna(value) else str(value)  # type: ignore[call-overload]

    keys = pd.Series("", index=frame.index)
    for name in segments:
        keys = keys + SEPARATOR + frame[name].astype(object).map(key)
    return keys


def _with_keys(cells: Sequence[Cell], keys: Sequence[str]) -> list[Cell]:
    """`cells` in the order of `keys`, a key without a cell as "no answers"."""
    by_key = {cell.key: cell for cell in cells}
    return [by_key.get(key, Cell(key, None, 0)) for key in keys]


def publish(
    frame: pd.DataFrame,
    measure: Measure,
    tally: pd.DataFrame,
    *,
    periods: list[str],
    running: str,
    segments: Sequence[str],
    minimum: int,
    rule: Rule,
) -> Publication:
    """A metric's cells from its responses (`frame`, with `period`) under `rule`; `periods` ends with `running`."""
    latest = metrics.previous_period(running)
    by_period = {cell.key: cell for cell in _cells(metrics.summarise_by(measure, tally, [frame["period"]]), "period")}
    period_cells = [replace(by_period.get(label, Cell(label, None, 0)), partial=label == running) for label in periods]
    columns = {name: _Segment.of(frame, tally, name) for name in segments}
    if rule == "anonymous":
        return _publish_anonymous(frame, measure, tally, period_cells, columns, minimum, latest)
    overall = Cell.of("", metrics.to_figure(metrics.summarise_by(measure, tally).iloc[0]))
    whole = {name: segment.cells(measure)[0] for name, segment in columns.items()}
    latest_cells = {name: segment.cells(measure, segment.period == latest)[0] for name, segment in columns.items()}
    if rule == "small_groups":
        overall = suppress([overall], minimum, complementary=False)[0]
        period_cells = suppress(period_cells, minimum, complementary=False)
        whole = {name: suppress(cells, minimum, complementary=False) for name, cells in whole.items()}
        latest_cells = {name: suppress(cells, minimum, complementary=False) for name, cells in latest_cells.items()}
    keys = {name: [cell.key for cell in cells] for name, cells in whole.items()}
    latest_segments = {name: _with_keys(cells, keys[name]) for name, cells in latest_cells.items()}
    return Publication(overall, period_cells, whole, latest, latest_segments)


def _publish_anonymous(
    frame: pd.DataFrame,
    measure: Measure,
    tally: pd.DataFrame,
    period_cells: list[Cell],
    columns: Mapping[str, _Segment],
    minimum: int,
    latest: str,
) -> Publication:
    """The rule of an anonymous survey: complete periods only, each frozen into units when it closes."""
    periods = [
        cell.withheld() if cell.partial else suppress([cell], minimum, complementary=False)[0] for cell in period_cells
    ]
    complete = [cell.key for cell in periods if not cell.partial]
    published = {cell.key for cell in periods if cell.is_published}
    rows = frame["period"].isin(published).to_numpy()
    overall = Cell.of("", metrics.to_figure(metrics.summarise_by(measure, tally[rows]).iloc[0]))
    if not published and any(cell.suppressed for cell in periods):
        overall = overall.hidden()
    elif not published and any(cell.responses for cell in period_cells if cell.partial):
        overall = overall.withheld()
    breakdowns = _period_breakdowns(frame, measure, tally, columns, minimum, complete)
    segments, latest_segments = {}, {}
    for name, segment in columns.items():
        shown = breakdowns[name]
        keys = sorted({cell.key for cells in shown.values() for cell in cells})
        segments[name] = _union_of_published(measure, segment, shown, keys)
        latest_segments[name] = _with_keys(shown.get(latest, []), keys)
    return Publication(overall, periods, segments, latest, latest_segments)


def _union_of_published(
    measure: Measure, segment: _Segment, shown: Mapping[str, Sequence[Cell]], keys: Sequence[str]
) -> list[Cell]:
    """Per value, the responses of the cells its periods' own breakdowns published; hidden if none but answers."""
    published = {
        f"{label}{SEPARATOR}{cell.key}" for label, cells in shown.items() for cell in cells if cell.is_published
    }
    answered = {cell.key for cells in shown.values() for cell in cells if cell.responses or cell.suppressed}
    cell_keys = segment.period.astype(str) + SEPARATOR + segment.values.astype(str)
    union = {cell.key: cell for cell in segment.cells(measure, cell_keys.isin(published) & segment.values.notna())[0]}
    empty = {key: Cell(key, None, 0) for key in keys}
    return [
        union[key] if key in union and union[key].responses else empty[key].hidden() if key in answered else empty[key]
        for key in keys
    ]


def _period_breakdowns(
    frame: pd.DataFrame,
    measure: Measure,
    tally: pd.DataFrame,
    columns: Mapping[str, _Segment],
    minimum: int,
    complete: Sequence[str],
) -> dict[str, dict[str, list[Cell]]]:
    """Per segment and complete period, that period's breakdown as it may be published.

    One single-choice segment: complementary suppression. Several segments,
    or a multiple-choice one, overlap: the difference of two overlapping
    cells (Riga minus Riga's managers) could single someone out, so a
    period's breakdowns are published only when every group of responses
    sharing all their segment values has none or at least `minimum` answers,
    and are hidden together otherwise.
    """
    overlapping = len(columns) > 1 or any(segment.is_multiple for segment in columns.values())
    safe = set(complete)
    if overlapping:
        units = metrics.summarise_by(measure, tally, [frame["period"], _unit_keys(frame, list(columns))])
        answers = units["responses"] if "responses" in units else units["n"]
        small = units[(answers > 0) & (answers < minimum)]
        safe -= {str(label) for label in small["period"]}
    breakdowns: dict[str, dict[str, list[Cell]]] = {}
    for name, segment in columns.items():
        breakdowns[name] = {}
        for label, (cells, unknown) in segment.cells_by_period(measure, complete).items():
            if overlapping:
                hidden = [cell.hidden() if cell.responses else cell for cell in cells]
                breakdowns[name][label] = cells if label in safe else hidden
            else:
                breakdowns[name][label] = suppress(cells, minimum, complementary=True, unknown_n=unknown)
    return breakdowns
