"""Where the project's inputs live and where the store goes by default (in a checkout and when installed)."""

from __future__ import annotations

import os
from pathlib import Path

# The folder that holds ontology/, queries/, graph/ and loader/: the checkout's root in a source tree,
# site-packages/msckg/ in an installed wheel (pyproject's package-dir puts the same folders there).
ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology"
SHAPES = ONTOLOGY / "shapes"
QUERIES = ROOT / "queries"
QC = QUERIES / "qc"
ONTOLOGY_QC = QUERIES / "ontology-qc"
STORE_ENV = "MSCKG_STORE"
# A source checkout has its pyproject.toml and curated records beside the code; an installed wheel has neither.
CHECKOUT: Path | None = ROOT if (ROOT / "pyproject.toml").is_file() and (ROOT / "data").is_dir() else None
# Curated records: the checkout's data/, else ./data in the current directory (give --data to choose another).
DATA = CHECKOUT / "data" if CHECKOUT else Path("data")


CACHE_ENV = "MSCKG_CACHE_DIR"


def user_cache() -> Path | None:
    """The per-user cache of what every store would otherwise rebuild from the installed packages (the MONDO/CL/UBERON
    link vocabulary): $MSCKG_CACHE_DIR ('off' for none), else $XDG_CACHE_HOME/msckg, else ~/.cache/msckg."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return None if env == "off" else Path(env)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "msckg"


def default_store() -> Path:
    """The embedded store's folder: $MSCKG_STORE, else ./store (the checkout's, git-ignored, or the current directory's)."""
    env = os.environ.get(STORE_ENV)
    if env:
        return Path(env)
    return CHECKOUT / "store" if CHECKOUT else Path.cwd() / "store"


def record_files(data: Path = DATA) -> list[Path]:
    """Curated record files: shared entities first, then one file per source document.

    A folder that does not exist is an error naming it (an empty build would look like success).
    """
    data = Path(data)
    if not data.is_dir():
        from msckg.loader.errors import Problem, SourceError

        raise SourceError([Problem(str(data), 0, 0, "", "no folder of curated records here: give --data DIR "
                                   "(a folder with entities/ and records/, e.g. a copy of the project's data/)")])
    return sorted((data / "entities").glob("*.yaml")) + sorted((data / "records").glob("*.yaml"))
