"""A file worked on a chunk of bytes at a time by forked processes, their results handed back in file order.

`responses import` checks lines this way on every core: the process that
imports takes its share of the chunks and stores what all of them hand back.
Each forked process reads its own chunks of the file (nothing is sent in) and
hands back one picklable result per chunk. With n forked processes, chunk i
goes to process i mod (n + 1), the last of which is this one, and results are
taken in chunk order, so a process runs at most a chunk or two ahead (memory
stays flat) and the file's order is kept. This process working too, rather than
only storing, keeps one process per core: a machine shared per session (Linux's
autogroup) gives a process more no time, so a process more costs its overhead
and gains nothing once other sessions keep the cores busy. A line belongs to
the chunk its first byte is in.
"""

from __future__ import annotations

import multiprocessing
import signal
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TypeVar

from sitegen.errors import SitegenError

Result = TypeVar("Result")


class WorkerFailed(SitegenError):
    """A forked process died or failed before it handed back every chunk: what it did is lost, so is the work."""


@dataclass(frozen=True)
class _Failure:
    """What a forked process sends instead of a result when its work raised."""

    trace: str


def in_forked_chunks(
    path: Path, work: Callable[[int, int], Result], workers: int, chunk_bytes: int
) -> Iterator[Result]:
    """`work(start, end)` for each chunk [start, end) of `path`'s bytes, run in `workers` forked processes and this
    one, in chunk order. Raises WorkerFailed when a forked process dies or its work raises (as work raises here);
    the forked processes are then stopped.

    `work` runs in a fork of this process, so it may be a closure over anything this process holds (nothing of it
    is pickled); it must not use this process's database connections. Its result is pickled back.
    """
    size = path.stat().st_size
    starts = range(0, size, chunk_bytes)
    context = multiprocessing.get_context("fork")
    processes: list[multiprocessing.context.ForkProcess] = []
    receiving: list[Connection] = []
    try:
        for index in range(min(workers, len(starts))):
            taken, sending = context.Pipe(duplex=False)
            process = context.Process(
                target=_work_on, args=(sending, work, starts[index :: workers + 1], chunk_bytes), daemon=True
            )
            _start_deaf_to_ctrl_c(process)
            sending.close()  # the child holds the only sending end: its death is the end of the pipe
            processes.append(process)
            receiving.append(taken)
        for index, start in enumerate(starts):
            worker = index % (workers + 1)
            if worker >= len(receiving):  # this process's share
                yield work(start, start + chunk_bytes)
                continue
            try:
                result = receiving[worker].recv()
            except (EOFError, OSError):
                processes[worker].join()
                raise WorkerFailed(
                    f"{path}: a checking process ended (exit code {processes[worker].exitcode}) before it handed "
                    "back its lines; nothing was imported"
                ) from None
            if isinstance(result, _Failure):
                raise WorkerFailed(f"{path}: a checking process failed; nothing was imported\n{result.trace}")
            yield result
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
        for taken in receiving:
            taken.close()


def _start_deaf_to_ctrl_c(process: multiprocessing.context.ForkProcess) -> None:
    """Fork with Ctrl-C blocked, so that the fork ignores it (`_work_on`) before one can arrive.

    Ctrl-C reaches the whole process group: each fork would print its own KeyboardInterrupt traceback. The
    process that forked them handles it (the command says "Aborted!") and stops them in `in_forked_chunks`.
    """
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        process.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _work_on(sending: Connection, work: Callable[[int, int], Result], starts: range, chunk_bytes: int) -> None:
    """The forked process: each of its chunks' result sent back, or the failure that stopped it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C that came while it was blocked is dropped with it
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    try:
        for start in starts:
            sending.send(work(start, start + chunk_bytes))
    except Exception:
        sending.send(_Failure(traceback.format_exc()))
    finally:
        sending.close()


def chunk_lines(path: Path, start: int, end: int) -> Iterator[tuple[int, bytes]]:
    """(number within the chunk from 1, the line's bytes with its newline) of each line whose first byte is in
    [start, end); the line that began before `start` is the previous chunk's."""
    with path.open("rb") as lines:
        if start > 0:
            lines.seek(start - 1)
            lines.readline()  # up to the first line that starts at or after `start`
        position = lines.tell()
        number = 0
        while position < end:
            raw = lines.readline()
            if not raw:
                return
            number += 1
            position += len(raw)
            yield number, raw
