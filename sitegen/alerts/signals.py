"""A build's new control-chart signals, from the scorecard.json documents it wrote, queued as alerts.

Only what scorecard.json publishes is read, so an anonymous survey's figures follow the scorecard's own rules (a
hidden or pending cell carries no signal). A signal is new when the latest complete period signals and the period
before it did not signal the same way: a run that goes on is told once. Each is keyed by scorecard, metric,
period, direction and rule, so building the same data again queues nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from typing import Any

from sitegen.render import INTRANET
from sitegen.site import Site
from sitegen.store.outbox import QueuedEvent


def new_signals(files: Mapping[str, bytes], now: dt.datetime) -> Iterator[QueuedEvent]:
    """An event per metric whose latest complete period brings a new signal, in scorecard and metric order."""
    for path in sorted(files):
        if path.startswith(f"{INTRANET}/scorecards/") and path.endswith("/scorecard.json"):
            yield from _scorecard_signals(json.loads(files[path]), now)


def _scorecard_signals(document: Mapping[str, Any], now: dt.datetime) -> Iterator[QueuedEvent]:
    latest = document["latest_complete"]
    for metric in document["metrics"]:
        periods = metric.get("periods", [])
        found = [index for index, cell in enumerate(periods) if cell["period"] == latest]
        if "control" not in metric or not found:
            continue
        cell = periods[found[0]]
        signal = cell.get("signal")
        before = (periods[found[0] - 1].get("signal") or {}) if found[0] > 0 else {}
        if not signal or cell.get("partial") or before.get("direction") == signal["direction"]:
            continue
        limits = cell.get("limits") or {}
        payload = {
            "scorecard": document["id"],
            "metric": metric["id"],
            "kind": metric["kind"],
            "period": latest,
            "direction": signal["direction"],
            "rule": signal["rule"],
            "value": cell.get("value"),
            "n": cell.get("n"),
            "centre": limits.get("centre"),
            "lower": limits.get("lower"),
            "upper": limits.get("upper"),
        }
        key = f"signal:{document['id']}:{metric['id']}:{latest}:{signal['direction']}:{signal['rule']}"
        yield QueuedEvent(key, "signal", document["id"], payload, now)


def queue_new_signals(site: Site, files: Mapping[str, bytes], now: dt.datetime | None = None) -> int:
    """Queue a build's new signals in the store's outbox, if any rule listens for signals; how many were new."""
    if not any(rule.on == "signal" for rule in site.config.model.alerts.rules):
        return 0
    events = list(new_signals(files, now or dt.datetime.now(dt.UTC)))
    if not events:
        return 0
    from sitegen.store import ResponseStore
    from sitegen.store.outbox import Outbox

    store = ResponseStore.open(site.config.model.store, site.files.root)
    try:
        return Outbox(store.engine).queue(events)
    finally:
        store.close()
