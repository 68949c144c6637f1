"""The derivations of the last builds, by what they read: a build whose analysis inputs did not change reuses them.

A derived graph depends only on the analysis request, the rows and class tree it reads from the graph, the
target's label, msckg's synthesis code and the versions of the libraries that do the arithmetic; the key is
the SHA-256 of all of these, and the graph is kept without its time stamp (stamped by each build). Reusing
one spares a build the pooling libraries' start-up (about a second) and the pooling itself (decision 0132).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from importlib.metadata import version
from pathlib import Path

from rdflib import Graph, URIRef

from .spec import AnalysisSpec

_CODE = Path(__file__).resolve().parent


def library_versions() -> str:
    """The versions of the libraries that do the arithmetic (recorded with every derived result)."""
    return "; ".join(f"{p} {version(p)}" for p in ("statsmodels", "PyMARE", "scipy", "numpy"))


def derivation_key(spec: AnalysisSpec, inputs) -> str:
    """The SHA-256 of everything the derived graph of `spec` on `inputs` (analysis.Inputs) depends on."""
    from msckg.loader import __version__

    h = hashlib.sha256(f"msckg {__version__}; {library_versions()}".encode())
    for f in sorted(_CODE.glob("*.py")):
        h.update(b"\0" + f.name.encode() + b"\0" + f.read_bytes())
    h.update(b"\0" + json.dumps(spec.as_dict(), sort_keys=True).encode())
    h.update(b"\0" + json.dumps([asdict(r) for r in inputs.rows], sort_keys=True, default=str).encode())
    h.update(b"\0" + json.dumps({k: sorted(v) for k, v in sorted(inputs.above.items())}).encode())
    h.update(b"\0" + inputs.target_label.encode())
    return h.hexdigest()


class DerivedCache:
    """A folder of derived graphs (`<key>.nt`); `reuse=False` writes without reading (a full build)."""

    def __init__(self, folder: Path, reuse: bool = True):
        self.folder = Path(folder)
        self.reuse = reuse
        self.used: set[str] = set()

    def get(self, key: str, iri: URIRef) -> Graph | None:
        self.used.add(key)
        path = self.folder / f"{key}.nt"
        if not self.reuse or not path.is_file():
            return None
        g = Graph(identifier=iri)
        try:
            g.parse(data=path.read_text(encoding="utf-8"), format="nt")
        except Exception:  # noqa: BLE001 - an unreadable entry is derived again
            return None
        return g

    def put(self, key: str, g: Graph) -> None:
        self.used.add(key)
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{key}.tmp"
        tmp.write_text(g.serialize(format="nt"), encoding="utf-8")
        tmp.replace(self.folder / f"{key}.nt")

    def prune(self) -> None:
        """Forget the derivations this build did not use."""
        for f in self.folder.glob("*.nt"):
            if f.stem not in self.used:
                f.unlink(missing_ok=True)
