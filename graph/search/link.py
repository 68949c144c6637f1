"""Link: propose external terms for entities that have none, or for free text, with evidence.

The vocabulary (written into the index by `write_link_tables`, once per build):

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

Scoring (per candidate name, best over the texts of the subject and their variants):

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

import csv
import datetime as dt
import io
import json
import math
import re
import sqlite3
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import text as tx
from .expand import (ALT_LABEL, CLOSE, EXACT, EXTERNAL_ONTOLOGIES, ID, LABEL, MSCKG, OBO, RDF_TYPE, ExternalOntologies,
                     Ontology, obo_iri)

M = MSCKG
OWL = "http://www.w3.org/2002/07/owl#"
OAE_ADVERSE_EVENT = OBO + "OAE_0000001"
AE_TERM = M + "AdverseEventTerm"
QUALIFIER_CLASS = M + "ConditionQualifier"
CLAUSE_MARKERS = frozenset({"after", "for", "in", "with", "from", "as", "during", "by", "at", "supplied", "used",
                            "including", "excluding", "without", "due", "following", "before", "under", "among"})
TAIL_WEIGHT = 0.5
DECLARED_PRIOR = 0.03
EXACT_LABEL, EXACT_SYNONYM = 0.95, 0.9
SOURCE_CODES = {"MONDO": 1, "CL": 2, "UBERON": 3, "declared": 4, "msckg": 5}


@dataclass(frozen=True)
class Slot:
    name: str
    subject_class: str | None
    predicate: str
    vocab: tuple[str, ...]      # MONDO, CL, UBERON, declared, ae
    text_props: tuple[tuple[str, float], ...]
    description: str


SLOTS = [
    Slot("conditionClass", M + "Condition", M + "conditionClass", ("MONDO",),
         ((LABEL, 1.0), (ALT_LABEL, 1.0)), "condition class (MONDO)"),
    Slot("cellType", M + "CellProduct", M + "cellType", ("CL",),
         ((LABEL, 1.0), (ALT_LABEL, 1.0), (M + "donorDescription", 0.9)), "cell type (CL)"),
    Slot("tissueSource", M + "CellProduct", M + "tissueSource", ("UBERON",),
         ((LABEL, 1.0), (ALT_LABEL, 1.0), (M + "donorDescription", 0.95)), "tissue source (UBERON)"),
    Slot("eventClass", M + "AdverseEventCount", M + "eventClass", ("ae",),
         ((M + "term", 1.0),), "adverse-event term class"),
]
MATCH_SLOT = Slot("match", None, EXACT, ("declared",), ((LABEL, 1.0), (ALT_LABEL, 1.0)),
                  "external term of the declared vocabularies (skos:exactMatch / closeMatch)")
# an adverse-event term class may also match a disease (MONDO); a cell, tissue or disease term is
# never the right match for a design value (phase, masking, unit...), so those look in the declared ones
MATCH_AE_SLOT = Slot("match-ae", None, EXACT, ("MONDO", "declared"), ((LABEL, 1.0), (ALT_LABEL, 1.0)),
                     "disease or adverse-event term (skos:exactMatch / closeMatch)")
TEXT_SLOT = Slot("text", None, EXACT, ("MONDO", "CL", "UBERON", "declared"), (), "external term")
SLOT_BY_NAME = {s.name: s for s in SLOTS + [MATCH_SLOT, MATCH_AE_SLOT, TEXT_SLOT]}


@dataclass
class Candidate:
    curie: str
    iri: str
    label: str
    source: str
    confidence: float
    predicate: str
    justification: str
    evidence: list[str]
    match_string: str
    lexical: float = 0.0
    semantic: float | None = None

    def as_json(self) -> dict:
        return {"object_id": self.curie, "object_iri": self.iri, "object_label": self.label, "vocabulary": self.source,
                "confidence": round(self.confidence, 3), "predicate_id": self.predicate,
                "mapping_justification": self.justification, "evidence": self.evidence, "match_string": self.match_string}


@dataclass
class Task:
    """A subject to link: an entity lacking a slot's link, or an ontology term lacking a match."""

    iri: str
    curie: str
    label: str
    slot: str
    texts: list[tuple[str, float]]
    scope: str  # data or terms


