"""The rule for posts without a rid: the same answers from the same network within the window are one response."""

from __future__ import annotations

from conftest import run

from sitegen.answers import Submission
from sitegen.collector.dedupe import WINDOW_SECONDS, RecentPosts, post_key

SUBMISSION = Submission("after-visit", "made-up-1", "en", {"location": "jelgava"}, {"recommend": 9}, False)


def test_the_key_changes_with_the_network_and_with_anything_the_post_says() -> None:
    key = post_key(b"network-a", SUBMISSION)
    assert (
        post_key(
            b"network-a", Submission("after-visit", "made-up-2", "en", {"location": "jelgava"}, {"recommend": 9}, False)
        )
        == key
    )
    assert post_key(b"network-b", SUBMISSION) != key
    others = [
        Submission("after-visit", "x", "lv", {"location": "jelgava"}, {"recommend": 9}, False),
        Submission("after-visit", "x", "en", {"location": "riga-mall"}, {"recommend": 9}, False),
        Submission("after-visit", "x", "en", {"location": "jelgava"}, {"recommend": 8}, False),
        Submission("other", "x", "en", {"location": "jelgava"}, {"recommend": 9}, False),
    ]
    assert len({post_key(b"network-a", other) for other in others} | {key}) == 5


def test_a_post_that_arrives_while_the_first_is_being_stored_waits_for_it_and_gets_its_id() -> None:
    async def scenario() -> tuple[bool, bool, str | None]:
        recent = RecentPosts(clock=lambda: 0.0)
        is_first, outcome = recent.claim(b"key")
        is_second_first, waiting = recent.claim(b"key")
        recent.settle(b"key", outcome, "made-up-1")
        return is_first, is_second_first, await waiting

    assert run(scenario()) == (True, False, "made-up-1")


def test_a_first_post_that_could_not_be_stored_is_forgotten_so_the_next_one_is_stored() -> None:
    async def scenario() -> tuple[str | None, bool]:
        recent = RecentPosts(clock=lambda: 0.0)
        _, outcome = recent.claim(b"key")
        _, waiting = recent.claim(b"key")
        recent.settle(b"key", outcome, None)
        return await waiting, recent.claim(b"key")[0]

    assert run(scenario()) == (None, True)


def test_a_post_is_remembered_for_the_window_only_and_the_oldest_go_past_the_cap() -> None:
    async def scenario() -> list[bool]:
        now = [0.0]
        recent = RecentPosts(clock=lambda: now[0], max_posts=2)
        _, outcome = recent.claim(b"a")
        recent.settle(b"a", outcome, "id-a")
        now[0] = WINDOW_SECONDS - 1
        within = recent.claim(b"a")[0]
        now[0] = WINDOW_SECONDS
        after = recent.claim(b"a")[0]
        recent.claim(b"b")
        recent.claim(b"c")  # three remembered: "a" (the oldest) goes
        return [within, after, recent.claim(b"a")[0], recent.claim(b"c")[0]]

    assert run(scenario()) == [False, True, True, False]
