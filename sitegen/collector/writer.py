"""Group commit: submissions that arrive together are stored in one durable transaction.

Every acknowledged submission must survive a power cut, so each commit is
synced to disk. One writer thread takes whatever is waiting, stores it in one
transaction, and only then answers each waiting request: under load many
submissions share one fsync instead of queueing for one each.

One response must not fail the others in its batch: what the store would
refuse is refused before it is queued (`storable_problems`), and if a batch
still fails, its responses are stored one by one, so that only the one at
fault fails (`ResponseRefused`) and the rest are kept; a store that fails on
its own (down, its disk full) fails each of them (`StoreUnavailable`).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from dataclasses import dataclass

from sitegen.store import ResponseStore, StoredResponse, is_refusal
from sitegen.store.limits import storable_problems

MAX_BATCH = 256
logger = logging.getLogger("sitegen.collector")


class ResponseRefused(Exception):
    """The store cannot keep this response as it was sent: the sender's fault (a 4xx), not the store's."""

    def __init__(self, response_id: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"response {response_id!r} cannot be stored: {'; '.join(problems)}")


class StoreUnavailable(Exception):
    """The store failed for reasons of its own; the response was not stored and may be sent again (a 503)."""


@dataclass
class _Pending:
    response: StoredResponse
    future: asyncio.Future[bool]
    loop: asyncio.AbstractEventLoop


class BatchWriter:
    """Stores responses from any number of concurrent requests through one thread."""

    def __init__(self, store: ResponseStore) -> None:
        self.store = store
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="sitegen-writer", daemon=True)
        self._thread.start()

    async def add(self, response: StoredResponse) -> bool:
        """Store one response; returns once it is committed (False: its id was already stored).

        Raises ResponseRefused (before queueing it) for a response the store would refuse, StoreUnavailable
        when the store fails.
        """
        problems = storable_problems(response)
        if problems:
            raise ResponseRefused(response.id, problems)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._queue.put(_Pending(response, future, loop))
        return await future

    def close(self) -> None:
        """Finish what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < MAX_BATCH:
                try:
                    pending = self._queue.get_nowait()
                except queue.Empty:
                    break
                if pending is None:
                    stop = True
                    break
                batch.append(pending)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[_Pending]) -> None:
        """Store the batch in one transaction; if that fails, each response in its own (only the guilty one fails)."""
        try:
            stored = self.store.add([pending.response for pending in batch])
        except Exception as error:
            if len(batch) > 1:
                for pending in batch:
                    self._commit([pending])
                return
            [pending] = batch
            pending.loop.call_soon_threadsafe(_fail, pending.future, _classified(pending.response, error))
            return
        for pending, is_new in zip(batch, stored, strict=True):
            pending.loop.call_soon_threadsafe(_succeed, pending.future, is_new)


def _succeed(future: asyncio.Future[bool], is_new: bool) -> None:
    if not future.done():
        future.set_result(is_new)


def _classified(response: StoredResponse, error: Exception) -> Exception:
    """The error a request hears: the response's own fault, or the store's (logged, for the operator)."""
    # A database's further lines may quote the row, answers and all: only the first is kept.
    reason = next(iter(str(error).splitlines()), type(error).__name__)
    if is_refusal(error):
        logger.warning("the store refused response %r: %s", response.id, reason)
        return ResponseRefused(response.id, [reason])
    logger.error("the store failed to keep response %r: %s: %s", response.id, type(error).__name__, reason)
    return StoreUnavailable(reason)


def _fail(future: asyncio.Future[bool], problem: Exception) -> None:
    if not future.done():
        future.set_exception(problem)
