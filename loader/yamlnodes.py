"""Strict YAML reading: a positioned node tree, duplicate keys refused, scalars kept as text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Union

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .errors import Problem, SourceError

# Plain scalars that a YAML 1.1 reader would turn into something other than text.
_YAML11_AMBIGUOUS = re.compile(
    r"^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|~|null|Null|NULL|[-+]?0[0-9_]+|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?)$"
)


@dataclass
class Scalar:
    """A scalar value exactly as written, with its position and whether it was quoted."""

    text: str
    line: int
    column: int
    quoted: bool

    def ambiguous(self) -> bool:
        """True when an unquoted value would be coerced by a YAML 1.1 reader."""
        return not self.quoted and bool(_YAML11_AMBIGUOUS.match(self.text))


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


def _convert(node, file: str, problems: list[Problem]) -> Node:
    line, col = node.start_mark.line + 1, node.start_mark.column + 1
    if isinstance(node, ScalarNode):
        text = str(node.value)
        if node.style == ">":  # ruamel marks folded line breaks with BEL; the folded text has a space there
            text = text.replace("\a", "")
        return Scalar(text, line, col, node.style not in (None, ""))
    if isinstance(node, SequenceNode):
        return Sequence([_convert(n, file, problems) for n in node.value], line, col)
    if isinstance(node, MappingNode):
        seen: dict[str, int] = {}
        items = []
        for knode, vnode in node.value:
            key = _convert(knode, file, problems)
            if not isinstance(key, Scalar):
                problems.append(Problem(file, key.line, key.column, "", "a key must be plain text"))
                continue
            if key.text in seen:
                problems.append(
                    Problem(file, key.line, key.column, key.text,
                            f"duplicate key '{key.text}' (first given at line {seen[key.text]})")
                )
                continue
            seen[key.text] = key.line
            items.append((key, _convert(vnode, file, problems)))
        return Mapping(items, line, col)
    raise SourceError([Problem(file, line, col, "", f"unsupported YAML node {type(node).__name__}")])


def read_yaml(path: Path, display: str | None = None) -> Node:
    """Parse a YAML file into a node tree; raise SourceError on syntax errors or duplicate keys."""
    display = display or str(path)
    text = path.read_text(encoding="utf-8")
    yaml = YAML(typ="safe", pure=False)  # libyaml's composer: the same node tree as "rt", 2.5x faster
    yaml.version = (1, 2)
    try:
        root = yaml.compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise SourceError([Problem(display, line, col, "", f"YAML syntax error: {exc.problem or exc}")]) from None
    if root is None:
        raise SourceError([Problem(display, 1, 1, "", "the file is empty")])
    problems: list[Problem] = []
    tree = _convert(root, display, problems)
    if problems:
        raise SourceError(problems)
    return tree