# ---------------------------------------------------------------------------------------------
# writing the link tables (called by index.write_index)
# ---------------------------------------------------------------------------------------------
_BASE_FILES: dict[str, Path] = {}
_NAME_TOKENS: dict[str, list[str]] = {}
BASE_FORMAT = 3


def _name_tokens(text: str) -> list[str]:
    """Canonical tokens of a vocabulary name, memoised for the process."""
    toks = _NAME_TOKENS.get(text)
    if toks is None:
        if len(_NAME_TOKENS) > 600_000:
            _NAME_TOKENS.clear()
        toks = _NAME_TOKENS[text] = tx.content(list(tx._terms(text)))
    return toks


def _base_key() -> str:
    """What the MONDO/CL/UBERON part of the vocabulary depends on: package data and the normaliser."""
    import hashlib

    h = hashlib.sha256(json.dumps([BASE_FORMAT, ExternalOntologies.versions()], sort_keys=True).encode())
    for f in (tx.SPELLINGS, tx.ABBREVIATIONS, Path(tx.__file__)):
        h.update(f.read_bytes())
    return h.hexdigest()[:20]


def external_vocabulary(cache_dir: Path | None = None) -> Path:
    """A SQLite file with the MONDO, CL and UBERON part of the link vocabulary (terms, names, postings).

    Built once and reused: per process (a temporary file), across builds in `cache_dir` (the store's
    .search-cache folder) when given, and across stores in the user's cache (graph.paths.user_cache).
    Its content depends only on the package's ontology files and on the normaliser (text.py and its
    data files), which the file name hashes.
    """
    import atexit
    import shutil
    import tempfile

    from msckg.graph.paths import user_cache

    key = _base_key()
    if cache_dir is not None:
        cached = Path(cache_dir) / f"link-vocabulary-{key}.sqlite"
        if cached.exists():
            return cached
    shared = user_cache()
    if key in _BASE_FILES and _BASE_FILES[key].exists():
        path = _BASE_FILES[key]
    elif shared is not None and (shared / f"link-vocabulary-{key}.sqlite").exists():
        path = shared / f"link-vocabulary-{key}.sqlite"  # built for another store of this user
    else:
        tmpdir = Path(tempfile.mkdtemp(prefix="msckg-vocab-"))
        atexit.register(shutil.rmtree, tmpdir, True)
        path = tmpdir / f"link-vocabulary-{key}.sqlite"
        _write_base(path)
        _BASE_FILES[key] = path
        if shared is not None:
            _keep(path, shared, key)
    if cache_dir is not None:
        _keep(path, Path(cache_dir), key)
    return path


def _keep(path: Path, folder: Path, key: str) -> None:
    """Copy a built link vocabulary into a cache folder (atomically), replacing older ones."""
    import os
    import shutil

    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("link-vocabulary-*.sqlite"):
            if old.name != f"link-vocabulary-{key}.sqlite":
                old.unlink()
        tmp = folder / f".link-vocabulary-{key}.{os.getpid()}.tmp"
        shutil.copyfile(path, tmp)
        os.replace(tmp, folder / f"link-vocabulary-{key}.sqlite")
    except OSError:
        pass  # a cache that cannot be written costs time, never correctness


