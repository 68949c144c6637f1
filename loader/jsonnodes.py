"""Strict JSON reading: UTF-8, duplicate keys refused, nesting bounded, errors with line/column or JSON path."""

from __future__ import annotations

import json
import re

from .errors import Problem, SourceError
from .yamlnodes import decode_utf8

MAX_DEPTH = 64  # registry records nest about 8 levels; deeper input only serves to crash recursive readers

_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def json_path(parts) -> str:
    """A JSONPath for a list of keys and indices: $.a[0]["@context"]."""
    out = "$"
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", p):
            out += f".{p}"
        else:
            out += "[" + json.dumps(p, ensure_ascii=False) + "]"
    return out


def _too_deep_at(text: str, limit: int) -> int | None:
    """The offset of the first bracket that opens level limit + 1 (strings skipped), or None."""
    depth = 0
    for m in _TOKENS.finditer(text):
        tok = m.group()
        if tok in "[{":
            depth += 1
            if depth > limit:
                return m.start()
        elif tok in "]}":
            depth -= 1
    return None


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


class _Duplicate(ValueError):
    pass


def _no_duplicates(pairs):
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise _Duplicate(k)
        seen[k] = v
    return seen


def parse_json(data: bytes, display: str, max_depth: int = MAX_DEPTH):
    """The JSON value of a file's bytes; SourceError naming the file, line and column on any problem."""
    text = decode_utf8(data, display, "JSON file")
    deep = _too_deep_at(text, max_depth)
    if deep is not None:
        line, col = _line_col(text, deep)
        raise SourceError([Problem(display, line, col, "", f"JSON nested more than {max_depth} levels deep")])
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise SourceError([Problem(display, exc.lineno, exc.colno, "", f"malformed JSON: {exc.msg}")]) from None
    except _Duplicate as exc:  # json gives no position here; the key names it
        raise SourceError([Problem(display, 0, 0, str(exc), f"duplicate key '{exc}' in a JSON object (readers would silently keep only one of them)")]) from None
    except ValueError as exc:  # e.g. a number too long to convert
        raise SourceError([Problem(display, 0, 0, "", f"malformed JSON: {exc}")]) from None
