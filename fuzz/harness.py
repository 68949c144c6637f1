"""Shared start of the atheris harnesses: the project on sys.path, instrumented imports, one entry point per file."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="msckg-fuzz-"))


def as_file(data: bytes, suffix: str) -> Path:
    """The fuzzer's bytes as a source file (the loaders' entry points take paths)."""
    path = WORK / f"input{suffix}"
    path.write_bytes(data)
    return path


def fuzz(test_one_input, seeds: list[bytes] = ()) -> None:
    """Run libFuzzer over test_one_input (pass -runs=N on the command line); seeds start the corpus."""
    corpus = WORK / "corpus"
    corpus.mkdir(exist_ok=True)
    for i, s in enumerate(seeds):
        (corpus / f"seed{i}").write_bytes(s)
    atheris.Setup([sys.argv[0], *sys.argv[1:], str(corpus)], test_one_input)
    atheris.Fuzz()
