"""Curated YAML that is hostile or malformed: a clear error naming file, line and column, in bounded time and memory."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from msckg.loader.errors import SourceError
from msckg.loader.records import load_records
from msckg.loader.schema import default_schema
from msckg.loader.yamlnodes import LIMITS, read_yaml

RECORD = """entities:
  - key: trial/NCT00000009
    a: Trial
    label: {label}
"""


def _problems(path) -> list:
    with pytest.raises(SourceError) as info:
        read_yaml(path)
    return info.value.problems


# (file bytes, expected line, expected column, words of the message)
HOSTILE = {
    "not UTF-8": ("entities:\n  - label: caf\xe9\n".encode("latin-1"), 2, 15, "not UTF-8"),
    "NUL byte": (b"a: b\x00c\n", 1, 5, "not allowed"),
    "control character": (b"a: b\x07c\n", 1, 5, "not allowed"),
    "lone surrogate escape": (b'a: "\\ud800"\n', 1, 4, "surrogate"),
    "deep flow nesting": (b"a: " + b"[" * 100_000 + b"]" * 100_000 + b"\n", 1, 3 + LIMITS.depth, "nested more than"),
    "deep block nesting": ("".join("  " * i + "k:\n" for i in range(40)).encode() + b"  " * 40 + b"v\n", LIMITS.depth + 1, 2 * LIMITS.depth + 1, "nested more than"),
    "alias (billion laughs)": (b"a: [x, x]\nb: &b [x, x]\nc: [*b, *b]\n", 2, 4, "anchors (&b) are refused"),
    "bare alias": (b"c: *b\n", 1, 4, "aliases (*b) are refused"),
    "explicit tag": (b"a: !!python/object:os.system x\n", 1, 4, "tags"),
    "second document": (b"a: x\n---\nb: y\n", 2, 1, "one YAML document"),
    "long list": (b"a: [" + b",".join([b"x"] * (LIMITS.list_items + 1)) + b"]\n", 1, 5 + 2 * LIMITS.list_items, "list of more than"),
    "many keys": (b"\n".join(b"k%d: v" % i for i in range(LIMITS.mapping_keys + 1)) + b"\n", LIMITS.mapping_keys + 1, 1, "mapping of more than"),
    "long value": (b"a: " + b"x" * (LIMITS.scalar_chars + 1) + b"\n", 1, 4, "characters; the limit"),
    "duplicate key": (b"a: x\na: y\n", 2, 1, "duplicate key 'a' (first given at line 1)"),
    "syntax error": (b"a: [x\n", 2, 1, "YAML syntax error"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_yaml_is_a_positioned_error(tmp_path, name):
    data, line, col, words = HOSTILE[name]
    path = tmp_path / "hostile.yaml"
    path.write_bytes(data)
    problems = _problems(path)
    assert len(problems) == 1, problems
    p = problems[0]
    assert p.file == str(path) and words in p.message, p
    assert (p.line, p.column) == (line, col), p


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "comments.yaml"
    with path.open("wb") as fh:  # 50 MB of comment lines: refused at once, nothing parsed
        fh.write(b"entities:\n")
        fh.write(b"# comment\n" * 5_000_000)
    t0 = time.perf_counter()
    problems = _problems(path)
    assert time.perf_counter() - t0 < 5  # generous: it is a stat(), not a parse
    assert "50,000,010 bytes; the limit is" in problems[0].message


def test_comment_lines_parse_in_linear_time(tmp_path):
    """A file just under the size limit of comment lines after a value: the round-trip reader of
    ruamel.yaml joins such comments by copying (2 MB took minutes); the event reader ignores them."""
    path = tmp_path / "comments.yaml"
    body = RECORD.format(label="x").encode()
    n = (LIMITS.file_bytes - len(body)) // len(b"# comment\n")
    path.write_bytes(body + b"# comment\n" * n)
    t0 = time.perf_counter()
    tree = read_yaml(path)
    assert time.perf_counter() - t0 < 60  # a generous bound: ~2 s here, quadratic reading took minutes
    assert tree.get("entities").items[0].get("label").text == "x"


def test_alias_bomb_is_refused_in_bounded_memory(tmp_path):
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n")
    tracemalloc.start()
    try:
        problems = _problems(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "anchors (&a0) are refused" in problems[0].message
    assert peak < 20 * 1024 * 1024  # expanded, the bomb is 9^10 scalars (gigabytes)


def test_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeff".encode() + RECORD.format(label="x").encode())
    assert read_yaml(path).get("entities").items[0].get("label").text == "x"


@pytest.mark.parametrize("value", ["2024-03-02", "2024-03-02T10:00:00Z", "1.50", "12", "1e3", ".5", "0x1F", "0o17", "1_000",
                                   "190:20:30", ".inf", "-.Inf", ".NaN", "~", "null", "yes", "Off", "<<"])
def test_unquoted_values_a_yaml_reader_would_coerce_are_errors_in_text_fields(tmp_path, value):
    path = tmp_path / "rec.yaml"
    path.write_text(RECORD.format(label=value))
    with pytest.raises(SourceError) as info:
        load_records([path], default_schema())
    [p] = info.value.problems
    assert (p.field, p.line, p.record) == ("label", 4, "trial/NCT00000009")
    assert "quote it" in p.message and f"'{value}'" in p.message


@pytest.mark.parametrize("value", ['"2024-03-02"', "'1.50'", "2024-03-02 visit", "v1.50", "1.5 × 10^6 cells/kg", "Table 3, row 2"])
def test_quoted_or_plainly_textual_values_are_text(tmp_path, value):
    path = tmp_path / "rec.yaml"
    path.write_text(RECORD.format(label=value))
    [rec] = load_records([path], default_schema())
    labels = [str(o) for o in rec.graph.objects(None, rec.graph.namespace_manager.expand_curie("rdfs:label"))]
    assert labels == [value.strip("'\"")]


def test_an_empty_value_is_an_error_at_its_key(tmp_path):
    path = tmp_path / "rec.yaml"
    path.write_text(RECORD.format(label=""))
    with pytest.raises(SourceError) as info:
        load_records([path], default_schema())
    [p] = info.value.problems
    assert (p.field, p.line, p.column) == ("label", 4, 5) and "no value given" in p.message


def test_entity_with_too_many_values_is_refused_and_counted(tmp_path):
    from msckg.loader.records import index_files, record_to_graph

    path = tmp_path / "rec.yaml"
    values = "\n".join(f"      - v{i}" for i in range(LIMITS.record_values + 1))
    path.write_text(RECORD.format(label="ok") + f"  - key: trial/NCT00000008\n    a: Trial\n    altLabel:\n{values}\n")
    schema = default_schema()
    index, trees, _ = index_files([path], schema)
    rec = record_to_graph(path, schema, index, trees[path])
    assert (rec.records_in, rec.entities_out, rec.rejected) == (2, 1, 1)
    [p] = rec.problems
    assert p.record == "trial/NCT00000008" and p.line == 5 and "the limit is 2,000" in p.message


def test_every_bad_file_is_reported_in_one_run(tmp_path):
    files = []
    for name, (data, line, col, words) in list(HOSTILE.items())[:6]:
        f = tmp_path / f"{len(files)}.yaml"
        f.write_bytes(data)
        files.append(f)
    with pytest.raises(SourceError) as info:
        load_records(files, default_schema())
    assert sorted({p.file for p in info.value.problems}) == sorted(str(f) for f in files)
