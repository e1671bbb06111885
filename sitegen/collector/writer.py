"""Group commit: submissions that arrive together are stored in one durable transaction.

Every acknowledged submission must survive a power cut, so each commit is
synced to disk. One writer thread takes whatever is waiting, stores it in one
transaction, and only then answers each waiting request: under load many
submissions share one fsync instead of queueing for one each.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from dataclasses import dataclass

from sitegen.store import ResponseStore, StoredResponse

MAX_BATCH = 256


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
        """Store one response; returns once it is committed (False: its id was already stored)."""
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
        try:
            stored = self.store.add([pending.response for pending in batch])
        except Exception as problem:
            for pending in batch:
                pending.loop.call_soon_threadsafe(_fail, pending.future, problem)
            return
        for pending, is_new in zip(batch, stored):
            pending.loop.call_soon_threadsafe(_succeed, pending.future, is_new)


def _succeed(future: asyncio.Future[bool], is_new: bool) -> None:
    if not future.done():
        future.set_result(is_new)


def _fail(future: asyncio.Future[bool], problem: Exception) -> None:
    if not future.done():
        future.set_exception(problem)
