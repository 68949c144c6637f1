"""Curated YAML records (data/entities, data/records) to RDF: one named graph per file."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import XSD

from . import __version__
from .errors import Problem, SourceError
from .sink import new_graph
from .schema import GRAPH, ID, MSCKG, PROV, FieldSpec, Schema
from .yamlnodes import LIMITS, Mapping, Node, Scalar, Sequence, read_yaml

KEY_PATTERN = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")
INTEGER = re.compile(r"^[+-]?(0|[1-9][0-9]*)$")
DECIMAL = re.compile(r"^[+-]?(0|[1-9][0-9]*)(\.[0-9]+)?$")
PARTIAL_DATE = re.compile(r"^(\d{4})(-(\d{2})(-(\d{2}))?)?$")
INTEGER_TYPES = {XSD.integer, XSD.nonNegativeInteger, XSD.positiveInteger, XSD.int}
TOP_LEVEL = ("document", "entities")


@dataclass(frozen=True)
class KeyInfo:
    """Where an entity key is defined and which classes it is given."""

    key: str
    file: str
    line: int
    types: frozenset[URIRef]


@dataclass
class LoadedRecord:
    """The RDF of one record file and its count of records in, entities out and rejected."""

    path: str
    graph_iri: URIRef
    graph: Graph
    document: URIRef | None
    records_in: int
    entities_out: int
    rejected: int
    problems: list[Problem] = field(default_factory=list)
    keys: list[tuple] = field(default_factory=list)  # curated: (key, line, types, key line, key column) it defines
    refs: dict[str, list[str] | None] = field(default_factory=dict)  # curated: key -> classes it had (None: unknown)


def canonical_decimal(text: str) -> str:
    """The canonical xsd:decimal form stores use (no '+', no trailing zeros): '35.0' -> '35'."""
    text = text.lstrip("+")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def graph_iri_for(path: Path, tree: Node) -> URIRef:
    """The named graph of a record file: the document's key, or entities/<file stem>."""
    if isinstance(tree, Mapping):
        doc = tree.get("document")
        if isinstance(doc, Mapping):
            key = doc.get("key")
            if isinstance(key, Scalar):
                return GRAPH[key.text]
    return GRAPH[f"entities/{path.stem}"]


def _suggest(word: str, options) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _entity_nodes(tree: Node, file: str, problems: list[Problem]) -> list[Mapping]:
    """The mappings of a file that define entities: the document, then each entry of entities."""
    if not isinstance(tree, Mapping):
        problems.append(Problem(file, tree.line, tree.column, "", "the file must be a mapping with 'entities' (and 'document' for a source document)"))
        return []
    out: list[Mapping] = []
    for k, v in tree.items:
        if k.text not in TOP_LEVEL:
            problems.append(Problem(file, k.line, k.column, k.text, f"unknown top-level field '{k.text}'{_suggest(k.text, TOP_LEVEL)}; expected one of {', '.join(TOP_LEVEL)}"))
    doc = tree.get("document")
    if doc is not None:
        if isinstance(doc, Mapping):
            out.append(doc)
        else:
            problems.append(Problem(file, doc.line, doc.column, "document", "must be a mapping"))
    ents = tree.get("entities")
    if ents is None and doc is None:
        problems.append(Problem(file, tree.line, tree.column, "entities", "no 'entities' list in the file"))
    elif ents is not None:
        if not isinstance(ents, Sequence):
            problems.append(Problem(file, ents.line, ents.column, "entities", "must be a list of entities"))
        else:
            for e in ents.items:
                if isinstance(e, Mapping):
                    if _record_too_large(e, file, problems):
                        continue
                    out.append(e)
                else:
                    problems.append(Problem(file, e.line, e.column, "entities", "each entity must be a mapping with key and a"))
    return out


def _entry_count(tree: Node) -> int:
    """How many records a file holds: its document (if any) and every entry of its entities list."""
    if not isinstance(tree, Mapping):
        return 1
    ents = tree.get("entities")
    return (tree.get("document") is not None) + (len(ents.items) if isinstance(ents, Sequence) else 0)


def _record_too_large(m: Mapping, file: str, problems: list[Problem]) -> bool:
    """True (and a problem) when one entity holds more values than LIMITS.record_values."""
    n = sum(len(v.items) if isinstance(v, Sequence) else 1 for _, v in m.items)
    if n <= LIMITS.record_values:
        return False
    key = m.get("key")
    problems.append(Problem(file, m.line, m.column, "", f"an entity with {n:,} values; the limit is {LIMITS.record_values:,} (split it into several entities)",
                            key.text if isinstance(key, Scalar) else ""))
    return True


