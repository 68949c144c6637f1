"""The ontologies behind search: labels, synonyms, definitions and ancestors of every term in use.

Two sources, merged per term:

- the ontology graph in the store (ontology/*.ttl: msckg classes and controlled values, the
  adverse-event term hierarchy, the declared external OAE/HP/NCIT/OBI/... terms): rdfs:label,
  skos:altLabel, skos:definition, rdfs:subClassOf, skos:exactMatch/closeMatch;
- MONDO, CL and UBERON from the `cellxgene-ontology-guide` package (offline, shipped with it):
  label, synonyms, description and the full ancestor closure with distances.

`Ontology.ancestors(iri)` walks both (a declared term's parents and, for MONDO/CL/UBERON, the
package's closure), so a condition filed under MONDO:0008558 (autoimmune thrombocytopenic
purpura) is found by 'autoimmune disease', and an adverse-event count filed under
msckg:AE_CerebralHaemorrhage by 'bleeding' (an alternative label of msckg:AE_Haemorrhage).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

OBO = "http://purl.obolibrary.org/obo/"
MSCKG = "https://w3id.org/msckg/"
ID = MSCKG + "id/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
OWL = "http://www.w3.org/2002/07/owl#"
LABEL = RDFS + "label"
SUBCLASS = RDFS + "subClassOf"
ALT_LABEL = SKOS + "altLabel"
DEFINITION = SKOS + "definition"
EXACT = SKOS + "exactMatch"
CLOSE = SKOS + "closeMatch"
EXTERNAL_ONTOLOGIES = ("MONDO", "CL", "UBERON")
_OBO_ID = re.compile(r"^http://purl\.obolibrary\.org/obo/([A-Za-z]+)_([0-9A-Za-z]+)$")


def obo_curie(iri: str) -> str | None:
    """'http://purl.obolibrary.org/obo/MONDO_0008558' -> 'MONDO:0008558' (None for other IRIs)."""
    m = _OBO_ID.match(iri)
    return f"{m.group(1)}:{m.group(2)}" if m else None


def obo_iri(curie: str) -> str:
    prefix, local = curie.split(":", 1)
    return f"{OBO}{prefix}_{local}"


class ExternalOntologies:
    """MONDO, CL and UBERON terms from cellxgene-ontology-guide (loaded lazily, once per process).

    Within `memo(folder)`, every term looked up is also kept in a small JSON file of that folder (keyed by the
    package's versions), so a later build that looks up the same terms never loads the package's ontology
    files (0.4-0.8 s each build on this machine, docs/decisions/0133)."""

    _data: dict[str, dict] | None = None
    _loaded: dict[str, dict] = {}
    _versions: dict[str, str] = {}
    _schema = None
    _memo: dict[str, dict | None] | None = None
    _memo_new = False

    @classmethod
    def available(cls) -> bool:
        try:
            import cellxgene_ontology_guide  # noqa: F401
        except ImportError:
            return False
        return True

    @classmethod
    def _cxg(cls):
        if cls._schema is None:
            from cellxgene_ontology_guide.supported_versions import CXGSchema

            cls._schema = CXGSchema()
        return cls._schema

    @classmethod
    def _ontology(cls, name: str) -> dict:
        if name not in cls._loaded:
            cls._loaded[name] = cls._cxg().ontology(name) if cls.available() else {}
        return cls._loaded[name]

    @classmethod
    def data(cls) -> dict[str, dict]:
        """{ontology name: {CURIE: term dict}}; {} when the package is missing."""
        if cls._data is None:
            cls._data = {name: cls._ontology(name) for name in EXTERNAL_ONTOLOGIES} if cls.available() else {}
        return cls._data

    @classmethod
    def versions(cls) -> dict[str, str]:
        if not cls._versions and cls.available():
            schema = cls._cxg()
            for name in EXTERNAL_ONTOLOGIES:
                cls._versions[name] = str(getattr(schema, "ontology_file_names", {}).get(name, ""))
            cls._versions["schema"] = str(schema.version)
        return dict(cls._versions)

    @classmethod
    def term(cls, curie: str) -> dict | None:
        if cls._memo is not None and curie in cls._memo:
            return cls._memo[curie]
        prefix = curie.split(":", 1)[0]
        onto = cls._ontology(prefix) if prefix in EXTERNAL_ONTOLOGIES else None
        found = onto.get(curie) if onto else None
        if cls._memo is not None:
            cls._memo[curie] = found
            cls._memo_new = True
        return found

    @classmethod
    @contextmanager
    def memo(cls, folder: Path | None, shared: Path | None = None):
        """Keep the terms looked up meanwhile in `folder` (None: no memo), and answer from what it kept; a `shared`
        folder (the user's cache) gives a new store the terms another store already looked up, and gets its new ones."""
        if folder is None or not cls.available() or cls._memo is not None:
            yield
            return
        from importlib.metadata import version

        key = hashlib.sha256(json.dumps([version("cellxgene-ontology-guide"), cls.versions()], sort_keys=True).encode())
        name = f"external-terms-{key.hexdigest()[:16]}.json"
        places = [Path(folder) / name] + ([Path(shared) / name] if shared is not None else [])
        cls._memo, local = {}, False
        for i, path in enumerate(places):
            try:
                cls._memo = json.loads(path.read_text(encoding="utf-8"))
                local = i == 0
                break
            except (OSError, ValueError):
                continue
        cls._memo_new = False
        try:
            yield
            if cls._memo_new or not local:
                for path in places if cls._memo_new else places[:1]:
                    _write_memo(path, cls._memo)
        finally:
            cls._memo = None


def _write_memo(path: Path, memo: dict) -> None:
    """Write a memo of external terms atomically, replacing older ones (other keys) in its folder."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob("external-terms-*.json"):
            if old.name != path.name:
                old.unlink(missing_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(memo, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a memo that cannot be written costs time, never correctness


@dataclass
class Term:
    """What search needs to know about one ontology term."""

    iri: str
    curie: str
    label: str
    synonyms: list[str] = field(default_factory=list)
    definition: str = ""


class Ontology:
    """Labels, synonyms, definitions and the class hierarchy of the terms a dataset uses."""

    def __init__(self) -> None:
        self.labels: dict[str, str] = {}
        self.synonyms: dict[str, list[str]] = {}
        self.definitions: dict[str, str] = {}
        self.parents: dict[str, set[str]] = {}
        self.matches: dict[str, set[str]] = {}
        self.types: dict[str, set[str]] = {}
        self._prefixes: list[tuple[str, str]] = []
        self._cache: dict[str, Term | None] = {}
        self._anc: dict[tuple[str, int], list[tuple[str, int]]] = {}

    # -- reading -------------------------------------------------------------------------------
    def add_triple(self, s: str, p: str, o: str, is_literal: bool) -> None:
        """Feed one triple about a term (subject outside the data namespace)."""
        if is_literal:
            if p == LABEL:
                # the shortest label, the first in code-point order among equals: the same whatever the
                # order the triples are read in (a store, an N-Quads file: graph/search/dataset.py)
                if s not in self.labels or (len(o), o) < (len(self.labels[s]), self.labels[s]):
                    if s in self.labels:
                        self.synonyms.setdefault(s, []).append(self.labels[s])
                    self.labels[s] = o
                else:
                    self.synonyms.setdefault(s, []).append(o)
            elif p == ALT_LABEL:
                self.synonyms.setdefault(s, []).append(o)
            elif p == DEFINITION and (s not in self.definitions or o < self.definitions[s]):
                self.definitions[s] = o
        else:
            if p == SUBCLASS:
                self.parents.setdefault(s, set()).add(o)
            elif p in (EXACT, CLOSE):
                self.matches.setdefault(s, set()).add(o)
            elif p == RDF_TYPE:
                self.types.setdefault(s, set()).add(o)

    def settle(self) -> None:
        """Put each term's synonyms in code-point order, once every triple is read (order-independent reading)."""
        for names in self.synonyms.values():
            names.sort()

    def set_prefixes(self, prefixes: dict[str, str]) -> None:
        """CURIE prefixes (longest namespace first) for display."""
        self._prefixes = sorted(((ns, p) for p, ns in prefixes.items()), key=lambda x: -len(x[0]))

    # -- lookups -------------------------------------------------------------------------------
    def curie(self, iri: str) -> str:
        c = obo_curie(iri)
        if c:
            return c
        for ns, p in self._prefixes:
            if iri.startswith(ns) and len(iri) > len(ns):
                return f"{p}:{iri[len(ns):]}"
        return iri

    def term(self, iri: str) -> Term | None:
        """The term's label, synonyms and definition (declared triples first, then MONDO/CL/UBERON)."""
        if iri not in self._cache:
            self._cache[iri] = self._term(iri)
        return self._cache[iri]

    def _term(self, iri: str) -> Term | None:
        label = self.labels.get(iri, "")
        syns = list(self.synonyms.get(iri, []))
        definition = self.definitions.get(iri, "")
        curie = self.curie(iri)
        ext = ExternalOntologies.term(curie) if curie.split(":", 1)[0] in EXTERNAL_ONTOLOGIES else None
        if ext:
            if not label:
                label = ext.get("label", "")
            elif ext.get("label") and ext["label"] != label:
                syns.append(ext["label"])
            syns.extend(ext.get("synonyms") or [])
            definition = definition or (ext.get("description") or "")
        if not label:
            return None
        seen, uniq = {label.lower()}, []
        for s in syns:
            if s and s.lower() not in seen:
                seen.add(s.lower())
                uniq.append(s)
        return Term(iri, curie, label, uniq, definition)

    def ancestors(self, iri: str, limit: int = 40) -> list[tuple[str, int]]:
        """Superclasses of a term with their distance (1 = parent), nearest first, at most `limit`."""
        key = (iri, limit)
        if key not in self._anc:
            self._anc[key] = self._ancestors(iri, limit)
        return self._anc[key]

    def _ancestors(self, iri: str, limit: int) -> list[tuple[str, int]]:
        dist: dict[str, int] = {}
        queue = deque([(iri, 0)])
        while queue:
            node, d = queue.popleft()
            for p in self.parents.get(node, ()):
                if p != iri and (p not in dist or dist[p] > d + 1):
                    dist[p] = d + 1
                    queue.append((p, d + 1))
            curie = obo_curie(node)
            if curie and curie.split(":", 1)[0] in EXTERNAL_ONTOLOGIES:
                ext = ExternalOntologies.term(curie)
                for anc, ad in ((ext or {}).get("ancestors") or {}).items():
                    a_iri = obo_iri(anc)
                    if a_iri != iri and (a_iri not in dist or dist[a_iri] > d + ad):
                        dist[a_iri] = d + ad
                        if a_iri in self.parents:  # a declared ancestor may lead further
                            queue.append((a_iri, d + ad))
        return sorted(dist.items(), key=lambda x: (x[1], x[0]))[:limit]

    def is_a(self, iri: str, ancestor: str) -> bool:
        return iri == ancestor or any(a == ancestor for a, _ in self.ancestors(iri, limit=200))

    def class_closure(self, iri: str) -> list[str]:
        """The class and every superclass declared in the ontology graph (for type filters)."""
        return [iri] + [a for a, _ in self.ancestors(iri, limit=200)]

    def synonym_rings(self) -> dict[str, list[str]]:
        """Terms of the ontology graph with two or more names: {term IRI: [label, alt labels...]}.

        Search uses them to rewrite a query ('children' -> 'paediatric', 'bleeding' ->
        'haemorrhage', 'pyrexia' -> 'fever') so that entities labelled with another name of the
        same term are found too.
        """
        rings = {}
        for iri, label in self.labels.items():
            syns = self.synonyms.get(iri, [])
            if syns:
                rings[iri] = [label] + [s for s in syns if s != label]
        return rings
