"""ontology/README.md says what the files say: every alignment in its table of main classes is in the ontology."""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import RDFS, SKOS, URIRef

from msckg.graph.ontology.reason import load_ontology
from msckg.loader.schema import read_prefixes

ROOT = Path(__file__).resolve().parent.parent
M = "https://w3id.org/msckg/"
SYMBOLS = {"=": SKOS.exactMatch, "~": SKOS.closeMatch, "⊑": RDFS.subClassOf}


def test_readme_alignments_match_the_ontology():
    g, conv = load_ontology(), read_prefixes()
    table = (ROOT / "ontology" / "README.md").read_text(encoding="utf-8").split("## Main classes", 1)[1].split("\n\n")[1]
    checked, wrong = 0, []
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        names = re.findall(r"`([A-Za-z_]+)`", cells[0])
        assert all((URIRef(M + n), None, None) in g for n in names), f"README names a class the ontology lacks: {names}"
        for sym, curie in re.findall(r"([=~⊑])\s*([A-Za-z]+:[A-Za-z0-9_]+)", cells[2]):
            checked += 1
            iri = URIRef(conv.expand_strict(curie))
            if not any((URIRef(M + n), SYMBOLS[sym], iri) in g for n in names):
                wrong.append(f"{names[0]} {sym} {curie}")
    assert checked >= 10 and not wrong, f"README alignments not in the ontology files: {wrong}"
