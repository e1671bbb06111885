"""Posts without a response id: the collector's own rule for telling an answer sent again from a new one.

A page without JavaScript is static, so it cannot give each view its own
`rid`: a second click on Send, or Back from the thank-you page and Send
again, would store the same answers twice. A post without a rid is taken
for one sent again when an earlier one came from the same client network
(the rate limiter's keyed address key, which changes every day) within
`WINDOW_SECONDS`, with the same survey, language, hidden fields and every
answer the same: it is thanked like the first and not stored again.

The key is a digest kept in the process's memory only, never stored or
logged. Two people on one network (a café's Wi-Fi) who give exactly the same
answers within the window count once; for them the answers are the same
answer, and a stranger cannot use the rule to suppress anyone's different one.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from sitegen.answers import Submission

WINDOW_SECONDS = 600
"""How long after a post without a rid the same answers from the same network are taken as sent again."""
MAX_POSTS = 100_000
"""Posts remembered at most; past it the oldest is forgotten (a burst bigger than this may be stored twice)."""

Outcome = asyncio.Future[str | None]
"""The id the first post was stored under, or None if it could not be stored."""


def post_key(client_key: bytes, submission: Submission) -> bytes:
    """A digest of who sent what: the client's daily network key and everything the post says."""
    said = [submission.survey_id, submission.lang, submission.meta, submission.answers]
    text = json.dumps(said, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(client_key + text.encode("utf-8")).digest()


@dataclass
class RecentPosts:
    """The posts without a rid of the last `window_s` seconds, by key, each with the outcome of storing it."""

    clock: Callable[[], float]
    window_s: float = WINDOW_SECONDS
    max_posts: int = MAX_POSTS
    _posts: dict[bytes, tuple[float, Outcome]] = field(default_factory=dict)
    """Oldest first: a key is added once and never moved."""

    def claim(self, key: bytes) -> tuple[bool, Outcome]:
        """Whether this post is the first with `key` in the window (it must then `settle`), and its outcome.

        A later post awaits the first's outcome: None means the first was not stored, and it may claim again.
        """
        now = self.clock()
        while self._posts:
            oldest = next(iter(self._posts))
            if self._posts[oldest][0] > now - self.window_s:
                break
            del self._posts[oldest]
        earlier = self._posts.get(key)
        if earlier is not None:
            return False, earlier[1]
        outcome: Outcome = asyncio.get_running_loop().create_future()
        self._posts[key] = (now, outcome)
        if len(self._posts) > self.max_posts:
            del self._posts[next(iter(self._posts))]
        return True, outcome

    def settle(self, key: bytes, outcome: Outcome, response_id: str | None) -> None:
        """The first post's outcome: stored under `response_id`, or (None) not stored, so it is forgotten."""
        if response_id is None and self._posts.get(key, (0.0, None))[1] is outcome:
            del self._posts[key]
        if not outcome.done():
            outcome.set_result(response_id)
