"""The processes a benchmark measures: the Stereos server it starts, process
trees, and their CPU time and memory, sampled on timers."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import psycopg

ROOT = Path(__file__).resolve().parent.parent
STEREOS = ROOT / ".venv" / "bin" / "stereos"
READY_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def server(url: str, port: int, workers: int, log: Path) -> Iterator[psutil.Process]:
    """`stereos start` on `port`, ready to serve; stopped on exit."""
    env = {**os.environ, "DATABASE_URL": url, "STEREOS_DATA_DIR": str(log.parent)}
    # The API alone: the rollup pipeline would compete for the same 2 cores
    # (in production it runs on its own machines).
    command = [
        str(STEREOS), "start", "--no-pipeline", "--port", str(port),
        "--workers", str(workers),
    ]  # fmt: skip
    with log.open("wb") as sink:
        proc = subprocess.Popen(command, env=env, stdout=sink, stderr=sink, cwd=ROOT)
    try:
        _wait_ready(port, proc)
        yield psutil.Process(proc.pid)
    finally:
        _stop(proc)


def _wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/ready")
            if conn.getresponse().status == 200:
                conn.close()
                return
        time.sleep(0.2)
    raise RuntimeError(f"the server was not ready within {READY_TIMEOUT_S:.0f} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    children = tree(psutil.Process(proc.pid))[1:]
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.kill()


def tree(root: psutil.Process) -> list[psutil.Process]:
    """A process and all its descendants (empty once it has gone)."""
    try:
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


@dataclass(slots=True)
class Memory:
    """Peak resident memory of a process tree, sampled on a timer."""

    root: psutil.Process
    peak_total: int = 0
    peak_by_pid: dict[int, tuple[str, int]] = field(default_factory=dict)
    samples: int = 0

    def sample(self) -> None:
        total = 0
        for proc in tree(self.root):
            with contextlib.suppress(psutil.Error):
                rss = proc.memory_info().rss
                total += rss
                name, peak = self.peak_by_pid.get(proc.pid, (_label(proc), 0))
                self.peak_by_pid[proc.pid] = (name, max(peak, rss))
        self.peak_total = max(self.peak_total, total)
        self.samples += 1


def _label(proc: psutil.Process) -> str:
    try:
        line = proc.cmdline()
    except psutil.Error:
        return "?"
    text = " ".join(line)
    if "resource_tracker" in text:
        return "resource tracker"
    if "multiprocessing" in text:
        return "worker"
    return "stereos start" if any("stereos" in part for part in line) else "other"


def every(
    period: float, stop: threading.Event, work: Callable[[], None]
) -> threading.Thread:
    """Call `work()` every `period` seconds on a thread until `stop` is set."""

    def loop() -> None:
        while not stop.is_set():
            work()
            stop.wait(period)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def cpu_seconds(procs: Sequence[psutil.Process]) -> float:
    total = 0.0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (not idle or waiting)."""
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


def postgres_tree(url: str) -> list[psutil.Process]:
    """The postmaster and its children, when PostgreSQL runs on this machine."""
    # TODO: a --database-url on another host gives no PostgreSQL CPU figure;
    # read pg_stat_activity / OS metrics there if remote runs matter.
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
        # Asked while this backend lives: it exits with the connection.
        try:
            postmaster = psutil.Process(row[0] if row else -1).parent()
        except psutil.Error:
            return []
    return tree(postmaster) if postmaster is not None else []
