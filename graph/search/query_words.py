"""A query's words: the query cleaned into its variants, and the indexed tokens each of its words matches.

Variants (rank.py's step 2): the query as typed; with its abbreviations spelt out (ITP -> immune
thrombocytopenia); with a phrase replaced by another name of the same ontology term (children ->
paediatric). Each word then matches indexed tokens exactly (1.0), as a prefix (0.9), by a shared
stem (0.85) or with a typo (0.8) (step 3).
"""

from __future__ import annotations

import bisect
import sqlite3
from dataclasses import dataclass

from . import text as tx
from .indexfile import SearchError
from .results import Why

PREFIX, STEM, FUZZY = 0.9, 0.85, 0.8
MAX_ALTERNATIVES = 40
MAX_VARIANTS = 8


@dataclass
class Variant:
    tokens: list[str]
    factor: float
    why: list[Why]


class QueryWords:
    """The index's vocabulary, learnt abbreviations and rings of names, read by a query's words."""

    def __init__(self, db: sqlite3.Connection, meta: dict):
        self.db = db
        self.abbrev = tx.Abbreviations.builtin().copy()
        for a, n, exact in meta.get("abbreviations_learnt", []):
            self.abbrev.add(a, n, exact)
        self._rings: dict[str, list[tuple[dict, str]]] = {}
        for ring in meta.get("rings", []):
            for k in ring["normals"]:
                self._rings.setdefault(k, []).append((ring, k))
        self._vocab: list[str] | None = None
        self._df: dict[str, int] = {}
        self._trigrams: dict[str, list[str]] | None = None
        self._alt_cache: dict[str, list[tuple[str, float, str]]] = {}

    # -- vocabulary ----------------------------------------------------------------------------
    def vocab(self) -> list[str]:
        if self._vocab is None:
            rows = self.db.execute("SELECT token, df FROM posting WHERE df > 0 ORDER BY token").fetchall()
            self._vocab = [r[0] for r in rows]
            self._df = {r[0]: r[1] for r in rows}
        return self._vocab

    def df(self, tok: str) -> int:
        self.vocab()
        return self._df.get(tok, 0)

    # -- a word's matches ----------------------------------------------------------------------
    def alternatives(self, tok: str) -> list[tuple[str, float, str]]:
        """Indexed tokens a query word matches: (token, factor, how)."""
        hit = self._alt_cache.get(tok)
        if hit is None:
            if len(self._alt_cache) > 5000:
                self._alt_cache.clear()
            hit = self._alt_cache[tok] = self._alternatives(tok)
        return hit

    def _alternatives(self, tok: str) -> list[tuple[str, float, str]]:
        vocab = self.vocab()
        out: list[tuple[str, float, str]] = []
        if tok in self._df:
            out.append((tok, 1.0, "exact"))
        if len(tok) >= 4 and tok.isalpha():
            i = bisect.bisect_left(vocab, tok)
            pref = []
            while i < len(vocab) and vocab[i].startswith(tok):
                if vocab[i] != tok:
                    pref.append(vocab[i])
                i += 1
                if len(pref) > 400:
                    break
            pref.sort(key=lambda t: -self._df.get(t, 0))
            out.extend((t, PREFIX, "prefix") for t in pref[:MAX_ALTERNATIVES])
        have = {t for t, _, _ in out}
        out.extend((v, STEM, "stem") for v in tx.stem_neighbours(tok, vocab) if v not in have)
        if tok not in self._df and tx.max_typos(tok):
            have = {t for t, _, _ in out}
            for v in self.fuzzy(tok):
                if v not in have:
                    out.append((v, FUZZY, "fuzzy"))
        return out[: MAX_ALTERNATIVES * 2]

    def fuzzy(self, tok: str) -> list[str]:
        """Indexed tokens within the allowed number of typos of `tok` (trigram filter, then edit distance)."""
        if self._trigrams is None:
            tri: dict[str, list[str]] = {}
            for v in self.vocab():
                if v.isalpha() and len(v) >= 3:
                    for g in tx.trigrams(v):
                        tri.setdefault(g, []).append(v)
            self._trigrams = tri
        k = tx.max_typos(tok)
        counts: dict[str, int] = {}
        for g in tx.trigrams(tok):
            for v in self._trigrams.get(g, ()):
                counts[v] = counts.get(v, 0) + 1
        need = max(1, len(tok) + 2 - 3 * k - 2)
        cands = [v for v, c in counts.items() if c >= need and abs(len(v) - len(tok)) <= k]
        hits = [(tx.edit_distance(tok, v, k), -self._df.get(v, 0), v) for v in cands]
        return [v for d, _, v in sorted(hits) if d <= k][:10]

    # -- the query's variants ------------------------------------------------------------------
    def parse(self, query: str) -> tuple[list[Variant], list[str], str]:
        """Variants of the query, notes for the user, and the cleaned query text."""
        if query is None or not isinstance(query, str):
            raise SearchError("the query must be text")
        notes: list[str] = []
        cleaned = tx.clean(query)
        if len(cleaned) > tx.MAX_QUERY_CHARS:
            notes.append(f"query cut to its first {tx.MAX_QUERY_CHARS} characters (it had {len(cleaned)})")
            cleaned = tx.clean(cleaned, tx.MAX_QUERY_CHARS)
        toks = tx.content_terms(cleaned)
        if not toks:
            raise SearchError("empty query: give at least one word, name, abbreviation or number"
                              + (" (punctuation and control characters alone match nothing)" if cleaned or query else ""))
        if len(toks) > tx.MAX_QUERY_TERMS:
            notes.append(f"only the first {tx.MAX_QUERY_TERMS} of {len(toks)} words are used")
            toks = toks[: tx.MAX_QUERY_TERMS]
        base_why = []
        for raw in tx.prepare(cleaned).split():
            for r in tx._TOKEN.findall(raw):
                c = tx.canon(r)
                if c != r and tx.stem(r) != c and r.isalpha():
                    base_why.append(Why("spelling", f"'{r}' read as '{c}'"))
        variants = [Variant(toks, 1.0, base_why)]
        for exp, used in self.abbrev.expand(cleaned):
            vt = tx.content_terms(exp)
            if vt and vt != toks:
                variants.append(Variant(vt[: tx.MAX_QUERY_TERMS], 0.97, base_why + [Why("abbreviation", ", ".join(f"{a} = {e}" for a, e in used))]))
        for v in list(variants):
            variants.extend(self._ring_variants(v))
        uniq, seen = [], set()
        for v in variants:
            k = tuple(v.tokens)
            if k not in seen:
                seen.add(k)
                uniq.append(v)
        return uniq[:MAX_VARIANTS], notes, cleaned

    def _ring_variants(self, v: Variant) -> list[Variant]:
        out = []
        toks = v.tokens
        for n in range(min(4, len(toks)), 0, -1):
            for i in range(0, len(toks) - n + 1):
                phrase = " ".join(toks[i:i + n])
                for ring, matched in self._rings.get(phrase, []):
                    for other in ring["normals"]:
                        if other == matched:
                            continue
                        new = toks[:i] + other.split() + toks[i + n:]
                        names = dict(zip(ring["normals"], ring["names"]))
                        out.append(Variant(new[: tx.MAX_QUERY_TERMS], v.factor * 0.95, v.why + [Why(
                            "synonym", f"'{names.get(matched, matched)}' is another name of {ring['term']} "
                                       f"'{ring['label']}' (also '{names.get(other, other)}')")]))
                if out:
                    return out[:6]
        return out
