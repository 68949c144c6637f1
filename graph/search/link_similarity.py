"""The lexical similarity of a candidate name to a text variant of `link`, word by word (same word, typo, derivational relative)."""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

from . import text as tx
from .link_variants import TextVariant

STEM_MATCH, TYPO_MATCH = 0.8, 0.8


def similarity(v: TextVariant, name_toks: list[str], idf: Callable[[str], float]) -> tuple[float, bool]:
    """How well a candidate name matches a text variant, and whether it is exact (the scoring in link.py's docstring)."""
    if not name_toks:
        return 0.0, False
    text = v.tokens
    text_set = {t for t, _ in text}
    name_set = set(name_toks)
    if name_set == text_set:
        return 1.0, True
    nm = {}
    for n in name_set:
        m = 1.0 if n in text_set else 0.0
        if not m:
            for t in text_set:
                f = _match(n, t)
                if f > m:
                    m = f
        nm[n] = m
    if all(m >= 1.0 for m in nm.values()) and len(name_set) == len(text_set) and all(
            any(_match(n, t) >= 1.0 for n in name_set) for t in text_set):
        return 1.0, True
    idf_n = {n: idf(n) for n in name_set}
    cover = sum(idf_n[n] * nm[n] for n in name_set) / sum(idf_n.values())
    if cover <= 0:
        return 0.0, False
    tot = matched = 0.0
    for t, w in text:
        it = idf(t) * w
        tot += it
        best = 1.0 if t in name_set else max((_match(n, t) for n in name_set), default=0.0)
        if best and tx.shared_stem(t, min(name_set, key=lambda n: -_match(n, t))):
            best *= 0.5  # a derivational relative explains a word only half
        matched += it * best
    explained = matched / tot if tot else 0.0
    return (cover ** 1.5) * (0.4 + 0.6 * explained) * 0.9, False


@lru_cache(maxsize=500_000)
def _match(a: str, b: str) -> float:
    """How well two canonical words match: same 1.0, a typo or a derivational relative 0.8."""
    if a == b:
        return 1.0
    if a[:1] != b[:1] and a[1:2] != b[1:2]:
        return 0.0  # neither a typo (one or two edits) nor a relative can change both first letters
    if tx.shared_stem(a, b):
        return STEM_MATCH
    k = min(tx.max_typos(a), tx.max_typos(b))
    if k and abs(len(a) - len(b)) <= k and tx.edit_distance(a, b, k) <= k:
        return TYPO_MATCH
    return 0.0
