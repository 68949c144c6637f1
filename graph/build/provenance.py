"""The build record: when each source graph was loaded, kept in its own named graph so the data graphs stay the same."""

from __future__ import annotations

import datetime as dt

from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef

from msckg.loader.schema import GRAPH, ID, PROV

# One graph per store generation that holds what changes on every build (the load time); the data
# graphs hold only what the sources say, so two builds of the same sources export byte-identical data.
BUILD_GRAPH = GRAPH["build"]
BUILD_ACTIVITY = ID["build"]


def now() -> str:
    """The load time of a build: UTC, to the second."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def build_record(graph_iris: list[URIRef], load_time: str) -> Graph:
    """The build as a prov:Activity that generated each named graph at `load_time`."""
    g = Graph(identifier=BUILD_GRAPH)
    when = Literal(load_time, datatype=XSD.dateTime)
    g.add((BUILD_ACTIVITY, RDF.type, PROV.Activity))
    g.add((BUILD_ACTIVITY, RDFS.label, Literal("msckg build")))
    g.add((BUILD_ACTIVITY, PROV.endedAtTime, when))
    for iri in graph_iris:
        if iri == BUILD_GRAPH:
            continue
        g.add((BUILD_ACTIVITY, PROV.generated, iri))
        g.add((iri, PROV.generatedAtTime, when))
    return g
