"""The variants of a text to link: brackets, the words after 'for', 'in'... and condition qualifiers left out, abbreviations spelt out, another name of a term."""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import text as tx
from .link_slots import CLAUSE_MARKERS, TAIL_WEIGHT


@dataclass
class TextVariant:
    tokens: list[tuple[str, float]]   # (canonical token, weight)
    factor: float
    notes: list[str]
    exact_ok: bool                     # an exact match on this variant is an exactMatch
    raw: str


class TextVariants:
    """Makes the variants of a text from the index's learnt abbreviations, condition qualifiers and rings of names."""

    def __init__(self, meta: dict):
        self.abbrev = tx.Abbreviations.builtin().copy()
        for a, n, exact in meta.get("abbreviations_learnt", []):
            self.abbrev.add(a, n, exact)
        self.qualifiers = [(q[0].split(), q[1], q[2]) for q in meta["link"].get("qualifiers", [])]
        self.rings: dict[str, list[tuple[dict, str]]] = {}
        for ring in meta.get("rings", []):
            for k in ring["normals"]:
                self.rings.setdefault(k, []).append((ring, k))

    def variants(self, text: str) -> list[TextVariant]:
        """The text and its variants, each with its factor and what was changed (at most 16)."""
        text = tx.clean(text, tx.MAX_QUERY_CHARS)
        out = [self._weighted(text, 1.0, [], True)]
        no_brackets = re.sub(r"\s*[\(\[][^\)\]]*[\)\]]", " ", text).strip()
        if no_brackets and no_brackets != text:
            dropped = "; ".join(m.strip() for m in re.findall(r"[\(\[][^\)\]]*[\)\]]", text))
            out.append(self._weighted(no_brackets, 1.0, [f"bracketed {dropped} left out"], True))
        for v in list(out):
            for exp, used in self.abbrev.expand(v.raw):
                out.append(self._weighted(exp, v.factor * 0.97, v.notes + [", ".join(f"{a} = {e}" for a, e in used)], v.exact_ok))
        for v in list(out):  # the head: what comes before 'after', 'for', 'in'... and outside brackets
            head = [(t, w) for t, w in v.tokens if w >= 1.0]
            if head and len(head) < len(v.tokens):
                out.append(TextVariant(head, v.factor * 0.97, v.notes + ["words after 'after', 'for', 'in', 'with'... left out"],
                                    False, " ".join(t for t, _ in head)))
        for v in list(out):
            q = self._strip_qualifiers(v)
            if q:
                out.append(q)
        for v in list(out):
            out.extend(self._ring_variants(v))
        uniq, seen = [], set()
        for v in out:
            k = tuple(t for t, _ in v.tokens)
            if k and k not in seen:
                seen.add(k)
                uniq.append(v)
        return uniq[:16]

    def _weighted(self, text: str, factor: float, notes: list[str], exact_ok: bool) -> TextVariant:
        toks: list[tuple[str, float]] = []
        depth = 0
        tail = False
        for piece in re.split(r"([\(\)\[\]])", text):
            if piece in ("(", "["):
                depth += 1
                continue
            if piece in (")", "]"):
                depth = max(0, depth - 1)
                continue
            for tok in tx.terms(piece):
                if tok in CLAUSE_MARKERS:
                    tail = tail or bool(toks)
                    continue
                if tok in tx.STOPWORDS:
                    continue
                toks.append((tok, TAIL_WEIGHT if (tail or depth) else 1.0))
        merged: dict[str, float] = {}
        for t, w in toks:
            merged[t] = max(merged.get(t, 0.0), w)
        if not merged:
            merged = {t: 1.0 for t in tx.terms(text)}
        return TextVariant(list(merged.items()), factor, notes, exact_ok, text)

    def _strip_qualifiers(self, v: TextVariant) -> TextVariant | None:
        toks = [t for t, _ in v.tokens]
        weights = dict(v.tokens)
        removed = []
        for q, curie, name in self.qualifiers:
            n = len(q)
            i = 0
            while i + n <= len(toks):
                if toks[i:i + n] == q and len(toks) > n:
                    del toks[i:i + n]
                    removed.append(f"'{name}' ({curie})")
                else:
                    i += 1
        if not removed or not toks:
            return None
        note = f"qualifier {', '.join(dict.fromkeys(removed))} left out (msckg keeps it on the condition)"
        return TextVariant([(t, weights[t]) for t in toks], v.factor * 0.98, v.notes + [note], False, " ".join(toks))

    def _ring_variants(self, v: TextVariant) -> list[TextVariant]:
        toks = [t for t, _ in v.tokens]
        weights = dict(v.tokens)
        out = []
        for n in range(min(4, len(toks)), 0, -1):
            for i in range(len(toks) - n + 1):
                phrase = " ".join(toks[i:i + n])
                for ring, matched in self.rings.get(phrase, []):
                    for other in ring["normals"]:
                        if other != matched:
                            new = toks[:i] + other.split() + toks[i + n:]
                            w = weights.get(toks[i], 1.0)
                            out.append(TextVariant([(t, weights.get(t, w)) for t in new], v.factor * 0.95,
                                                v.notes + [f"'{matched}' read as '{other}' (names of {ring['term']})"], v.exact_ok, " ".join(new)))
            if out:
                return out[:4]
        return out
