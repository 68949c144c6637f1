"""Reading one ClinicalTrials.gov file strictly: UTF-8 JSON, duplicate keys refused, numbers kept as printed,
the retired v1 format recognised, and a record of which keys the loader read (the rest is "not mapped")."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .errors import Problem, SourceError

NCT_PATTERN = re.compile(r"^NCT\d{8}$")
NCT_IN_NAME = re.compile(r"NCT\d{8}")
V1_ROOTS = ("FullStudiesResponse", "FullStudy", "StudyFieldsResponse", "Study", "ProtocolSection")
V2_DOCS = "https://clinicaltrials.gov/data-api/api"
MAX_DEPTH = 64  # registry records nest about 10 levels; deeper input only serves to exhaust the parser's stack
MAX_MIB_ENV = "MSCKG_MAX_REGISTRY_MB"  # set by 'msckg build/check --max-registry-mb'; read in every worker
MAX_MIB = 50.0  # real records are at most a few MiB; one of ~50 MB (250,000 adverse-event rows) passed 8 GB


def max_file_mib() -> float:
    """The largest registry file read, in MiB (MSCKG_MAX_REGISTRY_MB, else 50)."""
    raw = os.environ.get(MAX_MIB_ENV, "").strip()
    try:
        value = float(raw) if raw else MAX_MIB
    except ValueError:
        value = MAX_MIB
    return value if value > 0 else MAX_MIB


class JsonObject(dict):
    """A JSON object that remembers which of its keys the loader asked for (`get` or `[]`)."""

    __slots__ = ("read",)

    def get(self, key, default=None):
        self.read.add(key)
        return dict.get(self, key, default)

    def __getitem__(self, key):
        self.read.add(key)
        return dict.__getitem__(self, key)


class Number(str):
    """A JSON number, kept as the text it was written with."""


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _object(items) -> JsonObject:
    out = JsonObject()
    out.read = set()
    for k, v in items:
        if dict.__contains__(out, k):
            raise ValueError(f"duplicate key '{k}' in one JSON object")
        dict.__setitem__(out, k, v)
    return out


@dataclass
class StudyFile:
    """One parsed study: the study object, the JSON path prefix of its locators, the file's bytes and text."""

    path: Path
    study: JsonObject
    prefix: str
    data: bytes
    text: str

    def position(self, needle: str, start: int = 0) -> tuple[int, int]:
        """Line and column (1-based) of the first `needle` at or after `start` (1, 1 when absent)."""
        i = self.text.find(needle, start)
        if i < 0:
            return 1, 1
        return self.text.count("\n", 0, i) + 1, i - (self.text.rfind("\n", 0, i) + 1) + 1


def _brackets(text: str, limit: int = MAX_DEPTH) -> tuple[int | None, bool]:
    """(offset of the first bracket that opens nesting level limit + 1, or None; whether the text ends inside a
    string or with brackets open), strings skipped."""
    depth, in_string, escaped = 0, False, False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return i, True
        elif ch in "]}":
            depth -= 1
    return None, in_string or depth > 0


def _fetch_hint(path: Path, ids: list[str]) -> str:
    ids = ids or NCT_IN_NAME.findall(path.name)[:1]
    if not ids:
        return f"download v2 records with 'msckg fetch ctgov NCT...' (API v2: {V2_DOCS})"
    shown = " ".join(ids[:10]) + (f" ... ({len(ids)} in all)" if len(ids) > 10 else "")
    return f"msckg fetch ctgov {shown} --out ctgov-cache && msckg build --source-dir ctgov-cache"


