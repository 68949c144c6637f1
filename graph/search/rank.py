"""Ranking: a query against the index, with the reasons each entity matched.

1. The query is cleaned (control characters dropped, cut to 500 characters and 24 words),
   folded and canonicalised like the indexed text (text.py). It is never pasted into SPARQL,
   SQL or a regular expression: tokens are looked up as SQL parameters.
2. Variants: the query as typed; with its abbreviations spelt out (ITP -> immune
   thrombocytopenia); with a phrase replaced by another name of the same ontology term
   (children -> paediatric, bleeding -> haemorrhage).
3. Each query word matches indexed tokens exactly (1.0), as a prefix (0.9), by a shared stem
   (haemorrhage ~ haemorrhagic, 0.85) or with a typo (one edit up to 7 letters, two above, 0.8).
4. A field's score is weight x idf-weighted share of the query words it holds x (0.8 + 0.2 x
   share of the field's words that matched): a short field that is exactly the query wins over a
   long one that mentions it. An entity scores its best field, or the words spread over its
   fields (x 0.85) when that is higher, plus 0.15 x its second-best field (agreement).
5. With an embedder, the cosine similarity of the query and the entity's text is blended in:
   score + 0.35 x clip((cos - 0.25) / 0.5, 0, 1); an entity found only semantically gets that.
"""

from __future__ import annotations

import bisect
import json
import math
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import text as tx
from .indexfile import EMBEDDINGS_FILE, FORMAT_VERSION, INDEX_FILE, POSTING, POSTINGS_FILE, SearchError, index_path  # noqa: F401  (re-exported)

ALPHA = 0.35            # weight of semantic similarity in blended mode
SEM_FLOOR, SEM_SPAN = 0.25, 0.5
CROSS_FIELD = 0.85
AGREEMENT = 0.15
COVERAGE_POWER = 2.5    # a field holding 2 of 3 query words scores (2/3)^2.5 of one holding all
PHRASE = 0.5            # x (1 + 0.5 x share of the query's word pairs the field holds in order)
PREFIX, STEM, FUZZY = 0.9, 0.85, 0.8
MAX_ALTERNATIVES = 40
MAX_VARIANTS = 8
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


@dataclass
class Variant:
    tokens: list[str]
    factor: float
    why: list[Why]


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


