"""No egress across the whole test session: a canary HTTP server on 127.0.0.1 that every proxy knob
points at, and an audit hook that sees every socket connection and host lookup of this process.

The session fails (an error at the teardown of its last test) if the canary received a request or
if anything tried to reach a host other than this machine. Local test servers (Oxigraph, the
serve helper's) are reached directly: NO_PROXY names the loopback addresses.
"""

from __future__ import annotations

import http.server
import ipaddress
import os
import sys
import threading

import pytest

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", ""}
PROXY_KNOBS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "FTP_PROXY", "http_proxy", "https_proxy", "all_proxy", "ftp_proxy")
OFFLINE_KNOBS = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


class Canary:
    """A local HTTP server that records every request it receives (any method, CONNECT too)."""

    def __init__(self):
        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _record(self):
                hits.append(f"{self.command} {self.path}")
                self.send_response(200)
                self.send_header("Content-Type", "application/ld+json")
                self.send_header("Content-Length", "15")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(b'{"@context": {}}'[:15])

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = do_CONNECT = _record

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _is_local(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host is None or str(host).lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


class Watch:
    """What left (or tried to leave) this process while the session ran."""

    def __init__(self):
        self.active = False
        self.outside: list[str] = []

    def audit(self, event: str, args) -> None:
        if not self.active:
            return
        if event == "socket.connect":
            addr = args[1]
            if isinstance(addr, tuple) and addr and not _is_local(addr[0]):
                self.outside.append(f"connect {addr[0]}:{addr[1] if len(addr) > 1 else ''}")
        elif event == "socket.getaddrinfo":
            if not _is_local(args[0]):
                self.outside.append(f"lookup {args[0]}")


WATCH = Watch()
sys.addaudithook(WATCH.audit)  # audit hooks cannot be removed; WATCH.active limits it to the session


@pytest.fixture(scope="session", autouse=True)
def egress_canary():
    """The session's canary; every proxy setting points at it while the tests run."""
    canary = Canary()
    saved = {k: os.environ.get(k) for k in (*PROXY_KNOBS, "NO_PROXY", "no_proxy", *OFFLINE_KNOBS)}
    for k in PROXY_KNOBS:
        os.environ[k] = canary.url
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"
    os.environ.update(OFFLINE_KNOBS)
    WATCH.active = True
    try:
        yield canary
    finally:
        WATCH.active = False
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        canary.close()
    problems = [f"canary request: {h}" for h in canary.hits] + WATCH.outside
    assert not problems, "egress during the test session:\n  " + "\n  ".join(problems[:50])
