"""Write the ontology's HTML reference: docs/ontology/index.html (git-ignored), one self-contained page.

Classes (as a tree, with definitions, alignments, disjointness, record fields and controlled values),
properties (record field or not, domain, range, characteristics, alignments), datatypes and the
declared external terms, read from every ontology file. Plain rdflib and HTML: no dependency, no
network, the same input gives the same bytes.

    python -m msckg.graph.ontology.docs [--out PATH]
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

from rdflib import DCTERMS, OWL, RDF, RDFS, SKOS, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection

from msckg.graph.paths import CHECKOUT

NS = "https://w3id.org/msckg/"
ONTOLOGY_IRI = URIRef(NS + "ontology")
DEFAULT_OUT = (CHECKOUT or Path.cwd()) / "docs" / "ontology" / "index.html"  # never inside an installed package
MATCHES = ((SKOS.exactMatch, "exact match"), (SKOS.closeMatch, "close match"), (SKOS.broadMatch, "broad match"),
           (SKOS.narrowMatch, "narrow match"), (SKOS.relatedMatch, "related match"))
PROPERTY_KINDS = ((OWL.ObjectProperty, "object property"), (OWL.DatatypeProperty, "datatype property"),
                  (OWL.AnnotationProperty, "annotation property"))
YAML_FIELD = URIRef(NS + "yamlField")
LOCAL_TERM = URIRef(NS + "localTerm")

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{margin-bottom:.2em} h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
h3{margin:1.6em 0 .3em} h3 code{font-size:.8em;color:#666;font-weight:normal}
code{background:#f4f4f4;padding:0 .25em;border-radius:3px}
table{border-collapse:collapse;margin:.4em 0 1em;width:100%} th,td{text-align:left;vertical-align:top;padding:.25em .5em;border-bottom:1px solid #eee}
th{width:11em;color:#555;font-weight:600} .tag{display:inline-block;font-size:.75em;padding:0 .4em;border-radius:3px;background:#e8eefc;color:#2a4a9a;margin-left:.4em}
.local{background:#fdf0d8;color:#8a5a00} ul.tree{list-style:none;padding-left:1.2em} ul.tree li{margin:.1em 0}
nav a{margin-right:1em} .muted{color:#777}
"""


class Doc:
    """The merged ontology graph with the look-ups the page needs."""

    def __init__(self, g: Graph):
        from msckg.loader.schema import read_prefixes

        self.g = g
        self.conv = read_prefixes()

    def curie(self, node) -> str:
        return self.conv.compress(str(node)) or str(node)

    def label(self, node) -> str:
        labels = sorted(str(x) for x in self.g.objects(node, RDFS.label))
        return labels[0] if labels else self.curie(node)

    def local(self, node) -> bool:
        return isinstance(node, URIRef) and str(node).startswith(NS)

    def anchor(self, node) -> str:
        return html.escape(str(node)[len(NS):], quote=True)

    def link(self, node) -> str:
        """A link to the term: inside the page for msckg terms, to the IRI for external ones."""
        if isinstance(node, BNode):
            return self.class_expression(node)
        if self.local(node):
            return f'<a href="#{self.anchor(node)}">{html.escape(self.label(node))}</a>'
        lab = self.label(node)
        cur = self.curie(node)
        shown = html.escape(lab) + (f' <span class="muted">{html.escape(cur)}</span>' if lab != cur else "")
        return f'<a href="{html.escape(str(node), quote=True)}">{shown}</a>'

    def class_expression(self, node: BNode) -> str:
        g = self.g
        for pred, word in ((OWL.oneOf, "one of"), (OWL.unionOf, "union of"), (OWL.intersectionOf, "intersection of")):
            lst = g.value(node, pred)
            if lst is not None:
                return f"{word} (" + ", ".join(self.link(m) for m in Collection(g, lst)) + ")"
        return "(class expression)"

    def texts(self, node, *preds) -> list[str]:
        return [str(o) for p in preds for o in sorted(self.g.objects(node, p), key=str) if isinstance(o, Literal)]

    def alignments(self, node) -> list[str]:
        out = []
        for pred, word in MATCHES:
            for o in sorted(self.g.objects(node, pred), key=str):
                out.append(f"{word}: {self.link(o)}")
        for pred in (RDFS.subClassOf, RDFS.subPropertyOf):
            for o in sorted(self.g.objects(node, pred), key=str):
                if isinstance(o, URIRef) and not self.local(o):
                    out.append(f"{'subclass' if pred == RDFS.subClassOf else 'subproperty'} of: {self.link(o)}")
        return out


def _row(name: str, value: str) -> str:
    return f"<tr><th>{name}</th><td>{value}</td></tr>" if value else ""


def _classes(d: Doc) -> list[URIRef]:
    g = d.g
    found = set(g.subjects(RDF.type, OWL.Class)) | set(g.subjects(RDFS.subClassOf, None))
    return sorted((c for c in found if d.local(c)), key=lambda c: d.label(c).lower())


