"""Every HTTP request to a remote store goes through `exchange`: one deadline for the whole request, redirects
refused, a bounded retry only when the server says when (429/503 with Retry-After), answers capped in size, and
each fault a RemoteError subclass whose message is one clear line naming the endpoint."""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx

from msckg.loader.fetch.ctgov_api import _retry_after as retry_after_seconds

from .base import StoreError

MAX_ANSWER = 512 * 1024 * 1024  # bytes of one answer at most (to_memory reads a dataset 200 graphs per request)
ATTEMPTS = 3                    # a 429/503 with a Retry-After that fits in the time left is retried, this often in all
PARTIAL_STATES = ("S1TAT",)     # Virtuoso's X-SQL-State for an "anytime" answer cut off by its own limits


class RemoteError(StoreError):
    """A request to a remote endpoint that gave no usable answer; `status` is the HTTP status (None: none came).

    `body_sent` says whether the whole request body had gone out (False: the server never had the complete
    request, so it cannot have applied it; None: an answer came, or the request was not a streamed one)."""

    body_sent: bool | None = None

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class RemoteUnreachable(RemoteError):
    """No connection could be made (refused, unknown host, reset before an answer)."""


class RemoteTimeout(RemoteError):
    """No complete answer within the request's deadline (the whole request: connect, send, every byte, retries)."""


class RemoteRedirect(RemoteError):
    """The endpoint answered with a redirect; msckg does not follow it (`location` says where it pointed)."""

    def __init__(self, message: str, status: int, location: str):
        super().__init__(message, status)
        self.location = location


class RemoteAnswerError(RemoteError):
    """The endpoint answered with an HTTP error status (4xx, 5xx), or kept answering 429/503."""


class RemoteBadAnswer(RemoteError):
    """A success status with a body that is not what was asked for: cut off, too large, not the expected format."""


class RemoteIncomplete(RemoteBadAnswer):
    """The endpoint itself says its answer is partial (HTTP 206, Virtuoso's anytime state, a served row cap)."""


@dataclass
class Reply:
    """A complete answer: the URL (without its query string), status, media type (lower case, no parameters),
    headers and every byte of the body."""

    url: str
    status: int
    media_type: str
    headers: httpx.Headers
    body: bytes

    def text_start(self, limit: int = 200) -> str:
        """The body's first characters on one line (for messages quoting what the server said)."""
        return " ".join(self.body[:4 * limit].decode("utf-8", "replace").split())[:limit]


@functools.lru_cache(maxsize=1)
def _client() -> httpx.Client:
    """One connection pool for the process (thread-safe); redirects are never followed."""
    return httpx.Client(follow_redirects=False, headers={"User-Agent": "msckg (knowledge graph of cell-therapy trials)"})


Body = bytes | Callable[[], Iterable[bytes]] | None  # a callable gives a fresh streamed body for each attempt


class _Abandoned(Exception):
    """The caller gave up on the request (its deadline): the streamed body stops here."""


def _streamed(content: Callable[[], Iterable[bytes]], state: dict, stop: threading.Event):
    """The body's chunks as they are made (never joined), stopping when the caller gives up;
    state["sent"] becomes True once the last chunk has gone to the connection."""
    state["sent"] = False
    for chunk in content():
        if stop.is_set():
            raise _Abandoned
        yield chunk
    state["sent"] = True


def _transfer(method: str, url: str, content: Body, headers: dict, deadline: float, max_bytes: int,
              state: dict, stop: threading.Event) -> None:
    """One HTTP exchange, run in a helper thread; its outcome goes into `state` ("reply" or "error")."""
    try:
        left = max(0.001, deadline - time.monotonic())
        body = _streamed(content, state, stop) if callable(content) else content
        with _client().stream(method, url, content=body, headers=headers, timeout=httpx.Timeout(left)) as resp:
            state["status"], state["length"] = resp.status_code, resp.headers.get("content-length")
            buf = bytearray()
            for chunk in resp.iter_bytes():
                if stop.is_set():
                    return
                buf += chunk
                state["received"] = resp.num_bytes_downloaded
                if len(buf) > max_bytes:
                    state["error"] = ("too big", len(buf))
                    return
            media = resp.headers.get("content-type", "").split(";")[0].strip().lower()
            state["reply"] = Reply(url.split("?", 1)[0], resp.status_code, media, resp.headers, bytes(buf))
    except httpx.TimeoutException:
        state["error"] = ("timeout", None)
    except httpx.RemoteProtocolError as exc:
        state["error"] = ("cut off" if "status" in state else "protocol", exc)
    except (httpx.TransportError, httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        state["error"] = ("connect" if "status" not in state else "cut off", exc)
    except Exception as exc:  # noqa: BLE001 - reported in the caller's thread, typed
        state["error"] = ("other", exc)


def _once(method: str, url: str, content: Body, headers: dict, deadline: float, timeout: float,
          max_bytes: int, what: str) -> Reply:
    """One attempt, abandoned at the deadline whatever the server does (hang, a byte a second)."""
    state: dict = {}
    try:
        return _attempt(method, url, content, headers, deadline, timeout, max_bytes, what, state)
    except RemoteError as exc:
        exc.body_sent = state.get("sent")
        raise


def _attempt(method: str, url: str, content: Body, headers: dict, deadline: float, timeout: float,
             max_bytes: int, what: str, state: dict) -> Reply:
    stop = threading.Event()
    shown = url.split("?", 1)[0]  # messages name the endpoint, not the query text in a GET's URL
    worker = threading.Thread(target=_transfer, args=(method, url, content, headers, deadline, max_bytes, state, stop),
                              name="msckg-remote-request", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()))
    if worker.is_alive() or state.get("error", ("",))[0] == "timeout":
        stop.set()  # the helper thread ends at its next chunk, or at its own read timeout (the same deadline)
        got = state.get("received", 0)
        so_far = (f"{got:,} byte(s) of the answer had arrived" if got else
                  "its status had arrived but no byte of the answer" if "status" in state else "nothing had arrived")
        raise RemoteTimeout(f"remote endpoint {shown} gave no complete answer to {what} within the {timeout:g} s "
                            f"timeout ({so_far}); raise --timeout, or narrow the query")
    if "reply" in state:
        return state["reply"]
    kind, detail = state["error"]
    if kind == "too big":
        limit = f"{max_bytes / 1048576:g} MiB" if max_bytes >= 1048576 else f"{max_bytes:,} bytes"
        raise RemoteBadAnswer(f"remote endpoint {shown}: the answer to {what} passed {limit}, msckg's limit for one "
                              "answer; it was not read further (narrow the query)", state.get("status"))
    if kind == "cut off":
        got, length = state.get("received", 0), state.get("length")
        of = f"{got:,} of {int(length):,}" if (length or "").isdigit() else f"{got:,}"
        raise RemoteBadAnswer(f"remote endpoint {shown}: the answer to {what} was cut off ({of} bytes arrived before "
                              "the connection closed)", state.get("status"))
    if kind in ("connect", "protocol"):
        raise RemoteUnreachable(f"remote endpoint {shown} failed: cannot get an answer to {what} ({_reason(detail)})")
    raise RemoteError(f"remote endpoint {shown} failed on {what}: {type(detail).__name__}: {detail}")


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    m = re.search(r"\[Errno -?\d+\] (.*)", text)
    return m.group(1) if m else text


