"""Keep the alerts outbox: what is to be told (queued with what caused it), and how far each recipient has got.

An event is written in the transaction that made it happen (a case opening with its response, a build's new
control-chart signal), keyed so that the same event queued twice is kept once. Senders
(`sitegen.alerts.sender`) claim one delivery at a time by moving its next try ahead with a compare-and-set, so two
senders on one store never try the same recipient at once, and a delivery marked delivered is never tried again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from sitegen.store.engine import WRITE
from sitegen.store.schema import alert_deliveries, alert_events


@dataclass(frozen=True)
class QueuedEvent:
    """Something to tell: a case opened, a metric signalled; `payload` is what the message may say."""

    key: str
    event: str
    subject: str
    payload: Mapping[str, Any]
    created_at: dt.datetime


@dataclass(frozen=True)
class Delivery:
    """One event's progress to one recipient."""

    attempts: int
    next_at: dt.datetime
    delivered_at: dt.datetime | None
    given_up_at: dt.datetime | None
    last_error: str

    @property
    def is_done(self) -> bool:
        return self.delivered_at is not None or self.given_up_at is not None


def queue_events(connection: Connection, events: Iterable[QueuedEvent]) -> int:
    """Queue events in the caller's transaction; how many were new (an event queued before is left as it is)."""
    rows = [
        {
            "key": event.key,
            "event": event.event,
            "subject": event.subject,
            "payload": dict(event.payload),
            "created_at": event.created_at,
            "settled_at": None,
        }
        for event in events
    ]
    if not rows:
        return 0
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(alert_events).on_conflict_do_nothing(index_elements=[alert_events.c.key])
    return len(list(connection.scalars(statement.returning(alert_events.c.key), rows)))


class Outbox:
    """The outbox of one store, on the store's engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def queue(self, events: Iterable[QueuedEvent]) -> int:
        """Queue events in a transaction of their own (a build's signals); how many were new."""
        with self._engine.connect().execution_options(**WRITE) as connection, connection.begin():
            return queue_events(connection, events)

    def pending(self, limit: int = 200) -> list[QueuedEvent]:
        """Events some recipient may still wait for, oldest first."""
        query = (
            select(alert_events)
            .where(alert_events.c.settled_at.is_(None))
            .order_by(alert_events.c.created_at, alert_events.c.key)
            .limit(limit)
        )
        with self._engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [
            QueuedEvent(row["key"], row["event"], row["subject"], row["payload"], row["created_at"]) for row in rows
        ]

    def events(self) -> list[QueuedEvent]:
        """Every event kept, oldest first (`sitegen alerts list`)."""
        with self._engine.connect() as connection:
            rows = connection.execute(select(alert_events).order_by(alert_events.c.created_at, alert_events.c.key))
            return [
                QueuedEvent(row.key, row.event, row.subject, row.payload, row.created_at) for row in rows.mappings()
            ]

    def deliveries(self, event_key: str) -> dict[str, Delivery]:
        """Each recipient's progress with an event, by channel key."""
        query = select(alert_deliveries).where(alert_deliveries.c.event_key == event_key)
        with self._engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return {
            row["channel"]: Delivery(
                row["attempts"], row["next_at"], row["delivered_at"], row["given_up_at"], row["last_error"]
            )
            for row in rows
        }

    def claim(self, event_key: str, channel: str, now: dt.datetime, until: dt.datetime) -> int | None:
        """Take a due delivery for this sender until `until`: the attempts made so far, or None if not ours."""
        with self._engine.connect().execution_options(**WRITE) as connection, connection.begin():
            key = and_(alert_deliveries.c.event_key == event_key, alert_deliveries.c.channel == channel)
            row = connection.execute(select(alert_deliveries).where(key)).mappings().first()
            if row is None:
                dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
                first = {"event_key": event_key, "channel": channel, "attempts": 0, "next_at": until, "last_error": ""}
                statement = dialect.insert(alert_deliveries).values(first).on_conflict_do_nothing()
                return 0 if connection.scalar(statement.returning(alert_deliveries.c.channel)) is not None else None
            if row["delivered_at"] is not None or row["given_up_at"] is not None or row["next_at"] > now:
                return None
            taken = connection.execute(
                update(alert_deliveries).where(key, alert_deliveries.c.next_at == row["next_at"]).values(next_at=until)
            )
            return int(row["attempts"]) if taken.rowcount == 1 else None

    def delivered(self, event_key: str, channel: str, attempts: int, now: dt.datetime) -> None:
        """Mark a delivery done: it is never tried again."""
        self._record(event_key, channel, attempts=attempts, delivered_at=now, last_error="")

    def failed(
        self, event_key: str, channel: str, attempts: int, error: str, next_at: dt.datetime, give_up: bool
    ) -> None:
        """Record a failed try: tried again from `next_at`, or (`give_up`) never."""
        values: dict[str, Any] = {"attempts": attempts, "next_at": next_at, "last_error": error[:2000]}
        if give_up:
            values["given_up_at"] = next_at
        self._record(event_key, channel, **values)

    def settle(self, event_key: str, now: dt.datetime) -> None:
        """Mark an event as heard by everyone it is for: senders look at it no more."""
        with self._engine.connect().execution_options(**WRITE) as connection, connection.begin():
            connection.execute(update(alert_events).where(alert_events.c.key == event_key).values(settled_at=now))

    def _record(self, event_key: str, channel: str, **values: Any) -> None:
        key = and_(alert_deliveries.c.event_key == event_key, alert_deliveries.c.channel == channel)
        with self._engine.connect().execution_options(**WRITE) as connection, connection.begin():
            connection.execute(update(alert_deliveries).where(key).values(**values))
