"""Link: propose external terms for entities that have none, or for free text, with evidence.

The vocabulary (written into the index by `link_tables.write_link_tables`, once per build, from
`link_vocabulary` and the ontology files; the slots are in `link_slots`):

- MONDO, CL and UBERON: every non-deprecated term of cellxgene-ontology-guide, label and synonyms;
- the terms declared in the ontology files (OAE, HP, NCIT, OBI, CTO, STATO, UO, IAO, OPMI,
  QUDT, PROV, schema.org...): rdfs:label and skos:altLabel, also with abbreviations spelt out;
- for adverse-event counts, the adverse-event term hierarchy (msckg:AE_* classes and the OAE
  terms above them).

What is linked (the 'slots'), and against what:

| subject                      | property          | vocabulary                            |
|------------------------------|-------------------|---------------------------------------|
| msckg:Condition              | conditionClass    | MONDO                                 |
| msckg:CellProduct            | cellType          | CL                                    |
| msckg:CellProduct            | tissueSource      | UBERON                                |
| msckg:AdverseEventCount      | eventClass        | adverse-event terms (msckg:AE_*, OAE) |
| an msckg class or value      | exact/closeMatch  | MONDO, CL, UBERON, declared terms     |
| free text                    | -                 | MONDO, CL, UBERON, declared terms     |

Scoring (per candidate name, best over the texts of the subject and their variants; the variants
are made in `link_variants`, the lexical similarity in `link_similarity`):

- exact: the name's words are the text's words (after spelling, plural and abbreviation
  normalisation): 1.0 for a label, 0.96 for a synonym;
- otherwise lexical similarity: cover^1.5 x (0.4 + 0.6 x explained) x 0.9, where cover is the
  idf-weighted share of the name's words found in the text and explained the share of the text's
  words found in the name (words after 'after', 'for', 'in', 'with', 'from'... and in brackets
  count half);
- variants of the text: brackets left out; condition qualifiers the ontology defines
  (msckg:ConditionQualifier: severe, refractory, newly diagnosed, paediatric/children...) left
  out, since msckg keeps them on the condition (x 0.98); abbreviations spelt out (x 0.97);
  another name of the same ontology term (x 0.95);
- with an embedder, the cosine similarity between the text and each candidate's label is added
  (+ 0.25 x (cos - 0.5) when above 0.5), and a candidate found mainly that way is justified as
  semapv:SemanticSimilarityThresholdMatching;
- `prefer_declared`: a term already declared in the ontology files gets +0.03 (the project's
  vocabulary wins ties); off for the strict hold-out measure.

Confidence is the score (capped at 0.99); exact label/synonym matches are proposed as
skos:exactMatch, the rest as skos:closeMatch.
"""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path

import numpy as np

from . import text as tx
from .link_similarity import similarity
from .link_slots import DECLARED_PRIOR, EXACT_LABEL, EXACT_SYNONYM, SLOT_BY_NAME, SOURCE_CODES, TEXT_SLOT, Candidate, Task
from .link_variants import TextVariants