def _write_base(path: Path) -> None:
    rows = []
    for name, terms in ExternalOntologies.data().items():
        for curie, t in terms.items():
            if t.get("deprecated") or not t.get("label"):
                continue
            rows.append((obo_iri(curie), curie, t["label"], list(t.get("synonyms") or []), len(t.get("ancestors") or ())))
    rows.sort()
    term_rows, name_rows = [], []
    postings: dict[str, list[int]] = {}
    abbrev = tx.Abbreviations.builtin()
    for tid, (iri, curie, label, syns, depth) in enumerate(rows):
        term_rows.append((tid, iri, curie, label, curie.split(":", 1)[0], 0, 0, depth))
        seen = set()
        # an acronym synonym (ITP, GVHD) also stands for its spellings out in abbreviations.tsv
        spelt = [e for s in syns if tx.looks_like_abbreviation(s) for e in abbrev.lookup(s)]
        for text, kind in [(label, "label")] + [(s, "synonym") for s in syns + spelt]:
            if text.lower() in seen:
                continue
            seen.add(text.lower())
            toks = _name_tokens(text)
            if not toks:
                continue
            nid = len(name_rows)
            name_rows.append((nid, tid, text, kind, " ".join(toks)))
            for tok in set(toks):
                postings.setdefault(tok, []).append(nid)
    con = sqlite3.connect(path)
    try:
        con.executescript(_VOCAB_SCHEMA + "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")
        con.executemany("INSERT INTO lterm VALUES (?,?,?,?,?,?,?,?)", term_rows)
        con.executemany("INSERT INTO lname VALUES (?,?,?,?,?)", name_rows)
        con.executemany("INSERT INTO lpost VALUES (?,?,?)",
                        [(tok, len(ids), np.array(ids, dtype="<i4").tobytes()) for tok, ids in postings.items()])
        # what every index derives from these rows, once: each name's term, each term's source and flags
        con.execute("CREATE TABLE lbase(name TEXT PRIMARY KEY, data BLOB) WITHOUT ROWID")
        con.executemany("INSERT INTO lbase VALUES (?,?)", [
            ("name_term", np.array([r[1] for r in name_rows], dtype="<i4").tobytes()),
            ("term_source", np.array([SOURCE_CODES.get(r[4], SOURCE_CODES["declared"]) for r in term_rows], dtype="<i1").tobytes()),
            ("term_flags", np.array([(1 if r[5] else 0) | (2 if r[6] else 0) for r in term_rows], dtype="<i1").tobytes())])
        con.commit()
    finally:
        con.close()


_VOCAB_SCHEMA = """
    CREATE TABLE lterm(id INTEGER PRIMARY KEY, iri TEXT, curie TEXT, label TEXT, source TEXT, declared INTEGER, ae INTEGER, depth INTEGER);
    CREATE TABLE lname(id INTEGER PRIMARY KEY, term INTEGER, text TEXT, kind TEXT, tokens TEXT);
    CREATE TABLE lpost(token TEXT PRIMARY KEY, df INTEGER, data BLOB) WITHOUT ROWID;
"""


def _ae_terms(onto: Ontology) -> set[str]:
    terms = set()
    for iri in set(onto.labels) | set(onto.parents):
        if iri in (AE_TERM, OAE_ADVERSE_EVENT) or any(a in (AE_TERM, OAE_ADVERSE_EVENT) for a, _ in onto.ancestors(iri, limit=200)):
            terms.add(iri)
    terms.discard(AE_TERM)
    return terms


def _is_term(onto: Ontology, iri: str) -> bool:
    kinds = onto.types.get(iri, set())
    if kinds & {OWL + "ObjectProperty", OWL + "DatatypeProperty", OWL + "AnnotationProperty", OWL + "Ontology"}:
        return False
    return bool(kinds & {OWL + "Class", OWL + "NamedIndividual"}) or iri in onto.parents or bool(kinds)


