"""atheris harness: ClinicalTrials.gov API v2 JSON (msckg.loader.ctgov.ctgov_to_graph); only SourceError may escape."""

import json

import atheris

from harness import as_file, fuzz

with atheris.instrument_imports(include=["msckg"]):
    from fuzz.inputs import STUDY
    from msckg.loader.ctgov import ctgov_to_graph
    from msckg.loader.errors import SourceError


def test_one_input(data: bytes) -> None:
    try:
        ctgov_to_graph(as_file(data, ".json"))
    except SourceError:
        pass


if __name__ == "__main__":
    fuzz(test_one_input, [json.dumps(STUDY).encode()])
