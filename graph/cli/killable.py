"""Run a query in a worker process that is killed at the deadline, over the memory cap or at Ctrl-C (Oxigraph
cannot be interrupted from Python: a thread would keep computing, a process can be stopped at once)."""

from __future__ import annotations

import multiprocessing as mp
import pickle
import signal
import time
from typing import Callable

from msckg.graph.store.base import StoreError

TIMEOUT_EXIT = 124  # as GNU timeout(1): the query hit a limit (time or memory)
POLL = 0.05  # seconds between two looks at the worker's memory


class QueryTimeout(StoreError):
    """The query was still running at its deadline, or went over the memory cap; its worker was killed."""

    hint = "narrow the query (filters, LIMIT) or give a longer --timeout (0: no limit)"

    def __init__(self, message: str, reason: str = "a limit"):
        super().__init__(message)
        self.reason = reason  # which limit, as a phrase: "the 60 s --timeout"


class QueryTooLarge(QueryTimeout):
    """The query's worker went over the memory cap."""

    hint = "narrow the query (filters, LIMIT, no ORDER BY over many rows) or give a larger --memory-cap (0: no cap)"


def _child(conn, fn: Callable, args: tuple, streaming: bool) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it kills this process
    try:
        if streaming:  # the pieces of the answer go to the parent as they come (it may block: the pipe is full)
            answer = ("ok", fn(lambda *message: conn.send(("message", message)), *args))
        else:
            answer = ("ok", fn(*args))
    except BaseException as exc:  # handed to the parent, which raises it as if the call were its own
        try:
            pickle.loads(pickle.dumps(exc))
            answer = ("error", exc)
        except Exception:
            answer = ("error", StoreError(f"{type(exc).__name__}: {exc}"))
    try:
        try:
            conn.send(answer)
        except OSError:  # the parent is gone (it stopped reading): nothing to tell
            return
        except Exception as exc:  # an answer that cannot be pickled
            conn.send(("error", StoreError(f"the answer could not be passed back: {type(exc).__name__}: {exc}")))
    except OSError:
        pass
    finally:
        conn.close()


def _wait(proc, conn, timeout: float | None, end: float | None, memory_mib: float) -> None:
    """Return once the worker has sent something; QueryTimeout at the deadline `end`, QueryTooLarge over the cap."""
    from msckg.graph.serve.workers import resident_mib

    while True:
        left = None if end is None else end - time.monotonic()
        if left is not None and left <= 0:
            raise QueryTimeout(f"the query ran past the {timeout:g} s limit (--timeout) and was stopped", f"the {timeout:g} s --timeout")
        waits = [w for w in (left, POLL if memory_mib else None) if w is not None]
        if conn.poll(min(waits) if waits else None):  # None: until it answers
            if end is not None and time.monotonic() > end:  # noticed after the deadline: late, whatever it holds
                continue
            return
        if memory_mib and resident_mib(proc.pid) > memory_mib:
            raise QueryTooLarge(f"the query needed more than {memory_mib:,g} MiB of memory (--memory-cap) and was stopped",
                                f"the {memory_mib:,g} MiB --memory-cap")


def run_killable(fn: Callable, *args, timeout: float | None, memory_mib: float = 0,
                 on_message: Callable | None = None):
    """`fn(*args)` in a forked worker; QueryTimeout after `timeout` seconds (None: none), QueryTooLarge when
    the worker holds more than `memory_mib` MiB (0: no cap), KeyboardInterrupt at Ctrl-C, the worker killed
    in each case. Its exceptions are raised here.

    With `on_message`, the worker runs `fn(send, *args)` and each `send(*message)` reaches `on_message(*message)`
    here as it is sent (the answer streams through the pipe, which holds a few chunks: a worker ahead of its
    reader waits). Time spent in on_message (writing to a slow reader, such as a pager) does not count
    towards the timeout."""
    end = None if timeout is None else time.monotonic() + timeout  # the limit counts from before the worker starts
    ctx = mp.get_context("fork")  # no re-import: the worker starts at once with what is loaded
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn, args, on_message is not None), daemon=True, name="msckg-query")
    proc.start()
    child.close()
    try:
        while True:
            _wait(proc, parent, timeout, end, memory_mib)
            try:
                kind, value = parent.recv()
            except EOFError:
                proc.join(timeout=5)
                raise StoreError(f"the query worker stopped unexpectedly (exit code {proc.exitcode}); "
                                 "it may have run out of memory") from None
            if kind != "message":
                break
            started = time.monotonic()
            on_message(*value)
            if end is not None:
                end += time.monotonic() - started
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(timeout=5)
        parent.close()
    if kind == "error":
        raise value
    return value
