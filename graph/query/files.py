"""Saved SPARQL files: the `#+ key: value` header the CLI, docs and validation read."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_HEADER = re.compile(r"^#\+\s*([a-z_]+)\s*:\s*(.*)$")
_PARAM = re.compile(r"^(?P<name>[a-z_][a-z0-9_]*):(?P<type>iri|integer|decimal|boolean|string)(=(?P<default>\S+))?(\s+(?P<doc>.*))?$")


@dataclass(frozen=True)
class Param:
    """A query parameter: name, type, default (as text) and what it means."""

    name: str
    type: str
    default: str | None
    doc: str
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    kind: str | None = None  # `kind=class`: the value must be a class the graph knows


@dataclass
class QueryFile:
    """A saved query: its name, header fields, parameters and SPARQL text."""

    name: str
    path: Path
    text: str
    header: dict[str, str] = field(default_factory=dict)
    params: list[Param] = field(default_factory=list)
    lines: dict[str, list[str]] = field(default_factory=dict)  # every header value, line by line

    @property
    def summary(self) -> str:
        return self.header.get("summary", "")

    @property
    def tags(self) -> list[str]:
        return [t.strip() for t in self.header.get("tags", "").split(",") if t.strip()]

    @property
    def columns(self) -> list[str]:
        """The default table columns (`#+ columns: a,b,c`); empty when the header names none."""
        return [c.strip() for c in self.header.get("columns", "").replace(" ", ",").split(",") if c.strip()]

    @property
    def next_steps(self) -> list[str]:
        """Suggested next commands (`#+ next:` lines), printed after a table."""
        return self.lines.get("next", [])

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


def _constraints(doc: str) -> dict:
    out = {}
    m = re.search(r"\bpattern=(\S+)", doc)
    if m:
        out["pattern"] = m.group(1)
    m = re.search(r"\brange=(-?[\d.]+)\.\.(-?[\d.]+)", doc)
    if m:
        out["minimum"], out["maximum"] = float(m.group(1)), float(m.group(2))
    m = re.search(r"\bkind=(class)\b", doc)
    if m:
        out["kind"] = m.group(1)
    return out


def read_query_file(path: Path) -> QueryFile:
    """Read a .rq file; header lines are `#+ key: value`, params one per `#+ param:` line."""
    text = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    params: list[Param] = []
    lines: dict[str, list[str]] = {}
    for line in text.splitlines():
        m = _HEADER.match(line.strip())
        if not m:
            continue
        key, value = m.group(1), m.group(2).strip()
        lines.setdefault(key, []).append(value)
        if key == "param":
            pm = _PARAM.match(value)
            if not pm:
                raise ValueError(f"{path}: malformed '#+ param: {value}' (expected name:type[=default] description)")
            doc = pm.group("doc") or ""
            params.append(Param(pm.group("name"), pm.group("type"), pm.group("default"), doc, **_constraints(doc)))
        elif key in header:
            header[key] += " " + value
        else:
            header[key] = value
    return QueryFile(path.stem, path, text, header, params, lines)


def read_query_dir(directory: Path, pattern: str = "*.rq") -> list[QueryFile]:
    """Every saved query in a folder, by name."""
    return [read_query_file(p) for p in sorted(directory.glob(pattern))]
