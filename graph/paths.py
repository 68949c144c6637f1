"""Where the project's inputs live and where the store goes by default."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
ONTOLOGY = ROOT / "ontology"
SHAPES = ONTOLOGY / "shapes"
QUERIES = ROOT / "queries"
QC = QUERIES / "qc"
STORE_ENV = "MSCKG_STORE"


def default_store() -> Path:
    """The embedded store's folder: $MSCKG_STORE, else ./store in the project (git-ignored)."""
    return Path(os.environ.get(STORE_ENV) or ROOT / "store")


def record_files(data: Path = DATA) -> list[Path]:
    """Curated record files: shared entities first, then one file per source document."""
    return sorted((data / "entities").glob("*.yaml")) + sorted((data / "records").glob("*.yaml"))