class Linker:
    """Proposes external terms from the link tables of a search index."""

    def __init__(self, folder: Path, embedder="auto"):
        from .indexfile import SearchError, index_path

        path = index_path(folder)
        if not path.exists():
            raise SearchError(f"no search index in {folder}: it is written by 'msckg build' (rebuild the store to create it)")
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        meta = {k: json.loads(v) for k, v in self.db.execute("SELECT key, value FROM meta")}
        if "link" not in meta:
            raise SearchError("this index was built without the link vocabulary: run 'msckg build'")
        self.meta = meta
        arrays = {n: d for n, d in self.db.execute("SELECT name, data FROM larray")}
        self.name_term = np.frombuffer(arrays["name_term"], dtype="<i4")
        self.term_source = np.frombuffer(arrays["term_source"], dtype="<i1")
        self.term_flags = np.frombuffer(arrays["term_flags"], dtype="<i1")
        self.n_names = len(self.name_term)
        self.texts = TextVariants(meta)
        self._vocab: list[str] | None = None
        self._df: dict[str, int] = {}
        self.embedder = None
        self.mode_note = "lexical linking"
        from .embed import resolve

        if embedder is not None:
            emb, why = resolve(embedder)
            if emb is not None:
                self.embedder = emb
                self.mode_note = f"lexical + semantic linking ({emb.name})"
            else:
                self.mode_note = f"lexical linking ({why})"

    # -- vocabulary ------------------------------------------------------------------------------
    def vocab(self) -> list[str]:
        if self._vocab is None:
            rows = self.db.execute("SELECT token, df FROM lpost ORDER BY token").fetchall()
            self._vocab = [r[0] for r in rows]
            self._df = {r[0]: r[1] for r in rows}
        return self._vocab

    def idf(self, tok: str) -> float:
        self.vocab()
        return math.log(1 + self.n_names / max(self._df.get(tok, 1), 1))

    def _alternatives(self, tok: str) -> list[tuple[str, float]]:
        import bisect

        vocab = self.vocab()
        out = [(tok, 1.0)] if tok in self._df else []
        out.extend((v, 0.9) for v in tx.stem_neighbours(tok, vocab))
        if tok not in self._df and tx.max_typos(tok):
            k = tx.max_typos(tok)
            i = bisect.bisect_left(vocab, tok[:1])
            # same first letter, similar length: a small slice of a sorted vocabulary
            while i < len(vocab) and vocab[i][:1] == tok[:1]:
                v = vocab[i]
                if abs(len(v) - len(tok)) <= k and v.isalpha() and tx.edit_distance(tok, v, k) <= k:
                    out.append((v, 0.8))
                i += 1
        return out[:30]

    # -- candidates -----------------------------------------------------------------------------
    def _allowed_terms(self, vocab: tuple[str, ...] | None) -> np.ndarray | None:
        if not vocab:
            return None
        allowed = np.zeros(len(self.term_source), dtype=bool)
        for v in vocab:
            if v == "ae":
                allowed |= (self.term_flags & 2) > 0
            elif v == "declared":
                allowed |= self.term_source == SOURCE_CODES["declared"]
            elif v in SOURCE_CODES:
                allowed |= self.term_source == SOURCE_CODES[v]
            else:  # a prefix of declared terms (OAE, HP, NCIT...)
                ids = [r[0] for r in self.db.execute("SELECT id FROM lterm WHERE curie LIKE ? ESCAPE '\\'",
                                                       (v.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ":%",))]
                allowed[ids] = True
        return allowed

    def propose(self, texts: list[tuple[str, float]], vocab: tuple[str, ...] | None = None, limit: int = 5,
                prefer_declared: bool = True, exclude: set[str] | None = None) -> list[Candidate]:
        """Ranked candidate terms for one subject described by weighted texts."""
        allowed = self._allowed_terms(vocab)
        variants = []
        for text, w in texts:
            if text and text.strip():
                for v in self.texts.variants(text):
                    variants.append((v, w))
        if not variants:
            return []
        # gather candidate names: idf mass of the text's words each name holds
        mass = np.zeros(self.n_names)
        alt_cache: dict[str, list[tuple[str, float]]] = {}
        for v, w in variants:
            for tok, tw in v.tokens:
                if tok not in alt_cache:
                    alt_cache[tok] = self._alternatives(tok)
                for alt, f in alt_cache[tok]:
                    row = self.db.execute("SELECT data FROM lpost WHERE token = ?", (alt,)).fetchone()
                    if row:
                        ids = np.frombuffer(row[0], dtype="<i4")
                        mass[ids] += self.idf(alt) * f * tw * w * v.factor
        if allowed is not None:
            mass[~allowed[self.name_term]] = 0
        cand = np.nonzero(mass > 0)[0]
        if not len(cand):
            return []
        cand = cand[np.argsort(-mass[cand], kind="stable")][:400]
        rows = self.db.execute(f"SELECT n.id, n.term, n.text, n.kind, n.tokens, t.iri, t.curie, t.label, t.source, t.declared, t.depth "
                               f"FROM lname n JOIN lterm t ON t.id = n.term WHERE n.id IN ({','.join('?' * len(cand))})",
                               [int(c) for c in cand]).fetchall()
        best: dict[int, tuple] = {}
        depth: dict[int, int] = {}
        for nid, tid, ntext, kind, ntoks, iri, curie, label, source, declared, dep in rows:
            depth[tid] = dep or 0
            if exclude and iri in exclude:
                continue
            name_toks = ntoks.split()
            for v, w in variants:
                sim, exact = similarity(v, name_toks, self.idf)
                if sim <= 0:
                    continue
                kind_f = 1.0 if kind == "label" else 0.96
                prior = DECLARED_PRIOR if (prefer_declared and declared) else 0.0
                score = sim * kind_f * v.factor * w + prior
                if tid not in best or best[tid][0] < score:
                    best[tid] = (score, sim, exact, v, ntext, kind, iri, curie, label, source, w, prior)
        # ties (within 0.005) go to the more specific term (more ancestors), then the CURIE
        ranked = sorted(best.items(), key=lambda kv: (-round(kv[1][0] / 0.005), -depth.get(kv[0], 0), kv[1][7]))
        ranked = [b for _, b in ranked][: max(limit * 3, 10)]
        cands = [self._candidate(*b) for b in ranked]
        if self.embedder is not None and cands:
            cands = self._semantic(texts, cands)
        if self.embedder is not None:
            cands.sort(key=lambda c: -c.confidence)  # stable: ties keep the lexical order
        return cands[:limit]

    def _candidate(self, score, sim, exact, v, ntext, kind, iri, curie, label, source, w, prior) -> Candidate:
        notes = list(v.notes)
        if exact:
            conf = (EXACT_LABEL if kind == "label" else EXACT_SYNONYM) * v.factor * w
            ev = ["exact label" if kind == "label" else f"exact synonym '{ntext}'"]
            predicate = "skos:exactMatch" if v.exact_ok and w >= 1.0 else "skos:closeMatch"
        else:
            conf = sim * 0.95 * (1.0 if kind == "label" else 0.96) * v.factor * w
            ev = [f"lexical similarity {sim:.2f} to {kind} '{ntext}'"]
            predicate = "skos:closeMatch"
        if w < 1.0:
            notes.append(f"matched on a secondary text (weight {w})")
        if prior:
            notes.append("already declared in the ontology files")
        conf = min(0.99, conf + prior)
        return Candidate(curie, iri, label, source, conf, predicate, "semapv:LexicalMatching", ev + notes, ntext, lexical=conf)

    def _semantic(self, texts: list[tuple[str, float]], cands: list[Candidate]) -> list[Candidate]:
        main = max(texts, key=lambda t: t[1])[0]
        vecs = np.asarray(self.embedder.embed([main] + [c.label for c in cands]), dtype=np.float32)
        sims = vecs[1:] @ vecs[0]
        for c, s in zip(cands, sims):
            c.semantic = float(s)
            if s > 0.5:
                c.confidence = min(0.99, c.lexical + 0.25 * (float(s) - 0.5))
                c.evidence.append(f"semantic similarity {s:.2f} ({self.embedder.name.split('/')[-1]})")
            if c.lexical < 0.5 and s >= 0.7:
                c.confidence = max(c.confidence, 0.85 * float(s))
                c.justification = "semapv:SemanticSimilarityThresholdMatching"
        return cands

    # -- tasks ----------------------------------------------------------------------------------
    def tasks(self, scope: str = "data") -> list[Task]:
        rows = self.db.execute("SELECT iri, curie, label, slot, texts, scope FROM ltask ORDER BY id").fetchall()
        return [Task(i, c, lab, s, [tuple(x) for x in json.loads(t)], sc) for i, c, lab, s, t, sc in rows
                if scope == "all" or sc == scope]

    def link_task(self, task: Task, limit: int = 3, prefer_declared: bool = True, vocab=None) -> list[Candidate]:
        slot = SLOT_BY_NAME[task.slot]
        exclude = {task.iri}
        return self.propose(task.texts, tuple(vocab) if vocab else slot.vocab, limit, prefer_declared, exclude)

    def link_text(self, text: str, limit: int = 5, vocab=None, prefer_declared: bool = True) -> list[Candidate]:
        from .indexfile import SearchError

        cleaned = tx.clean(text if isinstance(text, str) else "", tx.MAX_QUERY_CHARS)
        if not tx.content_terms(cleaned):
            raise SearchError("nothing to link: give a term, e.g. msckg link \"severe aplastic anaemia\"")
        return self.propose([(cleaned, 1.0)], tuple(vocab) if vocab else TEXT_SLOT.vocab, limit, prefer_declared)
