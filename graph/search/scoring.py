"""Lexical scoring of a query's postings with numpy: each entity's best field, words spread over fields,
agreement, phrase bonus and prior (rank.py's steps 3-4), and the bound that prunes before scoring."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

CROSS_FIELD = 0.85
AGREEMENT = 0.15
COVERAGE_POWER = 2.5    # a field holding 2 of 3 query words scores (2/3)^2.5 of one holding all
PHRASE = 0.5            # x (1 + 0.5 x share of the query's word pairs the field holds in order)


@dataclass
class Kept:
    """The entities a search still scores, renumbered 0..len-1 once for all its variants."""

    ids: np.ndarray    # their entity ids, ascending
    remap: np.ndarray  # entity id -> position in ids, or -1

    @classmethod
    def of(cls, keep: np.ndarray) -> "Kept":
        ids = np.flatnonzero(keep)
        remap = np.full(len(keep), -1, dtype=np.int64)
        remap[ids] = np.arange(len(ids), dtype=np.int64)
        return cls(ids, remap)


@dataclass
class Gathered:
    """One variant's postings: (word number, alternative's factor, postings) per alternative, and its word pairs'."""

    tokens: list[str]
    idf: np.ndarray
    parts: list[tuple[int, float, np.ndarray]]
    n_pairs: int
    bigrams: list[np.ndarray]


# An entity's score for a variant is bounded from its postings alone. Let Ap = sum over the query
# words of idf x (the best weight x alternative factor x highest possible precision of its fields
# holding the word) / sum of idf, and cover = the idf share of the words it holds at all. A field's
# score is weight x coverage^2.5 x precision x phrase bonus <= Ap x cover^1.5 x (1 + PHRASE if the
# entity holds a word pair of the query); the words spread over fields give at most
# CROSS_FIELD / 0.8 x Ap x cover^1.5 (precision is at least 0.8); the agreement adds at most
# AGREEMENT x Ap x the phrase bonus. The ranker scores only entities whose bound reaches the score of
# the limit-th best of the most promising ones; the others cannot be among the results.
PRUNE_BELOW = 20000     # postings of a query under which every entity is scored (pruning would not pay)
DENSE_SHARE = 1.0       # a variant with postings for more than this share of all entities is bounded over arrays of all of them


