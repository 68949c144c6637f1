"""Answers for Python users: rows as dicts of plain values, IRIs that carry their label, optional pandas."""

from __future__ import annotations

from msckg.graph.query.output import plain, shorten
from msckg.graph.store.base import Rows


class Term(str):
    """An IRI in an answer: compares and prints as the IRI, and knows its `label` and `curie`.

    >>> t = Term("https://w3id.org/msckg/Phase1", "phase 1")
    >>> t == "https://w3id.org/msckg/Phase1", t.label, t.curie
    (True, 'phase 1', 'msckg:Phase1')
    """

    label: str | None

    def __new__(cls, iri: str, label: str | None = None):
        obj = super().__new__(cls, iri)
        obj.label = label
        return obj

    @property
    def iri(self) -> str:
        return str.__str__(self)

    @property
    def curie(self) -> str:
        """The IRI shortened with the declared prefixes (the IRI itself when no prefix fits)."""
        from rdflib import URIRef

        return shorten(URIRef(self.iri))

    def __repr__(self) -> str:
        return f"Term({self.curie!r}, label={self.label!r})"


class Answer(list):
    """The rows of a SELECT: a list of dicts (column -> value), numbers as numbers, IRIs as Term.

    `columns` keeps the query's column order; `raw` holds the rdflib terms; `to_pandas()` gives a
    DataFrame (pandas is optional: `pip install pandas`).
    """

    def __init__(self, rows: Rows, labels: dict[str, str] | None = None):
        labels = labels or {}
        self.columns: list[str] = list(rows.variables)
        self.raw = rows
        super().__init__(
            {c: _value(t, labels) for c, t in zip(self.columns, r)} for r in rows.rows
        )

    def to_pandas(self, labels: bool = True):
        """A pandas DataFrame; with `labels`, each IRI column `x` gets a column `x_label` beside it."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_pandas() needs pandas: pip install pandas (msckg works without it)") from None
        cols: dict[str, list] = {}
        for c in self.columns:
            values = [r[c] for r in self]
            cols[c] = [str(v) if isinstance(v, Term) else v for v in values]
            if labels and any(isinstance(v, Term) for v in values):
                cols[f"{c}_label"] = [v.label if isinstance(v, Term) else None for v in values]
        return pd.DataFrame(cols)

    def __repr__(self) -> str:
        return f"Answer({len(self)} row(s), columns={self.columns})"


def _value(term, labels: dict[str, str]):
    from rdflib import URIRef

    if isinstance(term, URIRef):
        return Term(str(term), labels.get(str(term)))
    return plain(term)
