"""Curators' notes: only what no field can hold, each listed with its reason in data/README.md; nothing from outside the sources."""

from __future__ import annotations

import re

from ruamel.yaml import YAML

from msckg.graph.paths import DATA, record_files

README = DATA / "README.md"


def _notes() -> set[tuple[str, str]]:
    out = set()
    for f in record_files():
        tree = YAML(typ="safe").load(f.read_text(encoding="utf-8")) or {}
        for e in ([tree["document"]] if "document" in tree else []) + list(tree.get("entities") or []):
            if "note" in e:
                out.add((f.stem, e["key"]))
    return out


def _listed() -> set[tuple[str, str]]:
    section = README.read_text(encoding="utf-8").split("## Facts, not notes", 1)[1].split("\n## ", 1)[0]
    return {(m.group(1), m.group(2)) for m in re.finditer(r"^\| ([\w.-]+) \| ([\w./-]+) \|", section, re.M) if m.group(1) != "file"}


def test_every_remaining_note_is_listed_with_its_reason():
    notes, listed = _notes(), _listed()
    assert notes - listed == set(), "notes not justified in data/README.md ('Facts, not notes')"
    assert listed - notes == set(), "data/README.md lists notes that no longer exist"
    count = re.search(r"\*\*(\d+) notes remain\.\*\*", README.read_text(encoding="utf-8"))
    assert count and int(count.group(1)) == len(notes)


def test_records_hold_no_paths_outside_the_repository():
    for f in record_files():
        text = f.read_text(encoding="utf-8")
        assert not re.search(r"(?<![\w.])/(tmp|work|home|root|usr)/", text), f"{f.name} names a file outside the repository"


def test_no_note_carries_a_number_a_field_could_hold():
    """A note may mention numbers only beside the reason it stays text (the README lists each one)."""
    units = re.compile(r"\b\d+(\.\d+)?\s?(days?|weeks?|months?|years?|mg|ml|%|x 10\^\d)", re.I)
    for f in record_files():
        tree = YAML(typ="safe").load(f.read_text(encoding="utf-8")) or {}
        for e in ([tree["document"]] if "document" in tree else []) + list(tree.get("entities") or []):
            note = e.get("note", "")
            if units.search(note):
                assert re.search(r"not modelled|the ontology|read|inference|field", note, re.I), f"{e['key']}: {note}"