def _key_and_types(m: Mapping, file: str, schema: Schema, problems: list[Problem]) -> tuple[str | None, set[URIRef]]:
    key_node = m.get("key")
    key = None
    if not isinstance(key_node, Scalar):
        problems.append(Problem(file, m.line, m.column, "key", "every entity needs a 'key'"))
    elif not KEY_PATTERN.match(key_node.text):
        problems.append(Problem(file, key_node.line, key_node.column, "key", f"malformed key '{key_node.text}': use segments of letters, digits, '.', '_' or '-' joined by '/'"))
    else:
        key = key_node.text
    types: set[URIRef] = set()
    a_node = m.get("a")
    if a_node is None:
        problems.append(Problem(file, m.line, m.column, "a", "every entity needs a class in 'a'", key or ""))
    else:
        for item in a_node.items if isinstance(a_node, Sequence) else [a_node]:
            if not isinstance(item, Scalar):
                problems.append(Problem(file, item.line, item.column, "a", "a class name must be text", key or ""))
                continue
            cls = schema.class_named(item.text)
            if cls is None:
                problems.append(Problem(file, item.line, item.column, "a", f"unknown class '{item.text}'{_suggest(item.text, schema.local_classes())}", key or ""))
            else:
                types.add(cls)
    return key, types


def index_entries(tree: Node, display: str, schema: Schema) -> list[tuple]:
    """The keys a parsed file defines: (key, entity line, classes, key line, key column), in file order."""
    out = []
    for m in _entity_nodes(tree, display, []):
        key, types = _key_and_types(m, display, schema, [])
        if key is not None:
            kn = m.get("key")
            out.append((key, m.line, frozenset(types), kn.line, kn.column))
    return out


def _add_entries(index: dict[str, KeyInfo], display: str, entries: list[tuple], problems: list[Problem]) -> None:
    for key, line, types, kline, kcol in entries:
        if key in index:
            first = index[key]
            problems.append(Problem(display, kline, kcol, "key", f"key '{key}' is already defined at {first.file}:{first.line}", key))
            continue
        index[key] = KeyInfo(key, display, line, frozenset(types))


def index_files(paths: list[Path], schema: Schema, root: Path | None = None,
                reuse: Callable[[Path, str], LoadedRecord | None] | None = None
                ) -> tuple[dict[str, KeyInfo], dict[Path, Node], list[Problem]]:
    """First pass over all record files: parse them and index every key (duplicates are problems).

    A file `reuse` gives a record for (an incremental build's unchanged file) is not parsed: the keys
    the record kept stand for it."""
    index: dict[str, KeyInfo] = {}
    trees: dict[Path, Node] = {}
    problems: list[Problem] = []
    for path in paths:
        display = _display(path, root)
        old = reuse(path, display) if reuse else None
        if old is not None:
            _add_entries(index, display, old.keys, problems)
            continue
        try:
            tree = read_yaml(path, display)
        except SourceError as exc:
            problems.extend(exc.problems)
            continue
        trees[path] = tree
        _add_entries(index, display, index_entries(tree, display, schema), problems)
    return index, trees, problems


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


