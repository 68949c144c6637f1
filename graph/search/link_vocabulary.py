"""The MONDO/CL/UBERON part of the link vocabulary: built once from the installed ontology data, cached per store and per user."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np

from . import text as tx
from .expand import ExternalOntologies, obo_iri
from .link_slots import SOURCE_CODES

_BASE_FILES: dict[str, Path] = {}
_NAME_TOKENS: dict[str, list[str]] = {}
BASE_FORMAT = 3


def name_tokens(text: str) -> list[str]:
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
            toks = name_tokens(text)
            if not toks:
                continue
            nid = len(name_rows)
            name_rows.append((nid, tid, text, kind, " ".join(toks)))
            for tok in set(toks):
                postings.setdefault(tok, []).append(nid)
    con = sqlite3.connect(path)
    try:
        con.executescript(VOCAB_SCHEMA + "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")
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


VOCAB_SCHEMA = """
    CREATE TABLE lterm(id INTEGER PRIMARY KEY, iri TEXT, curie TEXT, label TEXT, source TEXT, declared INTEGER, ae INTEGER, depth INTEGER);
    CREATE TABLE lname(id INTEGER PRIMARY KEY, term INTEGER, text TEXT, kind TEXT, tokens TEXT);
    CREATE TABLE lpost(token TEXT PRIMARY KEY, df INTEGER, data BLOB) WITHOUT ROWID;
"""

