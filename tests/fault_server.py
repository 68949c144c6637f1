"""A SPARQL endpoint on 127.0.0.1 that misbehaves on purpose: it hangs, sends a byte a second, answers 429 with
Retry-After, 500, an HTML page with status 200, truncated JSON, the wrong content type, a redirect elsewhere...

`FaultServer.faults` is a list of fault names consumed one per POST (queries and updates); when it is empty
the server answers correctly. GET requests (msckg's first ASK, which tells Virtuoso apart) answer correctly
unless `get_fault` is set. Every request is recorded in `requests`.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
import urllib.parse

ROW_IRI = "urn:x:fault-server"
SELECT = {"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "uri", "value": ROW_IRI}}]}}


def select_body(iri: str = ROW_IRI, rows: int = 1) -> bytes:
    bindings = [{"s": {"type": "uri", "value": iri if rows == 1 else f"{iri}/{i}"}} for i in range(rows)]
    return json.dumps({"head": {"vars": ["s"]}, "results": {"bindings": bindings}}).encode()


class FaultServer:
    """A threaded HTTP server; `url` is its query URL (…/query). Stop it with close()."""

    def __init__(self, host: str = "127.0.0.1", row_iri: str = ROW_IRI):
        self.faults: list[str] = []
        self.get_fault: str | None = None
        self.requests: list[tuple[str, str, bytes]] = []
        self.redirect_to = ""
        self.retry_after = "1"
        self.row_iri = row_iri
        self.closing = threading.Event()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _body(self) -> bytes:
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def do_GET(self):
                owner.requests.append(("GET", self.path, b""))
                self._answer(owner.get_fault or "ok", self.path)

            def do_POST(self):
                body = self._body()
                owner.requests.append(("POST", self.path, body))
                self._answer(owner.faults.pop(0) if owner.faults else "ok", body.decode("utf-8", "replace"))

            do_PUT = do_POST

            def _send(self, status: int, media: str, body: bytes, **headers):
                self.send_response(status)
                self.send_header("Content-Type", media)
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers.items():
                    self.send_header(k.replace("_", "-"), v)
                self.end_headers()
                self.wfile.write(body)

            def _answer(self, fault: str, text: str):
                query = urllib.parse.unquote_plus(text)
                ok = (json.dumps({"head": {}, "boolean": True}).encode() if "ASK" in query and "SELECT" not in query
                      else select_body(owner.row_iri))
                if fault == "ok":
                    if "update=" in text:
                        return self._send(204, "text/plain", b"")
                    return self._send(200, "application/sparql-results+json", ok)
                if fault == "hang":
                    owner.closing.wait(120)
                    return
                if fault == "trickle":  # headers at once, then one byte a second, for two minutes
                    self.send_response(200)
                    self.send_header("Content-Type", "application/sparql-results+json")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    for byte in (b" " * 120 + ok)[:120]:
                        if owner.closing.wait(1.0):
                            return
                        try:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                        except OSError:
                            return
                    return
                if fault == "429":
                    return self._send(429, "text/plain", b"slow down", Retry_After=owner.retry_after)
                if fault == "503":
                    return self._send(503, "text/plain", b"busy", Retry_After=owner.retry_after)
                if fault == "500":
                    return self._send(500, "text/plain", b"Internal server error: the query engine ran out of memory")
                if fault == "html200":
                    return self._send(200, "text/html; charset=utf-8", b"<!DOCTYPE html><html><head><title>Sign in - "
                                      b"Example Portal</title></head><body><form>...</form></body></html>")
                if fault == "truncated":  # no Content-Length: the connection closes in the middle of the JSON
                    self.send_response(200)
                    self.send_header("Content-Type", "application/sparql-results+json")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(select_body(owner.row_iri, rows=50)[:700])
                    self.close_connection = True
                    return
                if fault == "short":  # Content-Length says more than is sent
                    body = select_body(owner.row_iri, rows=50)
                    self.send_response(200)
                    self.send_header("Content-Type", "application/sparql-results+json")
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(body[:700])
                    self.close_connection = True
                    return
                if fault == "xml":
                    return self._send(200, "application/sparql-results+xml", b'<?xml version="1.0"?><sparql xmlns='
                                      b'"http://www.w3.org/2005/sparql-results#"><head/><results/></sparql>')
                if fault == "text":  # the right JSON under the wrong media type
                    return self._send(200, "text/plain", ok)
                if fault == "notresults":
                    return self._send(200, "application/sparql-results+json", b'{"error": "no such dataset"}')
                if fault == "badcell":
                    return self._send(200, "application/sparql-results+json",
                                      b'{"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "uri", '
                                      b'"value": "urn:a"}}, {"s": {"value": 7}}]}}')
                if fault == "partial":  # Virtuoso's "anytime" answer: 206 with part of the rows
                    return self._send(206, "application/sparql-results+json", ok, X_SQL_State="S1TAT",
                                      X_SQL_Message="RC...: Returning incomplete results, query interrupted by result timeout.")
                if fault == "partial200":  # the same, with HTTPAnytimeStatus = 200
                    return self._send(200, "application/sparql-results+json", ok, X_SQL_State="S1TAT",
                                      X_SQL_Message="RC...: Returning incomplete results, query interrupted by result timeout.")
                if fault == "capped":  # an msckg serve endpoint's answer cut at its row cap
                    body = b'{"limits":{"rowCap":1,"rows":1,"truncated":true},' + ok[1:]
                    return self._send(200, "application/sparql-results+json", body)
                if fault in ("redirect", "redirect307"):
                    return self._send(302 if fault == "redirect" else 307, "text/plain", b"moved", Location=owner.redirect_to)
                raise AssertionError(f"unknown fault {fault}")

        self.server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://{host}:{self.port}"
        self.url = f"{self.base}/query"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def posts(self) -> list[bytes]:
        return [body for method, _, body in self.requests if method == "POST"]

    def close(self) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()
        time.sleep(0.05)
