"""The search index: built once per build from the whole dataset, read by search and link.

`write_index(store, folder)` is called by graph.build.run with the new generation's store, the
N-Quads file it was loaded from (read instead of the store: docs/decisions/0162) and that
generation's `search` folder, so the index goes live with the store in the same atomic swap. It writes:

- `index.sqlite`: one row per entity (IRI, display label, most specific type, its indexed
  fields with weight and provenance), the token table (token -> document frequency and its
  rows in postings.npy), a class -> members table for `--type`, the metadata (abbreviations learnt
  from the graph, synonym rings of the ontology, versions), and the link vocabulary and link
  tasks (see link_tables.py);
  Adjacent word pairs of each field are posted too, so a field holding the query's words in
  the query's order (a phrase) can be told from one that holds them scattered;
- `postings.npy`: the packed (entity, field, words in the field, weight) records of every token,
  sorted by token then entity (indexfile.py), memory-mapped by the reader;
- `embeddings.npy`: one unit vector per entity, only when an embedder is available (the
  `embeddings` extra); the model's name is recorded so vectors of another model are never mixed.

What each entity's fields are, and their weights: entity_fields.py.
"""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import time
from array import array
from collections import defaultdict
from pathlib import Path

import numpy as np

from . import text as tx
from .dataset import read_dataset
from .entity_fields import EVIDENCE_PRIOR, LOW_PRIOR, MAX_FIELDS, IndexBuilder
from .expand import ExternalOntologies, Ontology
from .indexfile import EMBEDDINGS_FILE, FORMAT_VERSION, INDEX_FILE, POSTING, POSTINGS_FILE


def write_index(store, folder: Path, *, embedder="auto", link_vocabulary: bool = True, cache_dir: Path | None = None,
                quads=None) -> dict:
    """Build the search (and link) index of the dataset in `store` into `folder`.

    `store` is a pyoxigraph.Store (all graphs are read, as their union); `embedder` is 'auto'
    (the local model when the embeddings extra is installed), None, or an Embedder. The
    MONDO/CL/UBERON link vocabulary is reused from `cache_dir` (default: the store's
    `.search-cache` folder when `folder` is a generation's search folder) or the user's cache
    (graph.paths.user_cache). Returns a summary (entities, tokens, postings, seconds, mode). `quads`:
    the store's quads from elsewhere (its N-Quads file), read instead of the store (dataset.read_dataset).

    The cyclic garbage collector is paused meanwhile: the index is millions of small lists and
    dicts without reference cycles, and collecting would rescan them all again and again.
    """
    enabled = gc.isenabled()
    gc.disable()
    shared = None
    if cache_dir is None and Path(folder).parent.name.startswith("gen-"):
        from msckg.graph.paths import user_cache

        cache_dir, shared = Path(folder).parent.parent / ".search-cache", user_cache()
    try:
        with ExternalOntologies.memo(cache_dir, shared):
            return _write_index(store, folder, embedder=embedder, link_vocabulary=link_vocabulary, cache_dir=cache_dir,
                                quads=quads)
    finally:
        if enabled:
            gc.enable()