def _properties(d: Doc) -> list[tuple[URIRef, str]]:
    out = {}
    for kind, word in PROPERTY_KINDS:
        for p in d.g.subjects(RDF.type, kind):
            if d.local(p):
                out[p] = word
    return sorted(out.items(), key=lambda kv: str(kv[0]).lower())


def _disjoint(d: Doc, c: URIRef) -> list[URIRef]:
    g = d.g
    out = set(g.objects(c, OWL.disjointWith)) | set(g.subjects(OWL.disjointWith, c))
    for axiom in g.subjects(RDF.type, OWL.AllDisjointClasses):
        members = list(Collection(g, g.value(axiom, OWL.members)))
        if c in members:
            out |= {m for m in members if m != c}
    return sorted(out, key=lambda x: d.label(x).lower())


def _tree(d: Doc, classes: list[URIRef]) -> str:
    g = d.g
    children: dict[URIRef, list[URIRef]] = {}
    roots = []
    for c in classes:
        parents = [p for p in g.objects(c, RDFS.subClassOf) if d.local(p)]
        if parents:
            for p in parents:
                children.setdefault(p, []).append(c)
        else:
            roots.append(c)

    def render(c, seen) -> str:
        if c in seen:
            return ""
        kids = sorted(children.get(c, []), key=lambda x: d.label(x).lower())
        inner = "".join(render(k, seen | {c}) for k in kids)
        return f"<li>{d.link(c)}" + (f'<ul class="tree">{inner}</ul>' if inner else "") + "</li>"

    return '<ul class="tree">' + "".join(render(r, frozenset()) for r in roots) + "</ul>"


def _class_section(d: Doc, c: URIRef, props: list[tuple[URIRef, str]]) -> str:
    g = d.g
    tags = '<span class="tag local">local term</span>' if (c, LOCAL_TERM, Literal(True)) in g else ""
    parts = [f'<h3 id="{d.anchor(c)}">{html.escape(d.label(c))}{tags} <code>{html.escape(d.curie(c))}</code></h3><table>']
    parts.append(_row("definition", "<br>".join(html.escape(t) for t in d.texts(c, SKOS.definition, RDFS.comment))))
    parts.append(_row("also called", html.escape(", ".join(d.texts(c, SKOS.altLabel)))))
    supers = [o for o in g.objects(c, RDFS.subClassOf) if d.local(o)]
    parts.append(_row("subclass of", ", ".join(d.link(s) for s in sorted(supers, key=str))))
    subs = sorted((s for s in g.subjects(RDFS.subClassOf, c) if d.local(s)), key=lambda x: d.label(x).lower())
    parts.append(_row("subclasses", ", ".join(d.link(s) for s in subs)))
    equiv = list(g.objects(c, OWL.equivalentClass))
    parts.append(_row("equivalent to", "; ".join(d.link(e) for e in equiv)))
    parts.append(_row("alignment", "<br>".join(d.alignments(c))))
    parts.append(_row("disjoint with", ", ".join(d.link(x) for x in _disjoint(d, c))))
    fields = [p for p, _ in props if (p, RDFS.domain, c) in g]
    parts.append(_row("properties (domain)", ", ".join(
        d.link(p) + (f" <code>{html.escape(str(p)[len(NS):])}</code>" if (p, YAML_FIELD, Literal(True)) in g else "")
        for p in fields)))
    ranged = [p for p, _ in props if (p, RDFS.range, c) in g]
    parts.append(_row("used as range of", ", ".join(d.link(p) for p in ranged)))
    values = sorted((i for i in g.subjects(RDF.type, c) if d.local(i) and (i, RDF.type, OWL.NamedIndividual) in g),
                    key=lambda x: str(x))
    if values:
        items = []
        for v in values:
            extra = []
            alt = d.texts(v, SKOS.altLabel)
            if alt:
                extra.append("also " + html.escape(", ".join(alt)))
            extra += d.alignments(v)
            if (v, LOCAL_TERM, Literal(True)) in g:
                extra.append("local term")
            for p, o in sorted(g.predicate_objects(v), key=lambda po: str(po)):
                if isinstance(o, Literal) and d.local(p) and p != LOCAL_TERM:
                    extra.append(f"{html.escape(str(p)[len(NS):])} = {html.escape(str(o))}")
            items.append(f'<li id="{d.anchor(v)}"><code>'
                         f"{html.escape(str(v)[len(NS):])}</code> {html.escape(d.label(v))}"
                         + (f' <span class="muted">— {"; ".join(extra)}</span>' if extra else "") + "</li>")
        parts.append(_row("controlled values", "<ul>" + "".join(items) + "</ul>"))
    parts.append("</table>")
    return "".join(parts)


