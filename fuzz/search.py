"""atheris harness: the search query parser (Searcher.parse and Searcher.search) over the mini data set's index;
only SearchError may escape."""

import shutil

import atheris

from harness import ROOT, WORK, fuzz

with atheris.instrument_imports(include=["msckg.graph.search"]):
    from msckg.graph.build.run import build
    from msckg.graph.search import live_folder
    from msckg.graph.search.rank import SearchError, Searcher

shutil.copytree(ROOT / "tests" / "fixtures" / "mini", WORK / "data")
build(WORK / "store", data=WORK / "data")
SEARCHER = Searcher(live_folder(WORK / "store"), embedder=None)
TYPES = [None, ["Trial"], ["AdverseEventCount"], ["nonsense"]]


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    types = TYPES[fdp.ConsumeIntInRange(0, len(TYPES) - 1)]
    limit = fdp.ConsumeIntInRange(-2, 1002)
    text = fdp.ConsumeUnicode(fdp.remaining_bytes())
    try:
        SEARCHER.parse(text)
        SEARCHER.search(text, types=types, limit=limit)
    except SearchError:
        pass


if __name__ == "__main__":
    fuzz(test_one_input, [b"\x00\x05aplastic anaemia", b"\x01\x0aITP children"])
