"""Keep the incentive codes shown, mark them used at the till, and erase the answer a code belongs to.

The collector keeps a code's row in the transaction that stores its response
(`insert_codes`, called by `ResponseStore.add`), so a code shown is a code that
checks. Staff mark a code used once (`codes_used`, keyed by the code's lookup:
a second use finds the first). `erase` is a respondent's erasure request:
the answer and its case go, the code's row stays without its seal, so the
code still says what it said at the till and a second request hears it is done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from sitegen.incentive_codes import CodeKey, IssuedCode, canonical_code
from sitegen.store.cases import delete_case_of_response
from sitegen.store.changes import note_change
from sitegen.store.engine import WRITE, StoreError
from sitegen.store.schema import anonymous_responses, codes_used, incentive_codes, responses


class UnknownCode(StoreError):
    """No code shown on this site reads like this: mistyped, made up, or made with another secret."""


@dataclass(frozen=True)
class CodeState:
    """A code as the till sees it: whose (survey, location), and whether, when and by whom it was used."""

    survey_id: str
    location: str | None
    used_at: dt.datetime | None = None
    used_by: str | None = None

    @property
    def is_used(self) -> bool:
        return self.used_at is not None


@dataclass(frozen=True)
class Erasure:
    """What `erase` removed: the answer and its case, or nothing because an earlier request removed them."""

    survey_id: str
    was_erased_before: bool
    removed_case: bool = False


def insert_codes(connection: Connection, codes: Iterable[IssuedCode]) -> None:
    """Keep these codes' rows in the caller's transaction; a code kept already (a retried post) is left as it was."""
    rows = [
        {"lookup": code.lookup, "survey_id": code.survey_id, "location": code.location, "sealed": code.sealed}
        for code in codes
    ]
    if rows:
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        connection.execute(dialect.insert(incentive_codes).on_conflict_do_nothing(), rows)


class CodeStore:
    """The incentive codes of one store (`ResponseStore.codes`), on the store's engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def state(self, lookup: str) -> CodeState | None:
        """The code with this lookup, used or not; None if no such code was shown."""
        with self._engine.connect() as connection:
            return _state(connection, lookup)

    def mark_used(self, lookup: str, who: str, at: dt.datetime) -> tuple[CodeState, bool]:
        """Mark the code used by `who` at `at`: its state and True, or, used before, its first use and False.

        UnknownCode if no such code was shown. The primary key of `codes_used` decides between two tills at once.
        """
        with self._writing() as connection:
            if _state(connection, lookup) is None:
                raise UnknownCode("no such code")
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            statement = dialect.insert(codes_used).on_conflict_do_nothing().returning(codes_used.c.lookup)
            is_first = connection.scalar(statement, {"lookup": lookup, "used_at": at, "used_by": who}) is not None
            state = _state(connection, lookup)
        assert state is not None
        return state, is_first

    def erase(self, key: CodeKey, typed: str) -> Erasure:
        """Delete the response a code (as typed) belongs to and its case (with its steps), in one transaction.

        UnknownCode if the code was never shown here; a second request finds the seal gone and says so.
        """
        canonical = canonical_code(typed)
        if canonical is None:
            raise _unknown(typed)
        lookup = key.lookup(canonical)
        with self._writing() as connection:
            query = select(incentive_codes).where(incentive_codes.c.lookup == lookup).with_for_update()
            row = connection.execute(query).mappings().first()
            if row is None:
                raise _unknown(typed)
            if row["sealed"] is None:
                return Erasure(row["survey_id"], was_erased_before=True)
            stored_key = key.unsealed(canonical, row["sealed"])
            if stored_key is None:
                raise StoreError("the code's record does not open with this secret: was SITEGEN_SECRET changed?")
            connection.execute(delete(responses).where(responses.c.id == stored_key))
            connection.execute(delete(anonymous_responses).where(anonymous_responses.c.key == stored_key))
            note_change(connection)
            removed_case = delete_case_of_response(connection, stored_key)
            connection.execute(update(incentive_codes).where(incentive_codes.c.lookup == lookup).values(sealed=None))
        return Erasure(row["survey_id"], was_erased_before=False, removed_case=removed_case)

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        with self._engine.connect().execution_options(**WRITE) as connection, connection.begin():
            yield connection


def _unknown(typed: str) -> UnknownCode:
    return UnknownCode(f"'{typed}' is not a code this site showed (mistyped, or made with another SITEGEN_SECRET)")


def _state(connection: Connection, lookup: str) -> CodeState | None:
    query = (
        select(incentive_codes.c.survey_id, incentive_codes.c.location, codes_used.c.used_at, codes_used.c.used_by)
        .select_from(incentive_codes)
        .outerjoin(codes_used, codes_used.c.lookup == incentive_codes.c.lookup)
        .where(incentive_codes.c.lookup == lookup)
    )
    row = connection.execute(query).first()
    return None if row is None else CodeState(row.survey_id, row.location, row.used_at, row.used_by)
