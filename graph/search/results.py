"""What a search returns (Result, Hit, Why) and the reasons a hit is given from the fields that hold the query's words."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from . import text as tx

KIND_ORDER = ["label", "synonym", "abbreviation", "ontology", "type", "definition", "attribute", "context", "text"]


@dataclass
class Why:
    kind: str     # label, synonym, abbreviation, ontology, definition, type, attribute, context, text, semantic, spelling, fuzzy
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


@dataclass
class Hit:
    rank: int
    iri: str
    label: str
    type: str
    score: float
    why: list[Why] = field(default_factory=list)
    lexical: float = 0.0
    semantic: float | None = None

    def as_json(self) -> dict:
        return {"rank": self.rank, "iri": self.iri, "label": self.label, "type": self.type, "score": round(self.score, 4),
                "lexical": round(self.lexical, 4), "semantic": None if self.semantic is None else round(self.semantic, 4),
                "why": [{"kind": w.kind, "detail": w.detail} for w in self.why]}


@dataclass
class Result:
    query: str
    mode: str                 # 'lexical' or 'blended'
    notes: list[str]
    hits: list[Hit]
    total: int                # entities with a score above zero (before the limit)

    def as_json(self) -> dict:
        return {"query": self.query, "mode": self.mode, "notes": self.notes, "total": self.total,
                "results": [h.as_json() for h in self.hits]}


def field_reasons(tokens: list[str], fields: list, alternatives: Callable[[str], list[tuple[str, float, str]]]) -> list[Why]:
    """The fields of an entity that hold the query words, strongest first (at most three).

    `alternatives` gives the indexed tokens a query word matches (QueryWords.alternatives).
    """
    want = list(dict.fromkeys(tokens))
    alt = {t: {a for a, _, _ in alternatives(t)} for t in want}
    how = {t: {a: h for a, _, h in alternatives(t)} for t in want}
    scored = []
    for kind, weight, text, detail in fields:
        ftoks = set(tx.content_terms(text))
        matched = [t for t in want if alt[t] & ftoks]
        if matched:
            share = len(matched) / len(want)
            scored.append((weight * share, kind, detail, matched, ftoks))
    scored.sort(key=lambda x: (-x[0], KIND_ORDER.index(x[1]) if x[1] in KIND_ORDER else 99))
    out, covered = [], set()
    for sc, kind, detail, matched, ftoks in scored:
        if set(matched) <= covered and out:
            continue
        extra = []
        for t in matched:
            hits = [a for a in alt[t] & ftoks]
            kinds = {how[t][a] for a in hits}
            if "exact" not in kinds and hits:
                k = "fuzzy" if "fuzzy" in kinds else ("stem" if "stem" in kinds else "prefix")
                extra.append(f"'{t}' ~ '{sorted(hits)[0]}' ({'typo' if k == 'fuzzy' else k})")
        out.append(Why(kind, detail + (f" [{'; '.join(extra)}]" if extra else "")))
        covered |= set(matched)
        if len(out) >= 3 or covered >= set(want):
            break
    return out
