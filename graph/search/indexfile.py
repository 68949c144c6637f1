"""The search index on disk: file names, format version, posting layout, and the error every reader raises."""

from __future__ import annotations

from pathlib import Path

import numpy as np

FORMAT_VERSION = 3
INDEX_FILE = "index.sqlite"
EMBEDDINGS_FILE = "embeddings.npy"
POSTING = np.dtype([("e", "<i4"), ("f", "<i2"), ("n", "<i2"), ("w", "<f4")])


class SearchError(ValueError):
    """A query or an index that cannot be used; the message says why and what to do."""


def index_path(folder: Path) -> Path:
    """The index database of a search folder."""
    return Path(folder) / INDEX_FILE