def score_variant(g: Gathered, n_all: int, prior_all: np.ndarray, keep: np.ndarray | None = None,
                  kept: Kept | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Dense lexical scores over all entities and the index of each one's best field (-1: none).

    With `keep` (a mask over entities) only those entities are scored (the others get 0); an
    entity's score depends on its own postings only, so theirs are the same as without it. With
    `kept` (the same entities, renumbered once for several variants) the scores come back in
    `kept.ids` order, not spread over every entity.
    """
    tokens, idf = g.tokens, g.idf
    n, prior, remap = n_all, prior_all, None
    compressed = kept is not None  # the caller spreads the scores itself
    if keep is not None and kept is None:
        kept = Kept.of(keep)
    if kept is not None:  # entities renumbered 0..len(kept)-1, so every array is the size of the kept ones
        ids, remap = kept.ids, kept.remap
        n, prior = len(ids), prior_all[ids]
    parts_e, parts_f, parts_n, parts_w, parts_m, parts_i = [], [], [], [], [], []
    for i, factor, p in g.parts:
        e = None
        if remap is not None:
            loc = remap[p["e"]]
            held = loc >= 0
            p, e = p[held], loc[held]
            if not len(p):
                continue
        parts_e.append(p["e"].astype(np.int64) if e is None else e)
        parts_f.append(p["f"].astype(np.int64))
        parts_n.append(p["n"].astype(np.float64))
        parts_w.append(p["w"].astype(np.float64))
        parts_m.append(np.full(len(p), factor))
        parts_i.append(np.full(len(p), i, dtype=np.int64))
    if not parts_e:
        return np.zeros(n if compressed else n_all, dtype=np.float64), np.full(n if compressed else n_all, -1, dtype=np.int64)
    scores = np.zeros(n, dtype=np.float64)
    best_field = np.full(n, -1, dtype=np.int64)
    E = np.concatenate(parts_e)
    F = np.concatenate(parts_f)
    N = np.concatenate(parts_n)
    W = np.concatenate(parts_w)
    Mt = np.concatenate(parts_m)
    I = np.concatenate(parts_i)
    total = idf.sum()
    # one match per (entity, field, word): the best alternative
    key = (E << 26) | (F << 6) | I
    order = np.lexsort((-Mt, key))
    key, E, F, N, W, Mt, I = key[order], E[order], F[order], N[order], W[order], Mt[order], I[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    E, F, N, W, Mt, I = E[first], F[first], N[first], W[first], Mt[first], I[first]
    # field level
    kef = (E << 20) | F
    uef, inv = np.unique(kef, return_inverse=True)
    cov = np.bincount(inv, weights=idf[I] * Mt) / total
    cnt = np.bincount(inv).astype(np.float64)
    fw = np.zeros(len(uef))
    fn = np.zeros(len(uef))
    fw[inv] = W
    fn[inv] = N
    precision = 0.8 + 0.2 * np.minimum(1.0, cnt / np.maximum(fn, 1.0))
    fscore = fw * np.power(cov, COVERAGE_POWER) * precision
    flin = fw * cov * precision  # for agreement: another field holding some of the words counts linearly
    if g.n_pairs:
        bk = []
        for p in g.bigrams:
            e = p["e"].astype(np.int64)
            if remap is not None:
                loc = remap[e]
                held = loc >= 0
                p, e = p[held], loc[held]
            if len(p):
                bk.append(((e << 20) | p["f"].astype(np.int64)))
        if bk:
            bkeys, bcount = np.unique(np.concatenate(bk), return_counts=True)
            pos = np.searchsorted(uef, bkeys)
            ok = (pos < len(uef))
            ok[ok] = uef[pos[ok]] == bkeys[ok]
            share = np.zeros(len(uef))
            share[pos[ok]] = np.minimum(1.0, bcount[ok] / g.n_pairs)
            fscore = fscore * (1.0 + PHRASE * share)
            flin = flin * (1.0 + PHRASE * share)
    fe = uef >> 20
    ff = uef & ((1 << 20) - 1)
    o2 = np.lexsort((-fscore, fe))
    fe_s, fs_s, ff_s = fe[o2], fscore[o2], ff[o2]
    head = np.ones(len(fe_s), dtype=bool)
    head[1:] = fe_s[1:] != fe_s[:-1]
    best_e, best_s, best_f = fe_s[head], fs_s[head], ff_s[head]
    # agreement: the strongest other field (linear coverage), e.g. a product's label and its cell type
    o4 = np.lexsort((-flin, fe))
    fe4, fl4, ff4 = fe[o4], flin[o4], ff[o4]
    h4 = np.ones(len(fe4), dtype=bool)
    h4[1:] = fe4[1:] != fe4[:-1]
    top_e, top_l, top_f = fe4[h4], fl4[h4], ff4[h4]
    nxt = np.where(h4)[0] + 1
    sec_l = np.zeros(len(top_e))
    ok = nxt < len(fe4)
    same = np.zeros(len(top_e), dtype=bool)
    same[ok] = fe4[nxt[ok]] == top_e[ok]
    sec_l[same] = fl4[nxt[same]]
    best_of = np.full(n, -1, dtype=np.int64)
    best_of[best_e] = best_f
    second = np.zeros(n)
    second[top_e] = np.where(top_f == best_of[top_e], sec_l, top_l)
    # words spread over fields
    kei = (E << 6) | I
    o3 = np.lexsort((-(W * Mt), kei))
    kei_s, wm_s, I_s, E_s = kei[o3], (W * Mt)[o3], I[o3], E[o3]
    h3 = np.ones(len(kei_s), dtype=bool)
    h3[1:] = kei_s[1:] != kei_s[:-1]
    cross = np.bincount(E_s[h3], weights=idf[I_s[h3]] * wm_s[h3], minlength=n) / total
    cover = np.bincount(E_s[h3], weights=idf[I_s[h3]], minlength=n) / total
    cross = cross * np.power(np.minimum(cover, 1.0), COVERAGE_POWER - 1.0) * CROSS_FIELD
    scores[best_e] = best_s
    best_field[best_e] = best_f
    scores = (np.maximum(scores, cross) + AGREEMENT * second) * prior
    if remap is None or compressed:
        return scores, best_field
    dense, dense_field = np.zeros(n_all, dtype=np.float64), np.full(n_all, -1, dtype=np.int64)
    dense[ids], dense_field[ids] = scores, best_field
    return dense, dense_field


def best_lexical(gathered: list[Gathered], variants: list, keep: np.ndarray | None, n_all: int, prior_all: np.ndarray):
    """Each entity's best lexical score over the variants, which variant gave it, and its best field."""
    kept = None if keep is None else Kept.of(keep)
    size = n_all if kept is None else len(kept.ids)  # with `keep`, the kept entities only, spread at the end
    best = np.zeros(size)
    best_variant = np.full(size, -1, dtype=np.int64)
    best_field = np.full(size, -1, dtype=np.int64)
    for vi, (g, v) in enumerate(zip(gathered, variants)):
        s, bf = score_variant(g, n_all, prior_all, kept=kept)
        s = s * v.factor
        better = s > best + 1e-12
        best[better] = s[better]
        best_variant[better] = vi
        best_field[better] = bf[better]
    if kept is None:
        return best, best_variant, best_field
    dense = (np.zeros(n_all), np.full(n_all, -1, dtype=np.int64), np.full(n_all, -1, dtype=np.int64))
    dense[0][kept.ids], dense[1][kept.ids], dense[2][kept.ids] = best, best_variant, best_field
    return dense

def candidates(gathered: list[Gathered], variants: list, allowed, limit: int, n_all: int,
               prior_all: np.ndarray) -> tuple[np.ndarray | None, int | None]:
    """The entities that can be among the first `limit` results (a mask), and how many entities match at all.

    (None, None) when every entity is to be scored: small queries, or when some match could
    score so little that counting them needs their scores.
    """
    if sum(len(p) for g in gathered for _, _, p in g.parts) < PRUNE_BELOW:
        return None, None
    n = n_all
    bound = np.zeros(n)
    floor = math.inf
    prior_min = float(prior_all.min()) if n else 1.0
    for g, v in zip(gathered, variants):
        if not g.parts:
            continue
        total = g.idf.sum()
        m = len(g.idf)
        # over the entities this variant's postings hold, renumbered 0..k-1 (the others' bound is 0): arrays
        # the size of every entity (510,253 at 10,000 trials) made this most of a search's time; a variant
        # with postings for about as many entities as there are stays over all of them
        ids = remap = None
        if sum(len(p) for _, _, p in g.parts) <= DENSE_SHARE * n:
            mark = np.zeros(n, dtype=bool)
            for _, _, p in g.parts:
                mark[p["e"]] = True
            kept = Kept.of(mark)
            ids, remap = kept.ids, kept.remap
        k = n if ids is None else len(ids)

        def at(e, remap=remap):
            return e if remap is None else remap[e]
        ap = np.zeros(k)
        cover = np.zeros(k)
        for i in sorted({i for i, _, _ in g.parts}):
            u = np.zeros(k)
            for _, factor, p in (x for x in g.parts if x[0] == i):
                precision = 0.8 + 0.2 * np.minimum(1.0, m / np.maximum(p["n"].astype(np.float64), 1.0))
                np.maximum.at(u, at(p["e"]), p["w"].astype(np.float64) * factor * precision)
            ap += g.idf[i] * u
            cover += g.idf[i] * (u > 0)
        phrase = np.ones(k)
        for p in g.bigrams:
            pos = at(p["e"])
            if ids is not None:  # a pair's entities hold its words, but keep only those among ids to be sure
                pos = pos[pos >= 0]
            phrase[pos] = 1.0 + PHRASE
        ap /= total
        cover = np.minimum(cover / total, 1.0)
        b = ap * (np.maximum(phrase, CROSS_FIELD / 0.8) * np.power(cover, COVERAGE_POWER - 1.0) + AGREEMENT * phrase)
        if ids is None:
            np.maximum(bound, b * v.factor, out=bound)
        else:
            bound[ids] = np.maximum(bound[ids], b * v.factor)
        # the least any matching entity scores: its weakest field holding its rarest-weighted word alone
        w_min = min(float(p["w"].min()) for _, _, p in g.parts)
        share = min(g.idf[i] * f for i, f, _ in g.parts) / total
        floor = min(floor, w_min * share ** COVERAGE_POWER * 0.8 * v.factor * prior_min)
    if not floor > 1e-8:
        return None, None
    bound *= prior_all
    if allowed is not None:
        bound[~allowed] = 0.0
    held = bound > 0
    count = int(held.sum())
    if count <= 4 * limit:
        return held, count
    k0 = max(8 * limit, 64)
    first = np.zeros(n, dtype=bool)
    first[np.argpartition(-bound, min(k0, count) - 1)[:min(k0, count)]] = True
    scores, _, _ = best_lexical(gathered, variants, first & held, n_all, prior_all)
    theta = float(np.partition(scores[first], len(scores[first]) - limit)[len(scores[first]) - limit]) if first.sum() >= limit else 0.0
    return held & (bound >= theta * (1 - 1e-6) - 1e-8), count
