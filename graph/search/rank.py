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

from . import scoring
from . import text as tx
from .scoring import Gathered, Kept  # noqa: F401  (re-exported)
from .indexfile import EMBEDDINGS_FILE, FORMAT_VERSION, INDEX_FILE, POSTING, POSTINGS_FILE, SearchError, index_path  # noqa: F401  (re-exported)

ALPHA = 0.35            # weight of semantic similarity in blended mode
SEM_FLOOR, SEM_SPAN = 0.25, 0.5
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