class _Converter:
    """Turns one file's entity mappings into triples, collecting problems."""

    def __init__(self, schema: Schema, index: dict[str, KeyInfo], file: str, graph: Graph):
        self.schema, self.index, self.file, self.graph = schema, index, file, graph
        self.problems: list[Problem] = []
        self.refs: dict[str, list[str] | None] = {}  # every key looked up, and the classes it had: what the graph depends on

    def problem(self, node: Node, fld: str, msg: str, record: str) -> None:
        self.problems.append(Problem(self.file, node.line, node.column, fld, msg, record))

    def literal(self, spec: FieldSpec, v: Scalar, record: str) -> Literal | None:
        rng, text = spec.range, v.text
        if rng in INTEGER_TYPES:
            if not INTEGER.match(text):
                return self.problem(v, spec.name, f"expected a whole number, got '{text}'" + (" (a leading zero is ambiguous: YAML 1.1 reads it as octal)" if re.match(r"^[+-]?0\d", text) else ""), record)
            if rng == XSD.nonNegativeInteger and int(text) < 0 or rng == XSD.positiveInteger and int(text) < 1:
                return self.problem(v, spec.name, f"'{text}' is out of range for {rng.n3()}", record)
            return Literal(text, datatype=rng)
        if rng == XSD.decimal:
            if not DECIMAL.match(text):
                return self.problem(v, spec.name, f"expected a decimal number as printed (e.g. 12.5), got '{text}'", record)
            return Literal(text, datatype=XSD.decimal)
        if rng == XSD.boolean:
            if text not in ("true", "false"):
                return self.problem(v, spec.name, f"expected true or false, got '{text}'", record)
            return Literal(text, datatype=XSD.boolean)
        if rng == MSCKG.PartialDate:
            m = PARTIAL_DATE.match(text)
            if not m:
                return self.problem(v, spec.name, f"expected a date YYYY, YYYY-MM or YYYY-MM-DD, got '{text}'", record)
            try:
                dt.date(int(m.group(1)), int(m.group(3) or 1), int(m.group(5) or 1))
            except ValueError:
                return self.problem(v, spec.name, f"'{text}' is not a real date", record)
            dtype = XSD.date if m.group(5) else XSD.gYearMonth if m.group(3) else XSD.gYear
            return Literal(text, datatype=dtype)
        if v.ambiguous() and not v.text:
            return self.problem(v, spec.name, "no value given (an empty value is null in YAML): quote it as '' if the text is empty, or remove the field", record)
        if v.ambiguous():
            return self.problem(v, spec.name, f"unquoted '{text}' would be read as a boolean, null or number by YAML 1.1 readers; quote it if it is text", record)
        return Literal(text)

    def reference(self, spec: FieldSpec, v: Scalar, record: str) -> URIRef | None:
        text = v.text
        if spec.kind == "url":
            if not re.match(r"^https?://\S+$", text):
                return self.problem(v, spec.name, f"expected an http(s) URL, got '{text}'", record)
            return URIRef(text)
        if re.match(r"^https?://", text) and spec.kind == "external":
            return URIRef(text)
        if ":" in text:
            prefix = text.split(":", 1)[0]
            try:
                iri = URIRef(self.schema.converter.expand_strict(text))
            except Exception:
                return self.problem(v, spec.name, f"unknown prefix '{prefix}' in '{text}'{_suggest(prefix, self.schema.converter.prefix_map)}", record)
            if spec.kind == "object" and iri not in self.schema.declared:
                return self.problem(v, spec.name, f"external term {text} is not declared in the ontology: add it with its label to ontology/terms/*.ttl", record)
            types = self.schema.individuals.get(iri, set())
        elif "/" in text:
            info = self.index.get(text)
            self.refs[text] = None if info is None else sorted(map(str, info.types))
            if info is None:
                return self.problem(v, spec.name, f"no entity with key '{text}' in data/{_suggest(text, self.index)}", record)
            iri, types = ID[text], set(info.types)
        else:
            iri = MSCKG[text]
            if iri not in self.schema.individuals and iri not in self.schema.classes:
                names = [str(i)[len(MSCKG):] for i in self.schema.individuals if str(i).startswith(str(MSCKG))]
                return self.problem(v, spec.name, f"unknown value '{text}'{_suggest(text, names)}", record)
            types = self.schema.individuals.get(iri, set())
        rng = spec.range
        if rng is not None and str(rng).startswith(str(MSCKG)) and types and not self.schema.is_a(types, rng):
            got = ", ".join(sorted(str(t)[len(MSCKG):] for t in types))
            return self.problem(v, spec.name, f"'{text}' is a {got}, but '{spec.name}' expects a {str(rng)[len(MSCKG):]}", record)
        return iri

    def entity(self, m: Mapping, document: URIRef | None) -> bool:
        before = len(self.problems)
        key, types = _key_and_types(m, self.file, self.schema, self.problems)
        record = key or f"(entity at line {m.line})"
        subject = ID[key] if key else None
        triples = []
        for k, v in m.items:
            if k.text in ("key", "a"):
                continue
            spec = self.schema.fields.get(k.text)
            if spec is None:
                self.problem(k, k.text, f"unknown field '{k.text}'{_suggest(k.text, self.schema.fields)}", record)
                continue
            if spec.domain is not None and types and not self.schema.is_a(types, spec.domain):
                self.problem(k, k.text, f"'{k.text}' applies to {str(spec.domain)[len(MSCKG):]}, not to this entity's class", record)
                continue
            values = v.items if isinstance(v, Sequence) else [v]
            for item in values:
                if not isinstance(item, Scalar):
                    self.problem(item, k.text, "expected a value or a list of values", record)
                    continue
                obj = self.literal(spec, item, record) if spec.kind == "data" else self.reference(spec, item, record)
                if obj is not None:
                    triples.append((spec.iri, obj))
                    if spec.range == XSD.decimal and canonical_decimal(item.text) != item.text:
                        triples.append((MSCKG.asPrinted, Literal(f"{spec.name}={item.text}")))
        if len(self.problems) > before or subject is None:
            return False
        for t in types:
            self.graph.add((subject, RDF.type, t))
        for p, o in triples:
            self.graph.add((subject, p, o))
        if document is not None and subject != document and self.schema.is_a(types, MSCKG.EvidenceNode):
            if (subject, MSCKG.source, None) not in self.graph:
                self.graph.add((subject, MSCKG.source, document))
        return True


