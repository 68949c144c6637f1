"""A pool of worker processes that run queries: each job has a deadline and a memory cap, and a worker still
busy at the deadline or over the cap is killed (neither engine can cancel a query from Python) and replaced,
so the pool recovers."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import signal
import time
from dataclasses import dataclass, field

from .settings import Settings

MEMORY_POLL = 0.05  # seconds between two looks at a busy worker's memory


def resident_mib(pid: int) -> float:
    """Resident memory of a process in MiB (Linux /proc; 0 where it cannot be read)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


class _OverMemory(Exception):
    """A busy worker went over the memory cap."""


class JobFailed(Exception):
    """A job that did not give an answer: the HTTP status and the message for the user."""

    def __init__(self, status: int, message: str, killed: bool = False):
        super().__init__(message)
        self.status, self.message, self.killed = status, message, killed


def _worker_main(conn, settings: Settings) -> None:
    """A worker: open the store, say ready, then answer jobs until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    from . import jobs

    try:
        backend = jobs.open_backend(settings)
    except Exception as exc:  # e.g. no store yet: every job answers the reason (and retries the opening)
        backend, why = None, str(exc)
    else:
        why = ""
    conn.send(("ready", os.getpid()))
    while True:
        try:
            kind, args = conn.recv()
        except (EOFError, OSError):
            return
        if backend is None:
            try:
                backend = jobs.open_backend(settings)
            except Exception:
                conn.send(("failed", 503, why or "the store cannot be opened"))
                continue
        conn.send(jobs.run(backend, kind, args))


@dataclass(eq=False)  # identity: each worker is itself
class _Worker:
    proc: mp.Process
    conn: object
    started: float = field(default_factory=time.monotonic)
    jobs: int = 0


class WorkerPool:
    """`size` worker processes; `run(kind, *args)` sends a job to an idle one and waits up to the deadline."""

    def __init__(self, settings: Settings, size: int | None = None, memory_cap: bool = True):
        self.settings = settings
        self.size = max(1, settings.workers if size is None else size)
        self.memory_cap = settings.memory_cap_mb if memory_cap else 0
        self._ctx = mp.get_context("spawn")  # a fresh interpreter: no threads or open store inherited
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._all: set[_Worker] = set()
        self.killed = 0
        self.killed_memory = 0
        self.restarted = 0
        self.completed = 0
        self._closing = False

    async def start(self, timeout: float = 120.0) -> None:
        """Start every worker and wait until each has opened the store."""
        waits = [self._spawn() for _ in range(self.size)]
        await asyncio.wait_for(asyncio.gather(*waits), timeout)

    async def _spawn(self) -> None:
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(target=_worker_main, args=(child, self.settings), daemon=True, name="msckg-query-worker")
        proc.start()
        child.close()
        w = _Worker(proc, parent)
        self._all.add(w)
        try:
            await self._readable(w, 120.0)
            msg = w.conn.recv()
        except (asyncio.TimeoutError, EOFError, OSError):
            self._discard(w)
            raise RuntimeError("a query worker did not start (see the server's log)") from None
        assert msg[0] == "ready"
        if not self._closing:
            self._idle.put_nowait(w)

    async def _readable(self, w: _Worker, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        fd = w.conn.fileno()
        loop.add_reader(fd, lambda: fut.done() or fut.set_result(None))
        try:
            await asyncio.wait_for(fut, timeout)
        finally:
            loop.remove_reader(fd)

    async def _answer(self, w: _Worker, end: float) -> None:
        """Wait until the worker has answered: asyncio.TimeoutError at `end`, _OverMemory when its resident
        memory passes the cap (looked at every MEMORY_POLL seconds)."""
        loop, cap = asyncio.get_running_loop(), self.memory_cap
        while True:
            left = end - loop.time()
            if left <= 0:
                raise asyncio.TimeoutError
            try:
                await self._readable(w, min(left, MEMORY_POLL) if cap else left)
                return
            except asyncio.TimeoutError:
                if cap and resident_mib(w.proc.pid) > cap:
                    raise _OverMemory from None

    def _discard(self, w: _Worker) -> None:
        self._all.discard(w)
        if w.proc.is_alive():
            w.proc.kill()
        w.proc.join(timeout=5)
        w.conn.close()

    def _replace(self, w: _Worker) -> None:
        """Kill a worker (busy past its deadline, or broken) and start another in its place."""
        self._discard(w)
        if not self._closing:
            self.restarted += 1
            asyncio.get_running_loop().create_task(self._spawn())

    async def run(self, kind: str, *args, deadline: float | None = None):
        """The job's answer; JobFailed(503) when the deadline passes (the worker is killed)."""
        deadline = self.settings.deadline if deadline is None else deadline
        loop = asyncio.get_running_loop()
        end = loop.time() + deadline
        try:
            w = await asyncio.wait_for(self._idle.get(), timeout=deadline)
        except asyncio.TimeoutError:
            raise JobFailed(503, f"every query worker stayed busy for {deadline:g} s (the deadline); try again shortly") from None
        try:
            w.conn.send((kind, args))
            w.jobs += 1
            await self._answer(w, max(loop.time() + 0.01, end))
            answer = w.conn.recv()
        except _OverMemory:
            self.killed_memory += 1
            self._replace(w)
            raise JobFailed(503, f"the query needed more than {self.memory_cap:,} MiB of memory (the server's cap) "
                                 "and was stopped; narrow it (filters, LIMIT, no ORDER BY over many rows) or ask the "
                                 "operator for a larger --memory-cap", killed=True) from None
        except asyncio.TimeoutError:
            self.killed += 1
            self._replace(w)
            raise JobFailed(503, f"the query ran past the {deadline:g} s deadline and was stopped; narrow it "
                                 "(filters, LIMIT) or ask the operator for a longer --deadline", killed=True) from None
        except asyncio.CancelledError:  # the client went away: stop its query too
            self._replace(w)
            raise
        except (EOFError, OSError, BrokenPipeError):
            self._replace(w)
            raise JobFailed(500, "the query worker stopped unexpectedly; it has been replaced") from None
        self.completed += 1
        if self.memory_cap and resident_mib(w.proc.pid) > self.memory_cap:  # it finished just over the cap: start afresh
            self._replace(w)
        else:
            self._idle.put_nowait(w)
        if answer[0] == "ok":
            return answer[1]
        raise JobFailed(answer[1], answer[2])

    def stats(self) -> dict:
        return {"workers": len(self._all), "idle": self._idle.qsize(), "completed": self.completed,
                "killed_at_deadline": self.killed, "killed_over_memory": self.killed_memory, "memory_cap_mib": self.memory_cap, "restarted": self.restarted, "deadline_seconds": self.settings.deadline}

    async def close(self) -> None:
        self._closing = True
        for w in list(self._all):
            try:
                w.conn.close()
            except OSError:
                pass
            if w.proc.is_alive():
                w.proc.terminate()
        for w in list(self._all):
            w.proc.join(timeout=3)
            if w.proc.is_alive():
                w.proc.kill()
        self._all.clear()
