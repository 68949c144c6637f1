"""The dataset described in VoID and DCAT: triples, named graphs, classes with instance counts, each source
with its checksum and licence, the ontology version, and the SPARQL endpoint that serves it.

`msckg describe` writes it; `msckg serve` publishes it at /.well-known/void and /void.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, XSD

from .backend import internal_query

VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
MSCKG = Namespace("https://w3id.org/msckg/")
DATASET = URIRef("https://w3id.org/msckg/dataset")
LICENCES = Path(__file__).resolve().parent / "licences.tsv"
SPARQL_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-protocol/")


def _loader_licences() -> dict[str, tuple[str, str]]:
    out = {}
    for line in LICENCES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            loader, licence, note = line.split("\t")
            out[loader] = (licence, note)
    return out


def _node(kind: str, key: str) -> BNode:
    """A blank node with a label made from what it describes: two runs write the same labels."""
    return BNode(f"{kind}-{hashlib.sha256(key.encode()).hexdigest()[:16]}")


def _int(term) -> int:
    return int(term.toPython()) if term is not None else 0


def describe(store, endpoint_url: str | None = None) -> Graph:
    """A VoID + DCAT description of the dataset in `store` (any Store: embedded or remote)."""
    g = Graph()
    for prefix, ns in (("void", VOID), ("dcat", DCAT), ("dcterms", DCTERMS), ("prov", PROV), ("sd", SD),
                       ("spdx", SPDX), ("owl", OWL), ("msckg", MSCKG)):
        g.bind(prefix, ns)
    d = DATASET
    g.add((d, RDF.type, VOID.Dataset))
    g.add((d, RDF.type, DCAT.Dataset))
    g.add((d, DCTERMS.title, Literal("msckg: cell-therapy clinical trials knowledge graph", lang="en")))
    g.add((d, DCTERMS.description, Literal(
        "Trials, products, doses, outcomes and adverse events of cell-therapy clinical trials, one named graph "
        "per source document, every figure with its source and locator.", lang="en")))
    g.add((d, VOID.uriSpace, Literal("https://w3id.org/msckg/id/")))
    g.add((d, VOID.vocabulary, URIRef("https://w3id.org/msckg/")))
    g.add((d, VOID.feature, URIRef("http://www.w3.org/ns/formats/N-Quads")))

    onto = store.select(internal_query("void-ontology")).rows
    dataset_licence = None
    if onto:
        o_iri, version, version_iri, title, licence = onto[0]
        g.add((d, DCTERMS.conformsTo, o_iri))
        g.add((o_iri, RDF.type, OWL.Ontology))
        if version is not None:
            g.add((o_iri, OWL.versionInfo, version))
            g.add((d, URIRef(str(DCAT) + "version"), version))  # DCAT 3 (rdflib lists DCAT 2 terms)
        if version_iri is not None:
            g.add((o_iri, OWL.versionIRI, version_iri))
        if title is not None:
            g.add((o_iri, DCTERMS.title, title))
        if licence is not None:
            dataset_licence = licence
            g.add((d, DCTERMS.license, licence))

    graphs = {str(r[0]): _int(r[1]) for r in store.select(internal_query("void-graphs")).rows}
    g.add((d, VOID.triples, Literal(sum(graphs.values()), datatype=XSD.integer)))
    totals = store.select(internal_query("void-totals")).rows[0]
    g.add((d, VOID.distinctSubjects, Literal(_int(totals[0]), datatype=XSD.integer)))
    g.add((d, VOID.properties, Literal(_int(totals[1]), datatype=XSD.integer)))
    g.add((d, VOID.distinctObjects, Literal(_int(totals[2]), datatype=XSD.integer)))
    classes = store.select(internal_query("void-classes")).rows
    g.add((d, VOID.classes, Literal(len(classes), datatype=XSD.integer)))
    for cls, n in classes:
        part = _node("class", str(cls))
        g.add((d, VOID.classPartition, part))
        g.add((part, VOID["class"], cls))
        g.add((part, VOID.entities, Literal(_int(n), datatype=XSD.integer)))

    sources = {str(r[0]): r for r in store.select(internal_query("void-sources")).rows}
    by_loader = _loader_licences()
    latest = None
    for giri, n in graphs.items():
        sub = URIRef(giri)
        g.add((d, VOID.subset, sub))
        g.add((sub, RDF.type, VOID.Dataset))
        g.add((sub, RDF.type, SD.NamedGraph))
        g.add((sub, SD.name, sub))
        g.add((sub, VOID.triples, Literal(n, datatype=XSD.integer)))
        row = sources.get(giri)
        if row is None:
            continue
        _, document, file, sha, loader, generated, licence = row
        g.add((sub, RDF.type, DCAT.Dataset))
        if document is not None:
            g.add((sub, DCTERMS.source, document))
            g.add((sub, PROV.wasDerivedFrom, document))
        if file is not None:
            g.add((sub, MSCKG.sourceFile, file))
        if sha is not None:
            ck = _node("checksum", giri)
            g.add((sub, SPDX.checksum, ck))
            g.add((ck, RDF.type, SPDX.Checksum))
            g.add((ck, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
            g.add((ck, SPDX.checksumValue, Literal(str(sha), datatype=XSD.hexBinary)))
        if loader is not None:
            g.add((sub, MSCKG.loaderVersion, loader))
        if generated is not None:
            g.add((sub, PROV.generatedAtTime, generated))
            latest = max(latest or str(generated), str(generated))
        licence_iri = licence
        if licence_iri is None and loader is not None:
            rule = by_loader.get(str(loader).split()[0])
            if rule:
                licence_iri = dataset_licence if rule[0] == "dataset" else URIRef(rule[0])
        if licence_iri is not None:
            g.add((sub, DCTERMS.license, licence_iri))
    if latest:
        g.add((d, DCTERMS.modified, Literal(latest, datatype=XSD.dateTime)))

    if endpoint_url:
        g.add((d, VOID.sparqlEndpoint, URIRef(endpoint_url)))
        service, dist = URIRef(endpoint_url), _node("distribution", endpoint_url)
        g.add((d, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCAT.accessURL, service))
        g.add((dist, DCAT.accessService, service))
        g.add((service, RDF.type, DCAT.DataService))
        g.add((service, DCAT.endpointURL, service))
        g.add((service, DCTERMS.conformsTo, SPARQL_PROTOCOL))
        g.add((service, DCAT.servesDataset, d))
    return g
