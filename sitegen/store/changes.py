"""The store's change generation: how many changes other than inserts its responses have had.

Inserts need no record: they show in the row counts. A purge, an erasure,
a case entry completed later or rows set apart can leave the counts as
they were while the rows differ; each bumps the generation in its own
transaction, so whoever keeps a copy of the rows (`sitegen.answer_snapshots`)
knows to read them again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from sitegen.store.schema import store_changes


@dataclass(frozen=True)
class Changes:
    """Which store this is (drawn when it was made) and its generation now (0 while it has had inserts only)."""

    store_id: str
    generation: int


def note_change(connection: Connection) -> None:
    """Bump the generation, in the transaction that changes, deletes or moves stored responses."""
    row = store_changes.c
    connection.execute(update(store_changes).where(row.id == 1).values(generation=row.generation + 1))


def changes(connection: Connection) -> Changes:
    """The store's id and generation, as committed now."""
    store_id, count = connection.execute(
        select(store_changes.c.store_id, store_changes.c.generation).where(store_changes.c.id == 1)
    ).one()
    return Changes(str(store_id), int(count))