def _check_status(reply: Reply, ok: tuple[int, ...], what: str) -> Reply:
    url, status = reply.url, reply.status
    state = reply.headers.get("x-sql-state", "")
    if status == 206 or state in PARTIAL_STATES:
        why = reply.headers.get("x-sql-message") or f"HTTP {status} Partial Content"
        raise RemoteIncomplete(f"remote endpoint {url} says its answer to {what} is incomplete ({' '.join(why.split())[:160]}); "
                               "msckg shows no partial result: narrow the query, or raise the endpoint's limits", status)
    if 300 <= status < 400:
        location = reply.headers.get("location", "")
        target = str(httpx.URL(url).join(location)) if location else "nowhere"
        raise RemoteRedirect(f"remote endpoint {url} answered {status} redirecting to {target}; msckg does not follow "
                             "redirects (a POST would turn into a GET, and another server would answer): if that is "
                             "the endpoint, use its URL", status, target)
    if status in ok:
        return reply
    phrase = httpx.codes.get_reason_phrase(status)
    said = reply.text_start()
    raise RemoteAnswerError(f"remote endpoint {url} answered {status} {phrase} to {what}" + (f": {said}" if said else ""), status)


def exchange(method: str, url: str, *, timeout: float, what: str, content: Body = None,
             headers: dict | None = None, ok: tuple[int, ...] = (200,), max_bytes: int = MAX_ANSWER,
             sleep=time.sleep) -> Reply:
    """Send one request and return its complete answer, all within `timeout` seconds (retries included).

    `what` names the request in messages ("the query", "SPARQL Update"); `ok` are the statuses that count as an
    answer. `content` is the body: bytes, or a callable that returns an iterable of bytes, streamed as it is
    made (chunked) and called again for a retry. A 429 or 503 whose Retry-After fits in the time left is retried (ATTEMPTS in all); every other fault
    raises a RemoteError subclass: RemoteTimeout, RemoteUnreachable, RemoteRedirect, RemoteAnswerError,
    RemoteBadAnswer (cut off, too large) or RemoteIncomplete (the endpoint says the answer is partial).
    """
    deadline = time.monotonic() + timeout
    shown = url.split("?", 1)[0]
    for attempt in range(1, ATTEMPTS + 1):
        reply = _once(method, url, content, headers or {}, deadline, timeout, max_bytes, what)
        if reply.status not in (429, 503):
            break
        wait = retry_after_seconds(reply.headers.get("retry-after"))
        left = deadline - time.monotonic()
        phrase = httpx.codes.get_reason_phrase(reply.status)
        if wait is None:
            raise RemoteAnswerError(f"remote endpoint {shown} answered {reply.status} {phrase} to {what} "
                                    "(no Retry-After: try again later)", reply.status)
        if wait >= left:
            raise RemoteAnswerError(f"remote endpoint {shown} answered {reply.status} {phrase} to {what} and asks to "
                                    f"wait {wait:g} s, more than the {max(left, 0):.1f} s left of the {timeout:g} s "
                                    "timeout; try again later, or raise --timeout", reply.status)
        if attempt == ATTEMPTS:
            raise RemoteAnswerError(f"remote endpoint {shown} still answered {reply.status} {phrase} to {what} after "
                                    f"{ATTEMPTS} attempts; try again later", reply.status)
        sleep(wait)
    return _check_status(reply, ok, what)