def write_link_tables(con: sqlite3.Connection, nodes: dict, onto: Ontology, builder, cache_dir: Path | None = None) -> dict:
    """Write the link vocabulary, its postings and the pending link tasks; return link metadata.

    The MONDO/CL/UBERON part is copied from `external_vocabulary()`; the declared terms of the
    ontology files (and the adverse-event term classes) are then merged in: flags set on the
    external terms they declare, new terms and names appended, postings extended.
    """
    con.executescript(_VOCAB_SCHEMA + """
        CREATE TABLE larray(name TEXT PRIMARY KEY, data BLOB) WITHOUT ROWID;
        CREATE TABLE ltask(id INTEGER PRIMARY KEY, iri TEXT, curie TEXT, label TEXT, slot TEXT, texts TEXT, scope TEXT);
    """)
    arrays = {"name_term": np.zeros(0, dtype="<i4"), "term_source": np.zeros(0, dtype="<i1"), "term_flags": np.zeros(0, dtype="<i1")}
    if ExternalOntologies.available():
        base = external_vocabulary(cache_dir)
        con.commit()
        con.execute("ATTACH DATABASE ? AS base", (str(base),))
        for table in ("lterm", "lname", "lpost"):
            con.execute(f"INSERT INTO main.{table} SELECT * FROM base.{table}")
        for name, data in con.execute("SELECT name, data FROM base.lbase"):
            arrays[name] = np.frombuffer(data, dtype=arrays[name].dtype)
        con.commit()
        con.execute("DETACH DATABASE base")
    n_terms = con.execute("SELECT COUNT(*) FROM lterm").fetchone()[0]
    n_names = con.execute("SELECT COUNT(*) FROM lname").fetchone()[0]
    ae = _ae_terms(onto)
    declared_iris = []
    for iri, label in onto.labels.items():
        local = iri.startswith(M)
        if iri.startswith(ID) or (local and iri not in ae):
            continue
        if not _is_term(onto, iri) and iri not in ae:
            continue
        declared_iris.append(iri)
    existing = {}
    for i in range(0, len(declared_iris), 500):
        chunk = declared_iris[i:i + 500]
        existing.update({iri: tid for tid, iri in con.execute(
            f"SELECT id, iri FROM lterm WHERE iri IN ({','.join('?' * len(chunk))})", chunk)})
    known_names: dict[int, set[str]] = {}  # the names the external terms declared here already have (one scan per 500)
    tids = sorted(existing.values())
    for i in range(0, len(tids), 500):
        chunk = tids[i:i + 500]
        for term, text in con.execute(f"SELECT term, text FROM lname WHERE term IN ({','.join('?' * len(chunk))})", chunk):
            known_names.setdefault(term, set()).add(text.lower())
    extra_post: dict[str, list[int]] = {}
    new_terms, new_names, updates = [], [], []
    for iri in sorted(declared_iris):
        label = onto.labels[iri]
        local = iri.startswith(M)
        names = [(label, "label")] + [(s, "synonym") for s in onto.synonyms.get(iri, [])]
        if iri in existing:
            tid = existing[iri]
            have = set(known_names.get(tid, ()))
            updates.append((0 if local else 1, 1 if iri in ae else 0, tid))
        else:
            tid = n_terms
            n_terms += 1
            curie = onto.curie(iri)
            prefix = curie.split(":", 1)[0] if ":" in curie and not curie.startswith("http") else "declared"
            source = "msckg" if local else (prefix if prefix in EXTERNAL_ONTOLOGIES else "declared")
            new_terms.append((tid, iri, curie, label, source, 0 if local else 1, 1 if iri in ae else 0,
                              len(onto.ancestors(iri, limit=200))))
            have = set()
        extra: list[tuple[str, str]] = []
        for n, k in names:
            if n.lower() not in have:
                extra.append((n, k if not have and not extra else "synonym"))
                have.add(n.lower())
        # abbreviations spelt out, and camel-case identifiers split (schema:ScholarlyArticle)
        for n, _k in [(label, "label")] + list(extra):
            split = tx.split_identifier(n)
            if split != n and split.lower() not in have:
                extra.append((split, "synonym"))
                have.add(split.lower())
            for exp, _used in builder.abbrev.expand(n, variants=1):
                if exp.lower() not in have:
                    extra.append((exp, "synonym"))
                    have.add(exp.lower())
        for text, kind in extra:
            toks = _name_tokens(text)
            if toks:
                new_names.append((n_names, tid, text, kind, " ".join(toks)))
                for tok in set(toks):
                    extra_post.setdefault(tok, []).append(n_names)
                n_names += 1
    con.executemany("UPDATE lterm SET declared = ?, ae = ? WHERE id = ?", updates)
    con.executemany("INSERT INTO lterm VALUES (?,?,?,?,?,?,?,?)", new_terms)
    con.executemany("INSERT INTO lname VALUES (?,?,?,?,?)", new_names)
    post_rows = []
    for tok, ids in extra_post.items():
        row = con.execute("SELECT data FROM lpost WHERE token = ?", (tok,)).fetchone()
        old = np.frombuffer(row[0], dtype="<i4") if row else np.zeros(0, dtype="<i4")
        merged = np.concatenate([old, np.array(ids, dtype="<i4")])
        post_rows.append((tok, len(merged), merged.tobytes()))
    con.executemany("INSERT OR REPLACE INTO lpost VALUES (?,?,?)", post_rows)
    # the arrays over every name and term: the base vocabulary's, then the declared terms' updates and additions
    name_term = np.concatenate([arrays["name_term"], np.array([r[1] for r in new_names], dtype="<i4")])
    term_source = np.concatenate([arrays["term_source"], np.array(
        [SOURCE_CODES.get(r[4], SOURCE_CODES["declared"]) for r in new_terms], dtype="<i1")])
    term_flags = np.concatenate([arrays["term_flags"], np.array(
        [(1 if r[5] else 0) | (2 if r[6] else 0) for r in new_terms], dtype="<i1")])
    for declared, ae_flag, tid in updates:
        term_flags[tid] = (1 if declared else 0) | (2 if ae_flag else 0)
    con.executemany("INSERT INTO larray VALUES (?,?)", [
        ("name_term", name_term.tobytes()), ("term_source", term_source.tobytes()), ("term_flags", term_flags.tobytes())])
    tasks = pending_tasks(nodes, onto, builder)
    con.executemany("INSERT INTO ltask VALUES (?,?,?,?,?,?,?)", [
        (i, t.iri, t.curie, t.label, t.slot, json.dumps(t.texts, ensure_ascii=False), t.scope) for i, t in enumerate(tasks)])
    qualifiers = []
    for iri, kinds in onto.types.items():
        if QUALIFIER_CLASS in kinds and iri in onto.labels:
            for n in [onto.labels[iri]] + onto.synonyms.get(iri, []):
                if tx.normal(n):
                    qualifiers.append([tx.normal(n), onto.curie(iri), n])
    return {"terms": int(n_terms), "names": int(n_names), "tasks": len(tasks),
            "qualifiers": sorted(qualifiers, key=lambda q: (-len(q[0].split()), q[0]))}


