"""The search index on disk: file names, format version, posting layout, and the error every reader raises.

A search folder holds `index.sqlite` (entities, their fields, the token table, classes, metadata and
the link vocabulary) and `postings.npy`: one row (entity, field, words in the field, field weight)
per token and field holding it, sorted by token then entity; the token table gives each token's
[start, stop) in it. The reader memory-maps the array, so a query reads only its tokens' rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

FORMAT_VERSION = 4
INDEX_FILE = "index.sqlite"
EMBEDDINGS_FILE = "embeddings.npy"
POSTINGS_FILE = "postings.npy"
POSTING = np.dtype([("e", "<i4"), ("f", "<i2"), ("n", "<i2"), ("w", "<f4")])


class SearchError(ValueError):
    """A query or an index that cannot be used; the message says why and what to do."""


def index_path(folder: Path) -> Path:
    """The index database of a search folder."""
    return Path(folder) / INDEX_FILE
