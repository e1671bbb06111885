"""Peak resident memory of the running process, for the benchmark's child processes."""

from __future__ import annotations

from pathlib import Path


def peak_rss_mb(pid: int | None = None) -> float:
    """This process's (or process `pid`'s) peak resident memory (VmHWM), in MB.

    Not `ru_maxrss`: Linux carries that over from the parent through fork
    and exec, so a child would report the benchmark's own peak.
    """
    status = Path(f"/proc/{'self' if pid is None else pid}/status").read_text()
    kilobytes = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(kilobytes) / 1024