def pending_tasks(nodes: dict, onto: Ontology, builder) -> list[Task]:
    """Entities lacking a slot's link, and msckg terms lacking an external exact/close match."""
    tasks = []
    ae = _ae_terms(onto)
    for iri in builder.entities:
        node = nodes[iri]
        closure = set()
        for t in node.types:
            closure.update(onto.class_closure(t))
        for slot in SLOTS:
            if slot.subject_class in closure and not node.links.get(slot.predicate):
                texts = _texts(node, slot, iri)
                if texts:
                    tasks.append(Task(iri, onto.curie(iri), builder.label(iri), slot.name, texts, "data"))
    for iri, label in sorted(onto.labels.items()):
        if not iri.startswith(M) or iri.startswith(ID) or not _is_term(onto, iri):
            continue
        if any(not m.startswith(M) for m in onto.matches.get(iri, ())):
            continue
        names = [(label, 1.0)] + [(s, 1.0) for s in onto.synonyms.get(iri, [])]
        tasks.append(Task(iri, onto.curie(iri), label, "match-ae" if iri in ae else "match", names, "terms"))
    return tasks


def _texts(node, slot: Slot, iri: str) -> list[tuple[str, float]]:
    texts = []
    for pred, w in slot.text_props:
        for v in sorted(node.text.get(pred, [])):
            texts.append((v, w))
    if slot.name == "conditionClass" and iri.startswith(ID):  # the curator's readable key: condition/refractory-itp
        texts.append((iri.rsplit("/", 1)[-1].replace("-", " "), 0.9))
    return texts