class Searcher:
    """Searches one index folder (a store generation's `search` folder)."""

    def __init__(self, folder: Path, embedder="auto"):
        self.folder = Path(folder)
        path = index_path(self.folder)
        if not path.exists():
            raise SearchError(f"no search index in {self.folder}: it is written by 'msckg build' (rebuild the store to create it)")
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self.meta = {k: json.loads(v) for k, v in self.db.execute("SELECT key, value FROM meta")}
        if self.meta.get("format") != FORMAT_VERSION:
            raise SearchError(f"the search index in {self.folder} has format {self.meta.get('format')}, this msckg reads {FORMAT_VERSION}: run 'msckg build'")
        self.n = int(self.meta["entities"])
        self.abbrev = tx.Abbreviations.builtin().copy()
        for a, n, exact in self.meta.get("abbreviations_learnt", []):
            self.abbrev.add(a, n, exact)
        self._rings: dict[str, list[tuple[dict, str]]] = {}
        for ring in self.meta.get("rings", []):
            for k in ring["normals"]:
                self._rings.setdefault(k, []).append((ring, k))
        self._vocab: list[str] | None = None
        self._df: dict[str, int] = {}
        self._trigrams: dict[str, list[str]] | None = None
        self._alt_cache: dict[str, list[tuple[str, float, str]]] = {}
        self._types: dict[str, tuple[str, str]] | None = None
        try:
            self._postings = np.load(self.folder / POSTINGS_FILE, mmap_mode="r")
        except (OSError, ValueError) as e:
            raise SearchError(f"the search index in {self.folder} is incomplete ({POSTINGS_FILE}: {e}): run 'msckg build'") from None
        row = self.db.execute("SELECT data FROM arrays WHERE name = 'prior'").fetchone()
        self.prior = np.frombuffer(row[0], dtype="<f4").astype(np.float64) if row else np.ones(self.n)
        self.vectors = None
        self.embedder = None
        self.mode_note = ""
        self._init_embeddings(embedder)

    # -- set-up --------------------------------------------------------------------------------
    def _init_embeddings(self, embedder) -> None:
        from .embed import INSTALL_HINT, resolve

        stored = self.meta.get("embedder")
        path = self.folder / EMBEDDINGS_FILE
        if embedder is None:
            self.mode_note = "lexical mode (semantic similarity not requested)"
            return
        if not stored or not path.exists():
            if embedder == "auto":
                from .embed import embeddings_installed

                ok, why = embeddings_installed()
                self.mode_note = ("lexical mode: the index has no embeddings; rebuild ('msckg build') to add them" if ok
                                  else f"lexical mode ({why})")
            else:
                self.mode_note = "lexical mode: the index has no embeddings"
            return
        emb, why = resolve(embedder)
        if emb is None:
            self.mode_note = f"lexical mode ({why or INSTALL_HINT})"
            return
        if emb.name != stored:
            self.mode_note = f"lexical mode: the index was embedded with {stored}, not {emb.name}; rebuild to switch"
            return
        vecs = np.load(path, mmap_mode="r")
        if vecs.shape[0] != self.n:
            self.mode_note = "lexical mode: the embeddings do not match the index; rebuild"
            return
        self.vectors, self.embedder = vecs, emb
        self.mode_note = f"blended mode: lexical + ontology + semantic similarity ({emb.name})"

    @property
    def semantic_available(self) -> bool:
        return self.vectors is not None

    def vocab(self) -> list[str]:
        if self._vocab is None:
            rows = self.db.execute("SELECT token, df FROM posting WHERE df > 0 ORDER BY token").fetchall()
            self._vocab = [r[0] for r in rows]
            self._df = {r[0]: r[1] for r in rows}
        return self._vocab

    def df(self, tok: str) -> int:
        self.vocab()
        return self._df.get(tok, 0)

    def types(self) -> dict[str, tuple[str, str]]:
        """{class IRI: (CURIE, label)} of every class with members."""
        if self._types is None:
            self._types = {c: (cu, lab) for c, cu, lab in self.db.execute("SELECT class, curie, label FROM typeidx")}
        return self._types

    def resolve_type(self, name: str) -> str:
        """A class given as local name, CURIE, IRI or label -> its IRI (SearchError with suggestions)."""
        name = tx.clean(name, 300)
        types = self.types()
        want = name.lower()
        for iri, (curie, label) in types.items():
            local = curie.split(":", 1)[-1]
            if want in (iri.lower(), curie.lower(), local.lower(), (label or "").lower()):
                return iri
        from difflib import get_close_matches

        names = sorted({cu.split(":", 1)[-1] for cu, _ in types.values()})
        close = get_close_matches(name, names, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; classes with members: {', '.join(names[:30])}"
        raise SearchError(f"unknown type '{name}'{hint}")

    def members(self, class_iri: str) -> np.ndarray:
        row = self.db.execute("SELECT data FROM typeidx WHERE class = ?", (class_iri,)).fetchone()
        return np.frombuffer(row[0], dtype="<i4") if row else np.zeros(0, dtype="<i4")

    def postings(self, tok: str) -> np.ndarray:
        row = self.db.execute("SELECT start, stop FROM posting WHERE token = ?", (tok,)).fetchone()
        return np.asarray(self._postings[row[0]:row[1]]) if row else np.zeros(0, dtype=POSTING)

    # -- query words ---------------------------------------------------------------------------
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

    # -- scoring -------------------------------------------------------------------------------
    def gather(self, tokens: list[str]) -> Gathered:
        """The postings of a variant's words (each with its alternatives) and of its word pairs, read once."""
        uniq = list(dict.fromkeys(tokens))
        n = self.n
        idf = np.zeros(len(uniq), dtype=np.float64)
        parts: list[tuple[int, float, np.ndarray]] = []
        for i, tok in enumerate(uniq):
            alts = self.alternatives(tok)
            if not alts:
                idf[i] = math.log(1 + n)  # an unknown word still counts against coverage
                continue
            df = self._df.get(tok) or max(self._df.get(t, 1) for t, _, _ in alts)
            idf[i] = math.log(1 + n / max(df, 1))
            for t, factor, _how in alts:
                p = self.postings(t)
                if len(p):
                    parts.append((i, factor, p))
        pairs = list(dict.fromkeys(tx.bigrams(tokens)))
        bigrams = [p for p in (self.postings(bg) for bg in pairs) if len(p)] if parts else []
        return Gathered(tokens, idf, parts, len(pairs), bigrams)

    def score_variant(self, tokens: list[str] | Gathered, keep: np.ndarray | None = None,
                      kept: Kept | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Dense lexical scores over all entities and the index of each one's best field (-1: none).

        With `keep` (a mask over entities) only those entities are scored (the others get 0); an
        entity's score depends on its own postings only, so theirs are the same as without it. With
        `kept` (the same entities, renumbered once for several variants) the scores come back in
        `kept.ids` order, not spread over every entity.
        """
        g = tokens if isinstance(tokens, Gathered) else self.gather(tokens)
        tokens, idf = g.tokens, g.idf
        n, prior, remap = self.n, self.prior, None
        compressed = kept is not None  # the caller spreads the scores itself
        if keep is not None and kept is None:
            kept = Kept.of(keep)
        if kept is not None:  # entities renumbered 0..len(kept)-1, so every array is the size of the kept ones
            ids, remap = kept.ids, kept.remap
            n, prior = len(ids), self.prior[ids]
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
            return np.zeros(n if compressed else self.n, dtype=np.float64), np.full(n if compressed else self.n, -1, dtype=np.int64)
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
        dense, dense_field = np.zeros(self.n, dtype=np.float64), np.full(self.n, -1, dtype=np.int64)
        dense[ids], dense_field[ids] = scores, best_field
        return dense, dense_field

    def search(self, query: str, *, types: list[str] | None = None, limit: int = 10, mode: str = "auto") -> Result:
        """Ranked entities for a query. mode: 'auto' (blended when available), 'lexical' or 'blended'."""
        if mode not in ("auto", "lexical", "blended"):
            raise SearchError(f"unknown mode '{mode}': use auto, lexical or blended")
        if mode == "blended" and not self.semantic_available:
            raise SearchError(f"blended mode is not available: {self.mode_note}")
        try:
            limit = int(limit)
        except (TypeError, ValueError):
            raise SearchError("limit must be a whole number") from None
        if limit < 1 or limit > 1000:
            raise SearchError("limit must be between 1 and 1000")
        variants, notes, cleaned = self.parse(query)
        allowed = None
        if types:
            allowed = np.zeros(self.n, dtype=bool)
            for t in types:
                allowed[self.members(self.resolve_type(t))] = True
        use_sem = self.semantic_available and mode != "lexical"
        gathered = [self.gather(v.tokens) for v in variants]
        keep, total = (None, None) if use_sem else self._candidates(gathered, variants, allowed, limit)
        lexical, best_variant, best_field = self._lexical(gathered, variants, keep)
        sem = None
        final = lexical.copy()
        if use_sem:
            qv = np.asarray(self.embedder.embed([cleaned]), dtype=np.float32)[0]
            sem = np.asarray(self.vectors @ qv, dtype=np.float64)
            final = lexical + ALPHA * np.clip((sem - SEM_FLOOR) / SEM_SPAN, 0.0, 1.0)
        if allowed is not None:
            final = np.where(allowed, final, 0.0)
        cand = np.nonzero(final > 1e-9)[0]
        order = cand[np.lexsort((cand, -np.round(final[cand], 9)))]
        top = order[:limit]
        hits = self._hits(top, final, lexical, sem, best_field, best_variant, variants)
        mode_used = "blended" if use_sem else "lexical"
        if not use_sem:
            notes = notes + [self.mode_note] if self.mode_note else notes
        else:
            notes = notes + [self.mode_note]
        return Result(cleaned, mode_used, notes, hits, int(len(cand)) if total is None else total)

    def _lexical(self, gathered: list[Gathered], variants: list[Variant], keep: np.ndarray | None):
        """Each entity's best lexical score over the variants, which variant gave it, and its best field."""
        kept = None if keep is None else Kept.of(keep)
        size = self.n if kept is None else len(kept.ids)  # with `keep`, the kept entities only, spread at the end
        best = np.zeros(size)
        best_variant = np.full(size, -1, dtype=np.int64)
        best_field = np.full(size, -1, dtype=np.int64)
        for vi, (g, v) in enumerate(zip(gathered, variants)):
            s, bf = self.score_variant(g, kept=kept) if kept is not None else self.score_variant(g)
            s = s * v.factor
            better = s > best + 1e-12
            best[better] = s[better]
            best_variant[better] = vi
            best_field[better] = bf[better]
        if kept is None:
            return best, best_variant, best_field
        dense = (np.zeros(self.n), np.full(self.n, -1, dtype=np.int64), np.full(self.n, -1, dtype=np.int64))
        dense[0][kept.ids], dense[1][kept.ids], dense[2][kept.ids] = best, best_variant, best_field
        return dense

    def _candidates(self, gathered: list[Gathered], variants: list[Variant], allowed, limit: int) -> tuple[np.ndarray | None, int | None]:
        """The entities that can be among the first `limit` results (a mask), and how many entities match at all.

        (None, None) when every entity is to be scored: small queries, or when some match could
        score so little that counting them needs their scores.
        """
        if sum(len(p) for g in gathered for _, _, p in g.parts) < PRUNE_BELOW:
            return None, None
        n = self.n
        bound = np.zeros(n)
        floor = math.inf
        prior_min = float(self.prior.min()) if n else 1.0
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
        bound *= self.prior
        if allowed is not None:
            bound[~allowed] = 0.0
        held = bound > 0
        count = int(held.sum())
        if count <= 4 * limit:
            return held, count
        k0 = max(8 * limit, 64)
        first = np.zeros(n, dtype=bool)
        first[np.argpartition(-bound, min(k0, count) - 1)[:min(k0, count)]] = True
        scores, _, _ = self._lexical(gathered, variants, first & held)
        theta = float(np.partition(scores[first], len(scores[first]) - limit)[len(scores[first]) - limit]) if first.sum() >= limit else 0.0
        return held & (bound >= theta * (1 - 1e-6) - 1e-8), count

    def _hits(self, top, final, lexical, sem, best_field, best_variant, variants) -> list[Hit]:
        if not len(top):
            return []
        ids = [int(i) for i in top]
        rows = {r[0]: r for r in self.db.execute(
            f"SELECT id, iri, label, type, fields FROM entity WHERE id IN ({','.join('?' * len(ids))})", ids)}
        hits = []
        for rank, eid in enumerate(ids, 1):
            _, iri, label, typ, fields_json = rows[eid]
            fields = json.loads(fields_json)
            why: list[Why] = []
            vi = int(best_variant[eid])
            if lexical[eid] > 0 and vi >= 0:
                why.extend(self._field_reasons(variants[vi].tokens, fields))
                why.extend(variants[vi].why)
            if sem is not None and (lexical[eid] <= 0 or (sem[eid] - SEM_FLOOR) / SEM_SPAN * ALPHA >= 0.1):
                why.append(Why("semantic", f"semantic similarity {sem[eid]:.2f} ({self.embedder.name.split('/')[-1]})"))
            hits.append(Hit(rank, iri, label, typ, float(final[eid]), why, float(lexical[eid]),
                            None if sem is None else float(sem[eid])))
        return hits

    def _field_reasons(self, tokens: list[str], fields: list) -> list[Why]:
        """The fields of an entity that hold the query words, strongest first (at most three)."""
        want = list(dict.fromkeys(tokens))
        alt = {t: {a for a, _, _ in self.alternatives(t)} for t in want}
        how = {t: {a: h for a, _, h in self.alternatives(t)} for t in want}
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


# -- evaluation ----------------------------------------------------------------------------------
@dataclass
class QueryEval:
    query: str
    relevant: int
    found_at: list[int]
    recall: float
    rr: float


def evaluate(searcher: Searcher, judgements: list[dict], k: int = 10, mode: str = "lexical", depth: int = 100) -> dict:
    """recall@k (relevant found in the top k / min(k, relevant)) and MRR (1/rank of the first relevant)."""
    rows = []
    for j in judgements:
        relevant = set(j["relevant"])
        res = searcher.search(j["query"], limit=depth, mode=mode, types=j.get("types"))
        ranks = [h.rank for h in res.hits if h.iri in relevant]
        in_k = sum(1 for r in ranks if r <= k)
        recall = in_k / min(k, len(relevant)) if relevant else 0.0
        rr = 1.0 / ranks[0] if ranks else 0.0
        rows.append(QueryEval(j["query"], len(relevant), ranks[:20], recall, rr))
    n = len(rows) or 1
    return {"mode": mode, "k": k, "queries": len(rows), f"recall@{k}": sum(r.recall for r in rows) / n,
            "mrr": sum(r.rr for r in rows) / n, "per_query": rows}


def load_judgements(path: Path) -> list[dict]:
    """The judged queries of a YAML file: a list of {query, relevant: [IRI...], note?, types?}."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    data = yaml.load(Path(path).read_text(encoding="utf-8"))
    items = data.get("queries") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise SearchError(f"{path}: expected a list of queries under 'queries'")
    out = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict) or not item.get("query") or not item.get("relevant"):
            raise SearchError(f"{path}: query {n} needs 'query' and a non-empty 'relevant' list")
        rel = [r if r.startswith("http") else "https://w3id.org/msckg/id/" + r for r in item["relevant"]]
        out.append({"query": str(item["query"]), "relevant": rel, "types": item.get("types"), "note": item.get("note", "")})
    return out