def _write_index(store, folder: Path, *, embedder, link_vocabulary: bool, cache_dir: Path | None, quads=None) -> dict:
    from .embed import resolve

    t0 = time.perf_counter()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    nodes, onto = read_dataset(store, quads)
    builder = IndexBuilder(nodes, onto)
    entities = builder.entities
    n_entities = len(entities)
    table = builder.table
    # 1. each entity's fields (ids), its label, type, static rank and classes
    flat = array("i")
    counts = np.zeros(n_entities, dtype=np.int64)
    labels, spec_types, priors = [], [], np.ones(n_entities, dtype="<f4")
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for eid, iri in enumerate(entities):
        node = nodes[iri]
        ids = builder.field_ids(iri)
        flat.extend(ids)
        counts[eid] = len(ids)
        labels.append(builder.labels.label(iri))
        spec = builder.labels.specific_type(node)
        spec_types.append(onto.curie(spec) if spec else "")
        closure = builder.closure(node)
        groups[closure].append(eid)
    type_members: dict[str, list[int]] = defaultdict(list)
    for closure, eids in groups.items():
        if LOW_PRIOR.intersection(closure):
            priors[eids] = EVIDENCE_PRIOR
        for c in closure:
            type_members[c].extend(eids)
    # 2. order each entity's fields (weight down, kind, text) and cap them: one sort over all entities
    fids = np.frombuffer(flat, dtype=np.int32).astype(np.int64) if len(flat) else np.zeros(0, dtype=np.int64)
    del flat
    ent = np.repeat(np.arange(n_entities, dtype=np.int64), counts)
    rank = table.sort_rank()
    order = np.argsort(ent * max(len(rank), 1) + rank[fids]) if len(fids) else np.zeros(0, dtype=np.int64)
    ent, fids = ent[order], fids[order]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]) if n_entities else np.zeros(0, dtype=np.int64)
    local = np.arange(len(ent), dtype=np.int64) - starts[ent] if len(ent) else np.zeros(0, dtype=np.int64)
    keep = local < MAX_FIELDS
    ent, fids, local = ent[keep].astype(np.int32), fids[keep].astype(np.int32), local[keep].astype(np.int32)
    del order, keep
    # 3. tokens of every field in use, once
    vocab: dict[str, int] = {}
    used = np.unique(fids)
    tok_len = np.zeros(len(table.fields), dtype=np.int64)
    n_words = np.zeros(len(table.fields), dtype="<i2")
    tok_flat = array("i")
    tok_ptr = np.zeros(len(table.fields), dtype=np.int64)
    for fid in used.tolist():
        seq = tx.content_terms(table.fields[fid].text)
        if not seq:
            continue
        # words then bigrams in the order they occur (a set's order would change with PYTHONHASHSEED, and with it
        # every token id and the bytes of postings.npy: the index's bytes depend on the dataset alone)
        allt = dict.fromkeys(seq)
        n_words[fid] = min(len(allt), 32767)
        allt.update(dict.fromkeys(tx.bigrams(seq)))
        tok_ptr[fid] = len(tok_flat)
        tok_len[fid] = len(allt)
        tok_flat.extend(vocab.setdefault(t, len(vocab)) for t in allt)
    tok_ids = np.frombuffer(tok_flat, dtype=np.int32) if len(tok_flat) else np.zeros(0, dtype=np.int32)
    weights = np.array(table.weight, dtype="<f4")
    # 4. postings: (entity, field, words in the field, weight) per token, sorted by token then entity
    # (one row per token of each kept field; `pair` says which (entity, field) a row comes from, so
    # only one row-sized index is gathered through the sort instead of one per column)
    per = tok_len[fids]
    n_rows = int(per.sum())
    offs = np.repeat(tok_ptr[fids] - (np.cumsum(per) - per), per)
    offs += np.arange(n_rows, dtype=np.int64)
    T = tok_ids[offs]
    del offs
    order = np.argsort(T, kind="stable")
    T = T[order]
    pair = np.repeat(np.arange(len(fids), dtype=np.int32 if len(fids) < 2**31 else np.int64), per)[order]
    del order
    rows = np.empty(n_rows, dtype=POSTING)
    rows["e"] = ent[pair]
    rows["f"] = local[pair]
    row_fid = fids[pair]
    del pair
    rows["n"] = n_words[row_fid]
    rows["w"] = weights[row_fid]
    del row_fid
    tokens = sorted(vocab, key=vocab.get)
    is_word = np.array([" " not in t for t in tokens], dtype=bool)
    bounds = np.searchsorted(T, np.arange(len(tokens) + 1))
    # a word's document frequency: the distinct entities among its postings (bigrams get 0)
    if n_rows:
        new = np.ones(n_rows, dtype=bool)
        new[1:] = (T[1:] != T[:-1]) | (rows["e"][1:] != rows["e"][:-1])
        df = np.bincount(T[new], minlength=len(tokens))
        del new
    else:
        df = np.zeros(len(tokens), dtype=np.int64)
    del T
    n_postings = int(np.diff(bounds)[is_word].sum()) if len(tokens) else 0
    # each entity's stored fields (those with words, strongest first) as JSON, each field's part written once
    has_words = tok_len[fids] > 0
    stored_fids, stored_ent = fids[has_words], ent[has_words]
    cuts = np.searchsorted(stored_ent, np.arange(n_entities + 1))
    part: dict[int, str] = {}
    for fid in np.unique(stored_fids).tolist():
        f = table.fields[fid]
        part[fid] = json.dumps([f.kind, round(f.weight, 4), f.text[:500], f.detail[:400]], ensure_ascii=False)

    emb, emb_note = resolve(embedder)
    _save(folder / POSTINGS_FILE, rows)  # before the SQLite file that points into it
    tmp = folder / (INDEX_FILE + ".tmp")
    if tmp.exists():
        tmp.unlink()
    con = sqlite3.connect(tmp)
    try:
        con.executescript(SCHEMA)
        con.execute("INSERT INTO arrays VALUES (?, ?)", ("prior", priors.tobytes()))
        con.executemany("INSERT INTO entity VALUES (?,?,?,?,?)", (
            (eid, entities[eid], labels[eid], spec_types[eid],
             "[" + ", ".join([part[f] for f in stored_fids[cuts[eid]:cuts[eid + 1]].tolist()]) + "]")
            for eid in range(n_entities)))
        con.executemany("INSERT INTO posting VALUES (?,?,?,?)", (
            (tok, int(df[i]) if is_word[i] else 0, int(bounds[i]), int(bounds[i + 1])) for i, tok in enumerate(tokens)))
        del rows, part
        con.executemany("INSERT INTO typeidx VALUES (?,?,?,?)", [
            (c, onto.curie(c), builder.labels.term_label(c), np.array(sorted(set(ids)), dtype="<i4").tobytes())
            for c, ids in type_members.items()])
        meta = {
            "format": FORMAT_VERSION,
            "built": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "entities": n_entities,
            "tokens": int(is_word.sum()),
            "postings": n_postings,
            "abbreviations_learnt": builder.learnt,
            "rings": _rings(onto),
            "external_ontologies": ExternalOntologies.versions() if ExternalOntologies.available() else {},
            "embedder": getattr(emb, "name", None),
            "embedder_note": emb_note,
        }
        if link_vocabulary:
            from .link_tables import write_link_tables

            if cache_dir is None and folder.parent.name.startswith("gen-"):
                cache_dir = folder.parent.parent / ".search-cache"
            meta["link"] = write_link_tables(con, nodes, onto, builder, cache_dir)
        con.executemany("INSERT INTO meta VALUES (?,?)", [(k, json.dumps(v, ensure_ascii=False)) for k, v in meta.items()])
        con.commit()
    finally:
        con.close()
    os.replace(tmp, folder / INDEX_FILE)
    emb_path = folder / EMBEDDINGS_FILE
    if emb is not None:
        cut = np.searchsorted(ent, np.arange(n_entities + 1))
        sem_texts = [builder.semantic_text(iri, [table.fields[f] for f in fids[cut[i]:cut[i + 1]].tolist()])
                     for i, iri in enumerate(entities)]
        vecs = emb.embed(sem_texts) if sem_texts else np.zeros((0, 1), dtype=np.float32)
        np.save(emb_path, np.asarray(vecs, dtype=np.float32))
    elif emb_path.exists():
        emb_path.unlink()
    return {"entities": n_entities, "tokens": meta["tokens"], "postings": meta["postings"],
            "seconds": round(time.perf_counter() - t0, 2), "embedder": meta["embedder"]}


SCHEMA = """
    PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
    CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
    CREATE TABLE entity(id INTEGER PRIMARY KEY, iri TEXT NOT NULL, label TEXT, type TEXT, fields TEXT);
    CREATE TABLE posting(token TEXT PRIMARY KEY, df INTEGER, start INTEGER, stop INTEGER) WITHOUT ROWID;
    CREATE TABLE typeidx(class TEXT PRIMARY KEY, curie TEXT, label TEXT, data BLOB) WITHOUT ROWID;
    CREATE TABLE arrays(name TEXT PRIMARY KEY, data BLOB) WITHOUT ROWID;
"""


def _save(path: Path, arr: np.ndarray) -> None:
    """An array as .npy, written beside and renamed into place."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        np.save(fh, arr)
    os.replace(tmp, path)


def _rings(onto: Ontology) -> list[dict]:
    """Synonym rings of the ontology graph, with each name's normal form (for query rewriting)."""
    out = []
    for iri, names in sorted(onto.synonym_rings().items()):
        normals = []
        for n in names:
            k = tx.normal(n)
            if k and k not in normals:
                normals.append(k)
        if len(normals) > 1:
            out.append({"term": onto.curie(iri), "label": names[0], "names": names, "normals": normals})
    return out