# ---------------------------------------------------------------------------------------------
# linking
# ---------------------------------------------------------------------------------------------
@dataclass
class _Variant:
    tokens: list[tuple[str, float]]   # (canonical token, weight)
    factor: float
    notes: list[str]
    exact_ok: bool                     # an exact match on this variant is an exactMatch
    raw: str


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
        self.abbrev = tx.Abbreviations.builtin().copy()
        for a, n, exact in meta.get("abbreviations_learnt", []):
            self.abbrev.add(a, n, exact)
        self.qualifiers = [(q[0].split(), q[1], q[2]) for q in meta["link"].get("qualifiers", [])]
        self.rings: dict[str, list[tuple[dict, str]]] = {}
        for ring in meta.get("rings", []):
            for k in ring["normals"]:
                self.rings.setdefault(k, []).append((ring, k))
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

    # -- text variants --------------------------------------------------------------------------
    def variants(self, text: str) -> list[_Variant]:
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
                out.append(_Variant(head, v.factor * 0.97, v.notes + ["words after 'after', 'for', 'in', 'with'... left out"],
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

    def _weighted(self, text: str, factor: float, notes: list[str], exact_ok: bool) -> _Variant:
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
        return _Variant(list(merged.items()), factor, notes, exact_ok, text)

    def _strip_qualifiers(self, v: _Variant) -> _Variant | None:
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
        return _Variant([(t, weights[t]) for t in toks], v.factor * 0.98, v.notes + [note], False, " ".join(toks))

    def _ring_variants(self, v: _Variant) -> list[_Variant]:
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
                            out.append(_Variant([(t, weights.get(t, w)) for t in new], v.factor * 0.95,
                                                v.notes + [f"'{matched}' read as '{other}' (names of {ring['term']})"], v.exact_ok, " ".join(new)))
            if out:
                return out[:4]
        return out

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
                for v in self.variants(text):
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
                sim, exact = self._similarity(v, name_toks)
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

    def _similarity(self, v: _Variant, name_toks: list[str]) -> tuple[float, bool]:
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
        idf_n = {n: self.idf(n) for n in name_set}
        cover = sum(idf_n[n] * nm[n] for n in name_set) / sum(idf_n.values())
        if cover <= 0:
            return 0.0, False
        tot = matched = 0.0
        for t, w in text:
            it = self.idf(t) * w
            tot += it
            best = 1.0 if t in name_set else max((_match(n, t) for n in name_set), default=0.0)
            if best and tx.shared_stem(t, min(name_set, key=lambda n: -_match(n, t))):
                best *= 0.5  # a derivational relative explains a word only half
            matched += it * best
        explained = matched / tot if tot else 0.0
        return (cover ** 1.5) * (0.4 + 0.6 * explained) * 0.9, False

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


STEM_MATCH, TYPO_MATCH = 0.8, 0.8


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


# ---------------------------------------------------------------------------------------------
# SSSOM output
# ---------------------------------------------------------------------------------------------
SSSOM_COLUMNS = ["subject_id", "subject_label", "predicate_id", "object_id", "object_label", "mapping_justification",
                 "confidence", "subject_category", "match_string", "comment", "author_id", "reviewer_id"]
# free text has no term of its own: SSSOM's sssom:NoTermFound stands for it, the text is the subject_label
NO_TERM_FOUND = "sssom:NoTermFound"


def subject_category(task: Task | None) -> str:
    """The subject's class as a CURIE (SSSOM subject_category), or '' when there is none to state.

    A data task's subject is an instance of its slot's class (msckg:Condition, msckg:CellProduct,
    msckg:AdverseEventCount); an unmatched adverse-event term is an msckg:AdverseEventTerm class;
    other msckg terms and free text get no category.
    """
    if task is None:
        return ""
    slot = SLOT_BY_NAME.get(task.slot)
    if slot is not None and slot.subject_class:
        return "msckg:" + slot.subject_class[len(M):]
    if task.slot == MATCH_AE_SLOT.name:
        return "msckg:" + AE_TERM[len(M):]
    return ""


def sssom_tsv(rows: list[tuple[Task | None, str, Candidate]], prefixes: dict[str, str], set_id: str,
              floor: float | None = None) -> str:
    """Candidate mappings as an SSSOM TSV (YAML metadata in '#' lines, then the table).

    Every row is unreviewed: reviewer_id is empty. Review by filling reviewer_id (e.g. an ORCID
    CURIE) on the rows you accept, and delete or mark `predicate_modifier: Not` the rest; put the
    file in ontology/mappings/ and the next build loads the accepted rows (graph/build/mappings.py).
    """
    today = dt.date.today().isoformat()
    used = {"skos", "semapv", "msckg", "id"}
    body = []
    for task, subject_text, c in rows:
        sid = task.curie if task else NO_TERM_FOUND
        for cid in (sid, c.curie):
            if ":" in cid and not cid.startswith("http"):
                used.add(cid.split(":", 1)[0])
        body.append({
            "subject_id": sid, "subject_label": task.label if task else subject_text, "predicate_id": c.predicate,
            "object_id": c.curie, "object_label": c.label, "mapping_justification": c.justification,
            "confidence": f"{c.confidence:.3f}", "subject_category": subject_category(task),
            "match_string": c.match_string, "comment": "; ".join(c.evidence), "author_id": "", "reviewer_id": "",
        })
    out = io.StringIO()
    out.write("# curie_map:\n")
    for p in sorted(used, key=str.lower):
        if p in prefixes:
            out.write(f"#   {p}: {prefixes[p]}\n")
    out.write(f"# mapping_set_id: {set_id}\n")
    kept = f" Candidates below confidence {floor:.2f} are left out." if floor else ""
    out.write(f"# mapping_set_description: \"Candidate mappings proposed by 'msckg link'; unreviewed. Fill reviewer_id on accepted rows.{kept}\"\n")
    out.write("# license: https://creativecommons.org/licenses/by/4.0/\n")
    out.write(f"# mapping_date: {today}\n")
    out.write("# mapping_tool: msckg link\n")
    w = csv.DictWriter(out, fieldnames=SSSOM_COLUMNS, delimiter="\t", lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in body:
        w.writerow({k: " ".join(str(v).split()) for k, v in r.items()})
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# hold-out evaluation: remove the graph's own links, propose, compare
# ---------------------------------------------------------------------------------------------
def gold_links(store) -> tuple[list[tuple[str, str, set[str], str]], list]:
    """The graph's own links to external/AE terms: [(subject, slot, {targets}, category)] and their quads."""
    import pyoxigraph as ox

    from .dataset import read_dataset

    nodes, onto = read_dataset(store)
    ae = _ae_terms(onto)
    gold: dict[tuple[str, str], set[str]] = {}
    cats: dict[tuple[str, str], str] = {}
    drop = []
    known = set(onto.labels)

    def resolvable(o: str) -> bool:
        c = onto.curie(o)
        return o in known or (c.split(":", 1)[0] in EXTERNAL_ONTOLOGIES and ExternalOntologies.term(c) is not None)

    for iri, node in nodes.items():
        if iri.startswith(ID):
            for slot in SLOTS:
                for o in node.links.get(slot.predicate, []):
                    if slot.name == "eventClass":
                        cat = "eventClass (local AE class)" if o.startswith(M) else "eventClass (external term)"
                        if o not in ae:
                            continue
                    else:
                        cat = slot.name
                        if not resolvable(o):
                            continue
                    gold.setdefault((iri, slot.name), set()).add(o)
                    cats[(iri, slot.name)] = cat
                    drop.append((iri, slot.predicate, o))
        elif iri.startswith(M) and _is_term(onto, iri):
            for pred in (EXACT, CLOSE):
                for o in node.links.get(pred, []):
                    if not o.startswith(M) and resolvable(o):
                        slot = "match-ae" if iri in ae else "match"
                        gold.setdefault((iri, slot), set()).add(o)
                        cats[(iri, slot)] = "ontology term alignment"
                        drop.append((iri, pred, o))
    return [(s, sl, t, cats[(s, sl)]) for (s, sl), t in sorted(gold.items())], drop


def store_without(store, drop: list[tuple[str, str, str]]):
    """A copy of an Oxigraph store without the given (subject, predicate, object) triples, in any graph."""
    import pyoxigraph as ox

    dropped = set(drop)
    out = ox.Store()
    quads = [q for q in store.quads_for_pattern(None, None, None, None)
             if not (isinstance(q.object, ox.NamedNode) and (q.subject.value, q.predicate.value, q.object.value) in dropped)]
    out.extend(quads)
    return out


def holdout_rate(linker: Linker, gold: list[tuple[str, str, set[str], str]], prefer_declared: bool = True) -> dict:
    """Share of held-out links whose first proposal is a right term, overall and per category."""
    tasks = {(t.iri, t.slot): t for t in linker.tasks("all")}
    per: dict[str, list[int]] = {}
    misses = []
    for subject, slot, targets, cat in gold:
        task = tasks.get((subject, slot))
        ok = 0
        top = None
        if task is not None:
            cands = linker.link_task(task, limit=1, prefer_declared=prefer_declared)
            top = cands[0].iri if cands else None
            ok = int(top in targets)
        per.setdefault(cat, []).append(ok)
        if not ok:
            misses.append((subject, slot, sorted(targets), top))
    allv = [x for v in per.values() for x in v]
    return {"overall": sum(allv) / len(allv) if allv else 0.0, "n": len(allv),
            "categories": {k: {"rate": sum(v) / len(v), "n": len(v)} for k, v in sorted(per.items())}, "misses": misses}
