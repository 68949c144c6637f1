"""The fields of the index: a Field (kind, weight, text, reason) and the FieldTable that holds each distinct one once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import text as tx


@dataclass(frozen=True)
class Field:
    kind: str
    weight: float
    text: str
    detail: str


class FieldTable:
    """Every distinct field of the index once; entities hold field ids, and each field is tokenised once.

    Most fields are shared by thousands of entities (a type's label, an ontology term and its
    ancestors, an arm's label as context), so entities refer to them by id.
    """

    def __init__(self) -> None:
        self.ids: dict[Field, int] = {}
        self.fields: list[Field] = []
        self.weight: list[float] = []
        self.dkey: list[int] = []          # id of (kind, normal form of the text); -1: nothing to index
        self._dkeys: dict[tuple[str, str], int] = {}

    def add(self, f: Field) -> int:
        fid = self.ids.get(f)
        if fid is None:
            fid = self.ids[f] = len(self.fields)
            self.fields.append(f)
            self.weight.append(f.weight)
            norm = tx.normal(f.text) if f.text and f.text.strip() else ""
            self.dkey.append(self._dkeys.setdefault((f.kind, norm), len(self._dkeys)) if norm else -1)
        return fid

    def add_all(self, fields: list[Field]) -> list[int]:
        return [self.add(f) for f in fields]

    def sort_rank(self) -> np.ndarray:
        """Each field's position in the order an entity lists its fields: weight down, then kind, then text."""
        order = sorted(range(len(self.fields)), key=lambda i: (-self.fields[i].weight, self.fields[i].kind, self.fields[i].text))
        rank = np.empty(len(order), dtype=np.int64)
        rank[np.array(order, dtype=np.int64)] = np.arange(len(order), dtype=np.int64)
        return rank
