"""Strict YAML reading: a positioned node tree, duplicate keys refused, scalars kept as text, sizes bounded.

The tree is built from ruamel.yaml's event stream (its pure, comment-free scanner: linear in the
size of the file), not from its composer, so that every limit is checked as the file is read:
file size, nesting depth, list length, mapping size and scalar length. Anchors and aliases are
refused at the first one (an alias expanded into a tree is how "billion laughs" grows), and so
are explicit tags: records are plain text, typed by the ontology.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Union

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    DocumentStartEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
)
from ruamel.yaml.reader import ReaderError

from .errors import Problem, SourceError

# Plain scalars that a YAML 1.1 (or 1.2 core schema) reader would turn into something other than
# text: booleans, nulls, integers (decimal, octal, hex, binary, sexagesimal, with '_'), floats
# (with '.', exponents, .inf/.nan), timestamps (2024-03-02, 2024-03-02T10:00:00Z) and the merge key.
_YAML11_AMBIGUOUS = re.compile(
    r"^(?:"
    r"y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|~|null|Null|NULL|<<|="
    r"|[-+]?(?:0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*(?::[0-5]?[0-9])*)"
    r"|[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
    r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?"
    r")$"
)

_SURROGATE = re.compile(r"[\ud800-\udfff]")


@dataclass(frozen=True)
class Limits:
    """How large a curated record file may be; each limit is far above what a real record needs."""

    file_bytes: int = 4 * 1024 * 1024   # the largest curated file is ~32 KB
    depth: int = 16                     # records nest 3 levels (file, entities, entity)
    list_items: int = 5000              # entities in one file, values in one field
    mapping_keys: int = 500             # fields in one entity
    scalar_chars: int = 20_000          # one value (a locator, a label, a note)
    record_values: int = 2000           # values in one entity, all its fields together


LIMITS = Limits()


@dataclass
class Scalar:
    """A scalar value exactly as written, with its position and whether it was quoted."""

    text: str
    line: int
    column: int
    quoted: bool

    def ambiguous(self) -> bool:
        """True when an unquoted value would be coerced by a YAML 1.1 reader (or be null: empty)."""
        return not self.quoted and (self.text == "" or bool(_YAML11_AMBIGUOUS.match(self.text)))


@dataclass
class Mapping:
    """A mapping whose keys are text, in file order, with each key's position."""

    items: list[tuple[Scalar, "Node"]]
    line: int
    column: int

    def get(self, key: str) -> "Node | None":
        for k, v in self.items:
            if k.text == key:
                return v
        return None


@dataclass
class Sequence:
    """A list of nodes with its position."""

    items: list["Node"]
    line: int
    column: int


Node = Union[Scalar, Mapping, Sequence]


def _pos(mark) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)