def record_to_graph(path: Path, schema: Schema, index: dict[str, KeyInfo], tree: Node | None = None,
                    root: Path | None = None, load_time: str | None = None) -> LoadedRecord:
    """Convert one record file to a named graph (pure: reads the file, touches nothing else)."""
    display = _display(path, root)
    if tree is None:
        tree = read_yaml(path, display)
    data = path.read_bytes()
    giri = graph_iri_for(path, tree)
    graph = new_graph(giri)
    conv = _Converter(schema, index, display, graph)
    nodes = _entity_nodes(tree, display, conv.problems)
    document = None
    if isinstance(tree, Mapping) and isinstance(tree.get("document"), Mapping):
        dkey = tree.get("document").get("key")
        document = ID[dkey.text] if isinstance(dkey, Scalar) else None
    ok = sum(1 for m in nodes if conv.entity(m, document))
    graph.add((giri, RDF.type, PROV.Entity))
    graph.add((giri, MSCKG.recordSha256, Literal(hashlib.sha256(data).hexdigest())))
    graph.add((giri, MSCKG.loaderVersion, Literal(f"msckg.loader.records {__version__}")))
    graph.add((giri, MSCKG.sourceFile, Literal(display)))
    if document is not None:
        graph.add((giri, PROV.wasDerivedFrom, document))
    if load_time:
        graph.add((giri, PROV.generatedAtTime, Literal(load_time, datatype=XSD.dateTime)))
    entries = _entry_count(tree)  # every entry counts in the ledger, also those refused before conversion
    return LoadedRecord(display, giri, graph, document, entries, ok, entries - ok, conv.problems, refs=conv.refs)


def refs_unchanged(rec: LoadedRecord, index: dict[str, KeyInfo]) -> bool:
    """Whether every key the record referenced still has the classes it had when it was converted."""
    return all((None if (i := index.get(k)) is None else sorted(map(str, i.types))) == v for k, v in rec.refs.items())


def load_records(paths: list[Path], schema: Schema, root: Path | None = None,
                 load_time: str | None = None, context: list[Path] | None = None,
                 reuse: Callable[[Path, str], LoadedRecord | None] | None = None) -> list[LoadedRecord]:
    """Load many record files together (references resolve across them); raise on any problem.

    `context` files are indexed too, so references into them resolve, but they are not converted
    (`msckg check FILE` checks one file against the rest of data/). `reuse(path, shown path)` (an
    incremental build) gives an unchanged file's record from an earlier build, or None; it is kept
    when the keys it references still have the same classes."""
    wanted = {p.resolve() for p in paths}
    others = [p for p in (context or []) if p.resolve() not in wanted]
    index, trees, problems = index_files(list(paths) + others, schema, root, reuse)
    results = []
    for path in paths:
        old = reuse(path, _display(path, root)) if reuse and path not in trees else None
        if old is not None and refs_unchanged(old, index):
            results.append(old)
            continue
        if old is not None:
            trees[path] = read_yaml(path, old.path)
        if path not in trees:
            continue
        rec = record_to_graph(path, schema, index, trees[path], root, load_time)
        rec.keys = index_entries(trees[path], rec.path, schema)
        problems.extend(rec.problems)
        results.append(rec)
    if problems:
        raise SourceError(problems)
    return results
