"""Ranking: a query against the index, with the reasons each entity matched.

The Searcher reads the index and runs the steps below: the query's variants and the tokens its
words match are found by query_words.py (steps 1-3), the score arithmetic is scoring.py's (step
4), the blend (step 5) is here, and the records it returns and the reasons they give are results.py's.

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

import json
import math
import sqlite3
from pathlib import Path

import numpy as np

from . import scoring
from . import text as tx
from .scoring import Gathered, Kept  # noqa: F401  (re-exported)
from .indexfile import EMBEDDINGS_FILE, FORMAT_VERSION, INDEX_FILE, POSTING, POSTINGS_FILE, SearchError, index_path  # noqa: F401  (re-exported)
from .query_words import QueryWords, Variant
from .results import Hit, Result, Why, field_reasons

ALPHA = 0.35            # weight of semantic similarity in blended mode
SEM_FLOOR, SEM_SPAN = 0.25, 0.5


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
        self.words = QueryWords(self.db, self.meta)
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
    def parse(self, query: str) -> tuple[list[Variant], list[str], str]:
        """Variants of the query, notes for the user, and the cleaned query text (query_words.QueryWords.parse)."""
        return self.words.parse(query)

    # -- scoring -------------------------------------------------------------------------------
    def gather(self, tokens: list[str]) -> Gathered:
        """The postings of a variant's words (each with its alternatives) and of its word pairs, read once."""
        uniq = list(dict.fromkeys(tokens))
        n = self.n
        idf = np.zeros(len(uniq), dtype=np.float64)
        parts: list[tuple[int, float, np.ndarray]] = []
        for i, tok in enumerate(uniq):
            alts = self.words.alternatives(tok)
            if not alts:
                idf[i] = math.log(1 + n)  # an unknown word still counts against coverage
                continue
            df = self.words.df(tok) or max(self.words.df(t) for t, _, _ in alts)
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
        """Dense lexical scores over all entities and each one's best field (scoring.score_variant)."""
        g = tokens if isinstance(tokens, Gathered) else self.gather(tokens)
        return scoring.score_variant(g, self.n, self.prior, keep, kept)

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
        return scoring.best_lexical(gathered, variants, keep, self.n, self.prior)

    def _candidates(self, gathered: list[Gathered], variants: list[Variant], allowed, limit: int) -> tuple[np.ndarray | None, int | None]:
        """The entities that can be among the first `limit` results (a mask) and how many match (scoring.candidates)."""
        return scoring.candidates(gathered, variants, allowed, limit, self.n, self.prior)

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
                why.extend(field_reasons(variants[vi].tokens, fields, self.words.alternatives))
                why.extend(variants[vi].why)
            if sem is not None and (lexical[eid] <= 0 or (sem[eid] - SEM_FLOOR) / SEM_SPAN * ALPHA >= 0.1):
                why.append(Why("semantic", f"semantic similarity {sem[eid]:.2f} ({self.embedder.name.split('/')[-1]})"))
            hits.append(Hit(rank, iri, label, typ, float(final[eid]), why, float(lexical[eid]),
                            None if sem is None else float(sem[eid])))
        return hits