def _property_section(d: Doc, p: URIRef, kind: str) -> str:
    g = d.g
    field = (p, YAML_FIELD, Literal(True)) in g
    tags = f'<span class="tag">{kind}</span>' + ('<span class="tag">record field</span>' if field else "")
    parts = [f'<h3 id="{d.anchor(p)}">{html.escape(d.label(p))}{tags} <code>{html.escape(d.curie(p))}</code></h3><table>']
    parts.append(_row("record field", f"<code>{html.escape(str(p)[len(NS):])}</code>" if field else ""))
    parts.append(_row("definition", "<br>".join(html.escape(t) for t in d.texts(p, SKOS.definition, RDFS.comment))))
    parts.append(_row("domain", ", ".join(d.link(x) for x in sorted(g.objects(p, RDFS.domain), key=str))))
    parts.append(_row("range", ", ".join(d.link(x) for x in sorted(g.objects(p, RDFS.range), key=str))))
    chars = [w for t, w in ((OWL.FunctionalProperty, "functional"), (OWL.InverseFunctionalProperty, "inverse functional"),
                            (OWL.TransitiveProperty, "transitive"), (OWL.SymmetricProperty, "symmetric"))
             if (p, RDF.type, t) in g]
    parts.append(_row("characteristics", ", ".join(chars)))
    supers = [o for o in g.objects(p, RDFS.subPropertyOf) if d.local(o)]
    parts.append(_row("subproperty of", ", ".join(d.link(s) for s in supers)))
    parts.append(_row("alignment", "<br>".join(d.alignments(p))))
    parts.append("</table>")
    return "".join(parts)


def render(g: Graph | None = None) -> str:
    """The reference page as HTML text."""
    from msckg.graph.ontology.reason import load_ontology

    g = g if g is not None else load_ontology()
    d = Doc(g)
    classes = _classes(d)
    props = _properties(d)
    datatypes = sorted(x for x in g.subjects(RDF.type, RDFS.Datatype) if d.local(x))
    title = str(g.value(ONTOLOGY_IRI, RDFS.label) or "msckg ontology")
    desc = str(g.value(ONTOLOGY_IRI, DCTERMS.description) or "")
    version = str(g.value(ONTOLOGY_IRI, OWL.versionInfo) or "")
    lic = g.value(ONTOLOGY_IRI, DCTERMS.license)
    fields = sum(1 for p, _ in props if (p, YAML_FIELD, Literal(True)) in g)

    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"]
    out.append(f"<h1>{html.escape(title)}</h1>")
    out.append(f"<p>{html.escape(desc)}</p>")
    out.append("<table>" + _row("IRI", f"<code>{ONTOLOGY_IRI}</code>") + _row("namespace", f"<code>{NS}</code>")
               + _row("version", html.escape(version))
               + _row("license", f'<a href="{html.escape(str(lic))}">{html.escape(str(lic))}</a>' if lic else "")
               + _row("terms", f"{len(classes)} classes, {len(props)} properties ({fields} record fields), "
                               f"{len(datatypes)} datatype(s)")
               + _row("mappings", "<code>ontology/mappings.sssom.tsv</code> (SSSOM)") + "</table>")
    out.append('<nav><a href="#classes">Classes</a><a href="#properties">Properties</a>'
               '<a href="#datatypes">Datatypes</a><a href="#external">External terms</a></nav>')

    out.append('<h2 id="classes">Class hierarchy</h2>' + _tree(d, classes))
    out.append("<h2>Classes</h2>")
    out += [_class_section(d, c, props) for c in classes]

    out.append('<h2 id="properties">Properties</h2>')
    out.append('<p class="muted">A property tagged <em>record field</em> (msckg:yamlField true) can be used '
               "as a field of that name in the curated YAML records.</p>")
    out += [_property_section(d, p, kind) for p, kind in props]

    out.append('<h2 id="datatypes">Datatypes</h2>')
    for dt in datatypes:
        out.append(f'<h3 id="{d.anchor(dt)}">{html.escape(d.label(dt))} <code>{html.escape(d.curie(dt))}</code></h3>'
                   f"<p>{'<br>'.join(html.escape(t) for t in d.texts(dt, RDFS.comment))}</p>")

    out.append('<h2 id="external">External terms</h2><p class="muted">Declared (IRI and label) so that the '
               "ontology is self-contained offline; records may refer to them by CURIE.</p><table>")
    ext = {}
    for s, _, t in g.triples((None, RDF.type, None)):
        if isinstance(s, URIRef) and not d.local(s) and t in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty,
                                                              OWL.AnnotationProperty, OWL.NamedIndividual):
            ext[s] = t
    for s in sorted(ext, key=lambda x: d.curie(x)):
        out.append(f'<tr><td><a href="{html.escape(str(s), quote=True)}"><code>{html.escape(d.curie(s))}</code></a></td>'
                   f"<td>{html.escape(d.label(s))}</td><td class=\"muted\">{html.escape(d.curie(ext[s]))}</td></tr>")
    out.append("</table>")
    out.append('<p class="muted">Generated by graph/ontology/docs.py from the ontology files.</p></body></html>')
    return "\n".join(out) + "\n"


def write(path: Path = DEFAULT_OUT) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[args.index("--out") + 1]) if "--out" in args else DEFAULT_OUT
    print(f"wrote {write(out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