def _v1_ids(tree: dict) -> list[str]:
    """NCT IDs of a classic-API (v1) answer, wherever its studies are."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for k, v in dict.items(node):
                if k in ("NCTId", "nctId") and isinstance(v, str) and NCT_PATTERN.match(v) and v not in found:
                    found.append(v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(tree)
    return found


def _v1_problem(path: Path, tree: dict) -> Problem | None:
    root = next((k for k in V1_ROOTS if dict.__contains__(tree, k)), None)
    if root is None or dict.__contains__(tree, "protocolSection"):
        return None
    ids = _v1_ids(tree)
    many = f", {len(ids)} studies" if len(ids) != 1 else f", study {ids[0]}"
    return Problem(str(path), 1, 1, root,
                   f"retired v1 format (the classic ClinicalTrials.gov API's '{root}'{many if ids else ''}): ClinicalTrials.gov "
                   f"retired API v1 in 2024; msckg reads API v2 study records ({V2_DOCS})",
                   hint=_fetch_hint(path, ids))


def read_study_file(path: Path) -> StudyFile:
    """Parse one file into its study object; raise SourceError naming file, line, column and field."""
    path = Path(path)
    file = str(path)
    try:
        size, limit = path.stat().st_size, max_file_mib()
        if size > limit * 2**20:  # refused before reading: nothing of it is parsed or held
            raise SourceError([Problem(file, 0, 0, "", f"the file is {size / 2**20:,.1f} MiB, over the {limit:g} MiB limit for one "
                                                       "registry record (real records are at most a few MiB)",
                                       hint=f"if it is genuine, raise the limit: msckg build --max-registry-mb N (or {MAX_MIB_ENV})")])
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError([Problem(file, 0, 0, "", f"cannot read the file: {exc.strerror or exc}")]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SourceError([Problem(file, line, col, "", "the file is not UTF-8 text")]) from None
    deep = _brackets(text)[0]
    if deep is not None:
        line, col = text.count("\n", 0, deep) + 1, deep - (text.rfind("\n", 0, deep) + 1) + 1
        raise SourceError([Problem(file, line, col, "", f"JSON nested more than {MAX_DEPTH} levels deep: not a registry record")])
    try:
        tree = json.loads(text, object_pairs_hook=_object, parse_float=Number, parse_int=Number,
                          parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        truncated = exc.pos >= len(text.rstrip()) or _brackets(text)[1]
        why = "the file ends in the middle of the JSON (a truncated download?)" if truncated else f"malformed JSON: {exc.msg}"
        hint = _fetch_hint(path, []) if truncated and NCT_IN_NAME.search(path.name) else ""
        raise SourceError([Problem(file, exc.lineno, exc.colno, "", why, hint=hint)]) from None
    except ValueError as exc:
        raise SourceError([Problem(file, 0, 0, "", f"malformed JSON: {exc}")]) from None
    prefix = ""
    if isinstance(tree, dict):
        v1 = _v1_problem(path, tree)
        if v1:
            raise SourceError([v1])
    if isinstance(tree, dict) and not dict.__contains__(tree, "protocolSection") and isinstance(dict.get(tree, "studies"), list):
        studies = tree["studies"]
        if len(studies) != 1:
            raise SourceError([Problem(file, 1, 1, "studies",
                                       f"the file holds {len(studies)} studies in a 'studies' list (an API search page); msckg loads one study per file",
                                       hint=f"msckg fetch ctgov --from-file {file} --out ctgov-cache (splits it into one file per study, offline)")])
        tree, prefix = studies[0], "studies[0]."
    if not isinstance(tree, dict):
        raise SourceError([Problem(file, 1, 1, "", "expected a JSON object: one ClinicalTrials.gov API v2 study record")])
    return StudyFile(path, tree, prefix, data, text)


def nct_id(sf: StudyFile) -> str:
    """The record's NCT ID, or SourceError saying which part of protocolSection.identificationModule.nctId is missing."""
    study, prefix, file = sf.study, sf.prefix, str(sf.path)
    fld = prefix + "protocolSection.identificationModule.nctId"
    ps = study.get("protocolSection")
    ident = ps.get("identificationModule") if isinstance(ps, dict) else None
    ident = ident if isinstance(ident, dict) else {}
    nct = ident.get("nctId")
    if nct is None:
        missing = "protocolSection" if not dict.__contains__(study, "protocolSection") else (
            "protocolSection.identificationModule" if not ident else "protocolSection.identificationModule.nctId")
        line, col = sf.position('"identificationModule"' if ident else '"protocolSection"')
        raise SourceError([Problem(file, line, col, fld, f"no {prefix}{missing}: the record does not say which trial it is")])
    start = max(sf.text.find('"identificationModule"'), 0)
    line, col = sf.position('"nctId"', start)
    if not isinstance(nct, str) or not NCT_PATTERN.match(nct):
        raise SourceError([Problem(file, line, col, fld, f"malformed NCT ID {json.dumps(nct, ensure_ascii=False)}: expected NCT followed by 8 digits")])
    return nct


def unread_paths(study: JsonObject, prefix: str = "") -> Counter:
    """Every JSON path the loader never read, list indices written as [], with the number of values under it."""
    out: Counter = Counter()

    def walk(node, path: str):
        if isinstance(node, JsonObject):
            for k, v in dict.items(node):
                p = f"{path}.{k}" if path else k
                if k in node.read:
                    walk(v, p)
                else:
                    _count_leaves(v, p)
        elif isinstance(node, list):
            for v in node:
                walk(v, path + "[]")

    def _count_leaves(node, path: str):
        if isinstance(node, dict) and node:
            for k, v in dict.items(node):
                _count_leaves(v, f"{path}.{k}")
        elif isinstance(node, list) and node:
            for v in node:
                _count_leaves(v, path + "[]")
        else:
            out[path] += 1

    walk(study, prefix.rstrip("."))
    return out


def last_update(study: dict) -> str | None:
    """protocolSection.statusModule.lastUpdatePostDateStruct.date, without marking it read."""
    node = study
    for key in ("protocolSection", "statusModule", "lastUpdatePostDateStruct", "date"):
        node = dict.get(node, key) if isinstance(node, dict) else None
    return str(node) if isinstance(node, str) else None
