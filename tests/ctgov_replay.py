"""A local HTTP server on 127.0.0.1 that replays recorded ClinicalTrials.gov API pages, for the fetch tests.

A scenario is a list of rules: (params the request must carry, [responses]). The first rule whose params all
match answers, with its responses in turn (the last one repeats). A response is a dict: status, headers, body
(text) or page (a file in tests/fixtures/ctgov/replay/), and `cut` to send only that many bytes of a body whose
Content-Length promises all of it (a truncated download), `delay` to answer that many seconds late.
Every request is recorded.
"""

from __future__ import annotations

import http.server
import threading
import time
import urllib.parse
from pathlib import Path

PAGES = Path(__file__).resolve().parent / "fixtures" / "ctgov" / "replay"


class ReplayServer:
    def __init__(self, rules: list[tuple[dict[str, str], list[dict]]]):
        self.rules = [(match, list(responses)) for match, responses in rules]
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                url = urllib.parse.urlsplit(self.path)
                params = dict(urllib.parse.parse_qsl(url.query))
                server.requests.append((url.path, params))
                response = server._answer(url.path, params)
                if "delay" in response:
                    time.sleep(response["delay"])
                body = response.get("body")
                if body is None and "page" in response:
                    body = (PAGES / response["page"]).read_text(encoding="utf-8")
                data = (body or "").encode("utf-8")
                self.send_response(response.get("status", 200))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in response.get("headers", {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data[: response["cut"]] if "cut" in response else data)
                if "cut" in response:
                    self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/api/v2"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def _answer(self, path: str, params: dict[str, str]) -> dict:
        for match, responses in self.rules:
            if all(params.get(k) == v for k, v in match.items()):
                return responses.pop(0) if len(responses) > 1 else responses[0]
        return {"status": 404, "body": '{"message": "no recorded page for this request"}'}

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
