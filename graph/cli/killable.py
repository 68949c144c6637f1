"""Run a query in a worker process that is killed at the deadline or at Ctrl-C (Oxigraph cannot be
interrupted from Python: a thread would keep computing, a process can be stopped at once)."""

from __future__ import annotations

import multiprocessing as mp
import pickle
import signal
from typing import Callable

from msckg.graph.store.base import StoreError

TIMEOUT_EXIT = 124  # as GNU timeout(1): the command ran out of time


class QueryTimeout(StoreError):
    """The query was still running at its deadline; its worker was killed."""


def _child(conn, fn: Callable, args: tuple) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it kills this process
    try:
        answer = ("ok", fn(*args))
    except BaseException as exc:  # handed to the parent, which raises it as if the call were its own
        try:
            pickle.loads(pickle.dumps(exc))
            answer = ("error", exc)
        except Exception:
            answer = ("error", StoreError(f"{type(exc).__name__}: {exc}"))
    try:
        conn.send(answer)
    except Exception as exc:  # an answer that cannot be pickled
        conn.send(("error", StoreError(f"the answer could not be passed back: {type(exc).__name__}: {exc}")))
    conn.close()


def run_killable(fn: Callable, *args, timeout: float):
    """`fn(*args)` in a forked worker; QueryTimeout after `timeout` seconds, KeyboardInterrupt at Ctrl-C,
    the worker killed in both cases. Its exceptions are raised here."""
    ctx = mp.get_context("fork")  # no re-import: the worker starts at once with what is loaded
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn, args), daemon=True, name="msckg-query")
    proc.start()
    child.close()
    try:
        if not parent.poll(timeout):
            raise QueryTimeout(f"the query ran past the {timeout:g} s limit (--timeout) and was stopped")
        try:
            kind, value = parent.recv()
        except EOFError:
            proc.join(timeout=5)
            raise StoreError(f"the query worker stopped unexpectedly (exit code {proc.exitcode}); "
                             "it may have run out of memory") from None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(timeout=5)
        parent.close()
    if kind == "error":
        raise value
    return value