def _line_col(data: bytes | str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character (or byte) offset."""
    nl = "\n" if isinstance(data, str) else b"\n"
    line = data.count(nl, 0, offset) + 1
    return line, offset - (data.rfind(nl, 0, offset) + 1) + 1


def decode_utf8(data: bytes, display: str, what: str = "file") -> str:
    """The text of a UTF-8 file (a leading BOM dropped), or a SourceError at the first bad byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(data, exc.start)
        raise SourceError([Problem(display, line, col, "", f"the {what} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); save it as UTF-8")]) from None
    return text[1:] if text.startswith("\ufeff") else text


def read_bounded(path: Path, display: str, limit: int, what: str = "file") -> bytes:
    """The bytes of a file no larger than `limit`, refused (before reading it) when larger."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SourceError([Problem(display, 0, 0, "", f"cannot read the {what}: {exc.strerror}")]) from None
    if size > limit:
        raise SourceError([Problem(display, 0, 0, "", f"the {what} is {size:,} bytes; the limit is {limit:,} bytes (split it into several files)")])
    with path.open("rb") as fh:
        data = fh.read(size + 1)  # (not limit + 1: read() allocates what it is asked for)
        if len(data) > size:  # grew while we looked
            data += fh.read(limit + 1 - len(data))
    if len(data) > limit:
        raise SourceError([Problem(display, 0, 0, "", f"the {what} is over the limit of {limit:,} bytes")])
    return data


class _Builder:
    """Builds the node tree from YAML events, one problem per refused construct."""

    def __init__(self, display: str, limits: Limits):
        self.display, self.limits = display, limits
        self.problems: list[Problem] = []

    def refuse(self, mark, message: str, fld: str = "") -> SourceError:
        line, col = _pos(mark)
        return SourceError([Problem(self.display, line, col, fld, message)])

    def build(self, events) -> Node | None:
        root: Node | None = None
        stack: list[tuple[Mapping | Sequence, list]] = []  # (container, [pending key]) per open collection
        documents = 0
        for ev in events:
            if isinstance(ev, DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise self.refuse(ev.start_mark, "a record file holds one YAML document: remove the second '---'")
                continue
            if isinstance(ev, AliasEvent):
                raise self.refuse(ev.start_mark, f"aliases (*{ev.anchor}) are refused in records: write the value out")
            if isinstance(ev, CollectionEndEvent):
                node, _ = stack.pop()
                self._attach(stack, node, ev)
                continue
            if not isinstance(ev, (ScalarEvent, SequenceStartEvent, MappingStartEvent)):
                continue
            if ev.anchor is not None:
                raise self.refuse(ev.start_mark, f"anchors (&{ev.anchor}) are refused in records: write each value out")
            if ev.tag is not None:
                raise self.refuse(ev.start_mark, f"YAML tags ({ev.tag}) are refused in records: values are text, typed by the ontology (quote the value)")
            line, col = _pos(ev.start_mark)
            if isinstance(ev, ScalarEvent):
                if len(ev.value) > self.limits.scalar_chars:
                    raise self.refuse(ev.start_mark, f"a value of {len(ev.value):,} characters; the limit is {self.limits.scalar_chars:,}")
                if _SURROGATE.search(ev.value):
                    raise self.refuse(ev.start_mark, "a value holds a lone UTF-16 surrogate escape (\\ud800-\\udfff), which is not a character")
                node = Scalar(ev.value, line, col, ev.style not in (None, ""))
                if root is None and not stack:
                    root = node
                else:
                    self._attach(stack, node, ev)
                continue
            if len(stack) >= self.limits.depth:
                raise self.refuse(ev.start_mark, f"nested more than {self.limits.depth} levels deep (records need three)")
            node = Sequence([], line, col) if isinstance(ev, SequenceStartEvent) else Mapping([], line, col)
            stack.append((node, [None, {}]))
            if root is None:
                root = node
        return root

    def _attach(self, stack, node: Node, ev) -> None:
        if not stack:
            return
        parent, state = stack[-1]
        if isinstance(parent, Sequence):
            if len(parent.items) >= self.limits.list_items:
                raise self.refuse(ev.start_mark, f"a list of more than {self.limits.list_items:,} items (the list at line {parent.line})")
            parent.items.append(node)
            return
        if state[0] is None:  # a key
            if not isinstance(node, Scalar):
                self.problems.append(Problem(self.display, node.line, node.column, "", "a key must be plain text"))
                state[0] = False  # skip the value that follows
                return
            if node.text in state[1]:
                self.problems.append(Problem(self.display, node.line, node.column, node.text,
                                             f"duplicate key '{node.text}' (first given at line {state[1][node.text]})"))
                state[0] = False
                return
            if len(parent.items) >= self.limits.mapping_keys:
                raise self.refuse(ev.start_mark, f"a mapping of more than {self.limits.mapping_keys:,} keys (the mapping at line {parent.line})")
            state[1][node.text] = node.line
            state[0] = node
            return
        key, state[0] = state[0], None
        if key is not False:
            if isinstance(node, Scalar) and node.text == "" and not node.quoted:
                node.line, node.column = key.line, key.column  # ruamel marks an empty value at the next token
            parent.items.append((key, node))


def parse_yaml_text(text: str, display: str, limits: Limits = LIMITS) -> Node:
    """Parse YAML text into a node tree; raise SourceError (file, line, column) on anything refused."""
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 2)
    builder = _Builder(display, limits)
    try:
        root = builder.build(yaml.parse(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = _pos(mark)
        raise SourceError([Problem(display, line, col, "", f"YAML syntax error: {exc.problem or exc}")]) from None
    except ReaderError as exc:
        line, col = _line_col(text, exc.position)
        raise SourceError([Problem(display, line, col, "", f"character {ord(exc.character) if isinstance(exc.character, str) else exc.character:#06x} is not allowed in YAML ({exc.reason}); remove it or write it as an escape in a double-quoted value")]) from None
    except YAMLError as exc:  # any other refusal of the parser, still named by file
        raise SourceError([Problem(display, 0, 0, "", f"YAML error: {exc}")]) from None
    if root is None:
        raise SourceError([Problem(display, 1, 1, "", "the file is empty")])
    if builder.problems:
        raise SourceError(builder.problems)
    return root


def read_yaml(path: Path, display: str | None = None, limits: Limits = LIMITS) -> Node:
    """Parse a YAML file into a node tree; raise SourceError on syntax errors, duplicate keys or limits."""
    display = display or str(path)
    data = read_bounded(path, display, limits.file_bytes)
    return parse_yaml_text(decode_utf8(data, display), display, limits)
