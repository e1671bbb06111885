"""A file worked on in forked processes a chunk at a time: every line once, results in order, a death is loud."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitegen.forked_chunks import WorkerFailed, chunk_lines, in_forked_chunks

LINES = st.lists(st.binary(max_size=12).map(lambda raw: raw.replace(b"\n", b"")), max_size=12)


@given(lines=LINES, has_last_newline=st.booleans(), chunk_bytes=st.integers(min_value=1, max_value=40))
def test_every_line_is_in_exactly_one_chunk_whatever_the_chunk_size(
    tmp_path_factory: pytest.TempPathFactory, lines: list[bytes], has_last_newline: bool, chunk_bytes: int
) -> None:
    content = b"\n".join(lines) + (b"\n" if has_last_newline and lines else b"")
    path = tmp_path_factory.mktemp("chunks") / "file.jsonl"
    path.write_bytes(content)
    chunks = [list(chunk_lines(path, start, start + chunk_bytes)) for start in range(0, len(content), chunk_bytes)]
    *ended, last = content.split(b"\n")  # only b"\n" ends a line (bytes.splitlines would end one at b"\r" too)
    assert [raw for chunk in chunks for _, raw in chunk] == [raw + b"\n" for raw in ended] + ([last] if last else [])
    assert all([number for number, _ in chunk] == list(range(1, len(chunk) + 1)) for chunk in chunks)


def started_at(start: int, end: int) -> tuple[int, int, int]:
    return os.getpid(), start, end


def test_results_come_back_in_chunk_order_and_this_process_takes_its_share(tmp_path: Path) -> None:
    path = tmp_path / "file.jsonl"
    path.write_bytes(b"x" * 1000)
    results = list(in_forked_chunks(path, started_at, workers=3, chunk_bytes=64))
    assert [(start, end) for _, start, end in results] == [(start, start + 64) for start in range(0, 1000, 64)]
    assert len({pid for pid, _, _ in results}) == 4
    assert [pid for pid, _, _ in results][3::4] == [os.getpid()] * 4  # chunks 3, 7, 11, 15
    assert multiprocessing.active_children() == []


def test_an_empty_file_has_no_chunks(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    assert list(in_forked_chunks(path, started_at, workers=2, chunk_bytes=64)) == []


TESTING_PROCESS = os.getpid()


def killed_at_the_fourth_chunk(start: int, end: int) -> int:
    """The start of a chunk; a forked process is killed at the fourth (the first of its second turn)."""
    if start >= 192 and os.getpid() != TESTING_PROCESS:
        os.kill(os.getpid(), signal.SIGKILL)
    return start


def test_a_process_that_is_killed_fails_the_whole_work_loudly(tmp_path: Path) -> None:
    path = tmp_path / "file.jsonl"
    path.write_bytes(b"x" * 1000)
    handed_back: list[int] = []
    with pytest.raises(WorkerFailed, match=r"a checking process ended \(exit code -9\)"):
        handed_back.extend(in_forked_chunks(path, killed_at_the_fourth_chunk, workers=2, chunk_bytes=64))
    assert handed_back == [0, 64, 128]
    assert multiprocessing.active_children() == []


def failing(start: int, end: int) -> int:
    raise ValueError(f"no chunk at {start} today")


def test_a_process_whose_work_raises_hands_back_what_went_wrong(tmp_path: Path) -> None:
    path = tmp_path / "file.jsonl"
    path.write_bytes(b"x" * 100)
    with pytest.raises(WorkerFailed, match=r"(?s)a checking process failed.*ValueError: no chunk at 0 today"):
        list(in_forked_chunks(path, failing, workers=1, chunk_bytes=64))


def test_a_reader_that_stops_early_stops_the_processes(tmp_path: Path) -> None:
    path = tmp_path / "file.jsonl"
    path.write_bytes(b"x" * 100_000)
    results = in_forked_chunks(path, started_at, workers=2, chunk_bytes=64)
    assert next(results)[1] == 0
    results.close()
    assert multiprocessing.active_children() == []


INTERRUPTED_IMPORT = """
import os, sys, time
from pathlib import Path
from sitegen.forked_chunks import in_forked_chunks

folder = Path(sys.argv[1])

def work(start, end):
    (folder / f"working-{os.getpid()}").touch()
    while True:  # until Ctrl-C stops it, or the process that forked it does
        time.sleep(0.01)

try:
    list(in_forked_chunks(folder / "file.jsonl", work, workers=2, chunk_bytes=8))
except KeyboardInterrupt:
    print("stopped", flush=True)
    sys.exit(130)
"""


def test_ctrl_c_stops_every_forked_process_without_a_traceback_from_each(tmp_path: Path) -> None:
    (tmp_path / "file.jsonl").write_bytes(b"x" * 64)
    run = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED_IMPORT, str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal gives a command
    )
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("working-*"))) < 2 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(list(tmp_path.glob("working-*"))) == 2, "both forks at work (this process waits for the first one's)"
    os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C sends: the whole group
    out, err = run.communicate(timeout=60)
    assert (run.returncode, out) == (130, b"stopped\n")
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err, err.decode()
