"""atheris harness: RDF source files (msckg.graph.build.sources.load_rdf_file), every format; only SourceError may escape."""

import atheris

from harness import as_file, fuzz

with atheris.instrument_imports(include=["msckg"]):
    from fuzz.inputs import JSONLD, RDF_XML, TURTLE
    from msckg.graph.build.sources import load_rdf_file
    from msckg.loader.errors import SourceError

SUFFIXES = [".ttl", ".nt", ".rdf", ".jsonld"]


def test_one_input(data: bytes) -> None:
    if not data:
        return
    suffix = SUFFIXES[data[0] % len(SUFFIXES)]  # the first byte picks the format
    try:
        load_rdf_file(as_file(data[1:], suffix))
    except SourceError:
        pass


if __name__ == "__main__":
    fuzz(test_one_input, [b"\x00" + TURTLE.encode(), b"\x02" + RDF_XML.encode(), b"\x03" + JSONLD.encode()])
