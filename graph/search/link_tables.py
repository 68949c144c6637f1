"""The link tables of a search index: the vocabulary with the ontology's declared terms merged in, and the pending link tasks."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np

from . import text as tx
from .expand import EXTERNAL_ONTOLOGIES, ID, ExternalOntologies, Ontology
from .link_slots import AE_TERM, OAE_ADVERSE_EVENT, OWL, QUALIFIER_CLASS, SLOTS, SOURCE_CODES, M, Slot, Task
from .link_vocabulary import VOCAB_SCHEMA, external_vocabulary, name_tokens


def ae_terms(onto: Ontology) -> set[str]:
    terms = set()
    for iri in set(onto.labels) | set(onto.parents):
        if iri in (AE_TERM, OAE_ADVERSE_EVENT) or any(a in (AE_TERM, OAE_ADVERSE_EVENT) for a, _ in onto.ancestors(iri, limit=200)):
            terms.add(iri)
    terms.discard(AE_TERM)
    return terms


def is_term(onto: Ontology, iri: str) -> bool:
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
    con.executescript(VOCAB_SCHEMA + """
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
    ae = ae_terms(onto)
    declared_iris = []
    for iri, label in onto.labels.items():
        local = iri.startswith(M)
        if iri.startswith(ID) or (local and iri not in ae):
            continue
        if not is_term(onto, iri) and iri not in ae:
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
            toks = name_tokens(text)
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
    ae = ae_terms(onto)
    for iri in builder.entities:
        node = nodes[iri]
        closure = set()
        for t in node.types:
            closure.update(onto.class_closure(t))
        for slot in SLOTS:
            if slot.subject_class in closure and not node.links.get(slot.predicate):
                texts = _texts(node, slot, iri)
                if texts:
                    tasks.append(Task(iri, onto.curie(iri), builder.labels.label(iri), slot.name, texts, "data"))
    for iri, label in sorted(onto.labels.items()):
        if not iri.startswith(M) or iri.startswith(ID) or not is_term(onto, iri):
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


