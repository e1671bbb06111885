"""Invitations in the store, on SQLite and PostgreSQL: kept once, claimed once, reminded once a day, opted out."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import DateTime, select, text

from sitegen.invitations.tokens import InvitationKey, token_lookup
from sitegen.store import ResponseStore
from sitegen.store.invitations import BOUNCED, UNSUBSCRIBED, Claim, Invitation
from sitegen.store.schema import invitations

KEY = InvitationKey(b"a-test-secret-that-is-long-enough-for-hmac-0123")
JUNE = dt.date(2026, 6, 1)


def invitation(email: str, survey_id: str = "team-pulse", location: str = "riga-centre") -> Invitation:
    return Invitation(token_lookup(KEY.token(survey_id, email)), survey_id, email, "lv", {"location": location})


def sent(store: ResponseStore, *emails: str) -> list[Invitation]:
    rows = [invitation(email) for email in emails]
    store.invitations.record(rows)
    for row in rows:
        store.invitations.mark_sent(row.lookup, JUNE)
    return rows


def test_an_invitation_is_kept_once_however_often_the_list_is_sent(store: ResponseStore) -> None:
    assert store.invitations.record([invitation("a@example.com"), invitation("b@example.com")]) == 2
    assert store.invitations.record([invitation("a@example.com"), invitation("c@example.com")]) == 1
    assert [row.email for row in store.invitations.unsent("team-pulse")] == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
    ]


def test_a_token_is_claimed_once_and_only_for_its_own_survey(store: ResponseStore) -> None:
    [row] = sent(store, "a@example.com")
    assert store.invitations.claim(row.lookup, "other-survey", hides_order=True) is Claim.UNKNOWN
    assert store.invitations.claim(row.lookup, "team-pulse", hides_order=True) is Claim.CLAIMED
    assert store.invitations.claim(row.lookup, "team-pulse", hides_order=True) is Claim.USED
    store.invitations.release(row.lookup, "team-pulse", hides_order=True)
    assert store.invitations.claim(row.lookup, "team-pulse", hides_order=True) is Claim.CLAIMED
    assert store.invitations.claim(token_lookup("x" * 22), "team-pulse", hides_order=True) is Claim.UNKNOWN


def test_claims_at_once_of_one_anonymous_survey_each_claim_their_own(store: ResponseStore) -> None:
    rows = sent(store, *(f"p{number}@example.com" for number in range(8)))
    with ThreadPoolExecutor(max_workers=8) as pool:
        claims = list(pool.map(lambda row: store.invitations.claim(row.lookup, "team-pulse", hides_order=True), rows))
    assert claims == [Claim.CLAIMED] * 8
    assert store.invitations.to_remind("team-pulse", JUNE) == []


def test_reminders_go_to_the_unanswered_and_reachable_once_a_day(store: ResponseStore) -> None:
    answered, waiting, bounced, unsubscribed = sent(
        store, "a@example.com", "b@example.com", "c@example.com", "d@example.com"
    )
    store.invitations.claim(answered.lookup, "team-pulse", hides_order=False)
    store.invitations.opt_out(["C@example.com"], BOUNCED, JUNE)
    store.invitations.opt_out([unsubscribed.email], UNSUBSCRIBED, JUNE)
    assert [row.email for row in store.invitations.to_remind("team-pulse", JUNE)] == [waiting.email]
    store.invitations.mark_reminded(waiting.lookup, JUNE)
    assert store.invitations.to_remind("team-pulse", JUNE) == []
    assert [row.email for row in store.invitations.to_remind("team-pulse", JUNE + dt.timedelta(days=1))] == [
        waiting.email
    ]
    assert store.invitations.opted_out() == {bounced.email: BOUNCED, unsubscribed.email: UNSUBSCRIBED}
    assert store.invitations.opt_out([bounced.email], UNSUBSCRIBED, JUNE) == 0  # the first reason stays


def test_the_frame_counts_delivered_invitations_by_day_and_segment(store: ResponseStore) -> None:
    sent(store, "a@example.com", "b@example.com")
    store.invitations.record([invitation("c@example.com", location="jelgava")])  # never delivered: not invited
    frame = store.invitations.frame("team-pulse")
    assert list(frame["day"]) == [dt.datetime(2026, 6, 1)] * 2
    assert list(frame["location"]) == ["riga-centre", "riga-centre"]
    assert store.invitations.sent_count() == 2


def test_after_a_claim_no_row_of_the_survey_tells_which_was_claimed_on_postgresql(store: ResponseStore) -> None:
    rows = sent(store, *(f"p{number}@example.com" for number in range(6)))
    claimed = max(rows, key=lambda row: row.lookup)  # a row in the middle of nothing: the last in lookup order
    assert store.invitations.claim(claimed.lookup, "team-pulse", hides_order=True) is Claim.CLAIMED
    with store.engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            pragma = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = 'invitations'")).scalar()
            assert "WITHOUT ROWID" in str(pragma)
            return
        query = text("SELECT lookup, xmin::text AS xmin, ctid::text AS ctid FROM invitations ORDER BY ctid")
        physical = connection.execute(query).all()
    assert len({row.xmin for row in physical}) == 1
    assert [row.lookup for row in physical] == sorted(row.lookup for row in rows)


def test_the_answered_flag_and_the_days_are_all_an_invitation_keeps_of_time(store: ResponseStore) -> None:
    assert not any(
        isinstance(column.type, DateTime) or "Time" in type(column.type).__name__ for column in invitations.c
    )
    [row] = sent(store, "a@example.com")
    store.invitations.claim(row.lookup, "team-pulse", hides_order=True)
    with store.engine.connect() as connection:
        kept = connection.execute(select(invitations)).mappings().one()
    assert kept["answered"] is True and kept["sent_on"] == JUNE and kept["reminded_on"] is None


@pytest.mark.parametrize("token", ["", "short", "x" * 23, "bad/token-with-slash!!"])
def test_only_token_shaped_text_is_a_token(token: str) -> None:
    from sitegen.invitations.tokens import is_token_shaped

    assert not is_token_shaped(token)
    assert is_token_shaped(KEY.token("team-pulse", "a@example.com"))
