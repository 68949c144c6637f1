"""msckg: a knowledge graph of cell-therapy clinical trials (`msckg.graph`, `msckg.loader`; data in `msckg.ontology`, `msckg.queries`).

`msckg.open(store=...)` is the Python API (docs/python.md): ask saved questions, run SPARQL,
search and build from Python.

In the source tree the packages sit at the top level as the design card puts them (graph/,
loader/, ontology/, queries/ beside this folder); the wheel installs them under msckg/. The
package-dir mapping in pyproject.toml does that, and the two lines below let a source checkout
import `msckg.graph` even when the checkout itself is first on sys.path.
"""

from pathlib import Path as _Path

__version__ = "0.1.0"
__all__ = ["open", "KnowledgeGraph"]

_checkout = _Path(__file__).resolve().parent.parent
if not (_Path(__file__).resolve().parent / "graph").is_dir() and (_checkout / "graph" / "__init__.py").is_file():
    __path__.append(str(_checkout))  # noqa: F821  (a package's __path__)


def __getattr__(name):  # lazy: `import msckg` stays cheap; msckg.open loads the graph package on first use
    if name in ("open", "KnowledgeGraph"):
        from msckg.graph import api

        return getattr(api, name)
    raise AttributeError(f"module 'msckg' has no attribute {name!r}")
