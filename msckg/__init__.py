"""msckg: a knowledge graph of cell-therapy clinical trials (`msckg.graph`, `msckg.loader`; data in `msckg.ontology`, `msckg.queries`).

In the source tree the packages sit at the top level as the design card puts them (graph/,
loader/, ontology/, queries/ beside this folder); the wheel installs them under msckg/. The
package-dir mapping in pyproject.toml does that, and the two lines below let a source checkout
import `msckg.graph` even when the checkout itself is first on sys.path.
"""

from pathlib import Path as _Path

__version__ = "0.1.0"

_checkout = _Path(__file__).resolve().parent.parent
if not (_Path(__file__).resolve().parent / "graph").is_dir() and (_checkout / "graph" / "__init__.py").is_file():
    __path__.append(str(_checkout))  # noqa: F821  (a package's __path__)
