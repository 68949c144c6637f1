"""`make screenshots`: PNGs of the main pages for a reviewer, taken in Debian's Chromium from a server on the
seed graph (built into a temporary store), written to the folder given (default build/screenshots)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.serve.browser import available, chromium
from tests.serve.server import MsckgServer

PAGES = [
    ("01-home", "/", None),
    ("02-search-bleeding", "/search?q=bleeding&type=AdverseEventCount", None),
    ("03-adverse-event", "/entity?iri=https://w3id.org/msckg/id/pub/jiang-2024-agvhd/ae/gastrointestinal-bleeding-msc-g3to4", None),
    ("04-trial", "/entity?iri=https://w3id.org/msckg/id/trial/ChiCTR2000035740", None),
    ("05-queries", "/queries", None),
    ("06-controlled-comparisons", "/queries/controlled-comparisons", None),
    ("07-adverse-events-grade3", "/queries/adverse-events?min_grade=3", None),
    ("08-response-rates-plot", "/queries/response-rates", None),
    ("09-editor", "/editor", ".yasqe .CodeMirror"),
    ("10-suggestions", "/", "suggest"),
]


def main(out: Path) -> None:
    why = available()
    if why:
        sys.exit(f"error: {why}")
    out.mkdir(parents=True, exist_ok=True)
    from msckg.graph.build.run import build

    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        print("building the seed graph into a temporary store ...")
        build(store)
        server = MsckgServer(store)
        try:
            with chromium() as browser:
                page = browser.new_page(base_url=server.base, viewport={"width": 1366, "height": 900})
                for name, path, wait in PAGES:
                    page.goto(path)
                    if wait == "suggest":
                        page.locator(".big-search input[type=search]").type("cord blood", delay=40)
                        page.locator(".big-search ul.suggestions li a").first.wait_for(timeout=15000)
                    elif wait:
                        page.locator(wait).wait_for(timeout=20000)
                    if name == "09-editor":
                        page.locator(".yasqe_queryButton").click()
                        page.locator(".yasr .dataTable tbody tr").first.wait_for(timeout=20000)
                    target = out / f"{name}.png"
                    page.screenshot(path=str(target), full_page=name not in ("10-suggestions",))
                    print(f"wrote {target}")
        finally:
            server.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("build/screenshots"))
