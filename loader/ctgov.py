"""ClinicalTrials.gov API v2 study records (JSON) to RDF: one named graph per record.

`ctgov_to_graph(path)` is a pure function: it reads one JSON file (and the ontology, as the
schema) and returns a LoadedRecord; it touches no store and no network.

What it writes, all with msckg terms only (see ontology/msckg.ttl):

- the trial `id/trial/<NCT>` (label = brief title, title = official title, shortName = acronym,
  phase, allocation, masking, status, start/end dates kept as partial as printed, planned or
  actual enrolment, control type where the arm types say it, conditions, lead sponsor);
- its registrations `id/trial/<NCT>/registration/ctgov` (and EudraCT / ChiCTR secondary IDs);
- the source document `id/pub/ctgov-<NCT>` (a RegistryRecordDocument that reports the trial);
- arms `id/trial/<NCT>/arm/<i>` (i = position in armGroups, from 0), interventions
  `id/trial/<NCT>/intervention/<i>`, one dosing regimen per arm and intervention;
- outcome measures `id/trial/<NCT>/outcome/<n>` (n = position in resultsSection
  outcomeMeasures; protocol outcomes without results are `outcome/primary-<i>` etc.);
- evidence nodes under the document `id/pub/ctgov-<NCT>/...`: eligibility, results, comparisons,
  adverse-event counts and baseline values, each with msckg:source and a msckg:locator that is
  the JSON path of the value (e.g. resultsSection.adverseEventsModule.seriousEvents[3].stats[1]).

Results groups (OG/EG/BG ids are per module, and per outcome measure) are matched to the
protocol's arm groups by title; a group that matches none becomes an arm of its own
(`arm/eg000`, `arm/bg001`, `arm/om3-og000`), except a "Total" column, which is no arm.

Counts: records_in = things read (study, arms, interventions, conditions, sponsors, outcome
measures, measurements, analyses, adverse-event rows, baseline values, eligibility),
entities_out = those written, rejected = those skipped; each reason for skipping, and each
field that could not be mapped, is a msckg:note on the graph node (problems would fail the build,
and a record that loads partly is still worth loading).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from rdflib import RDF, RDFS, SKOS, Graph, Literal, URIRef
from rdflib.namespace import XSD

from . import __version__
from .ctgov_terms import analysis_types, enum_tables
from .errors import Problem, SourceError
from .records import LoadedRecord
from .sink import new_graph
from .schema import GRAPH, ID, MSCKG, PROV, default_schema

NCT_PATTERN = re.compile(r"^NCT\d{8}$")
CHICTR_PATTERN = re.compile(r"^ChiCTR\d{10}$")
DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
NON_NEGATIVE_INTEGER = re.compile(r"^\+?\d+$")
PARTIAL_DATE = re.compile(r"^(\d{4})(-(\d{2})(-(\d{2}))?)?$")
AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s+(year|month|week|day|hour|minute)s?\s*$", re.IGNORECASE)
P_VALUE = re.compile(r"^\s*(<=|>=|≤|≥|<|>|=)?\s*(\d*\.?\d+)\s*$")
STUDY_URL = "https://clinicaltrials.gov/study/{}"

_TABLES = enum_tables()  # loader/ctgov_terms.tsv
PHASES = _TABLES["phases"]
ALLOCATIONS = _TABLES["allocations"]
MASKINGS = _TABLES["maskings"]
STATUSES = _TABLES["statuses"]
ARM_TYPES = _TABLES["arm_types"]
IMPORTANCE = _TABLES["importance"]
ORG_KINDS = _TABLES["org_kinds"]
# Analysis parameter types (free text in the registry) -> comparison class (loader/ctgov_analysis_types.tsv).
COMPARISONS = analysis_types()
PERCENT_UNIT = re.compile(r"^(percent(age)?|%)(\s+of\s+(participants|patients|subjects|people|children|infants))?$", re.IGNORECASE)
PARTICIPANT_UNIT = re.compile(r"^(participants|patients|subjects|people)$", re.IGNORECASE)
CELL_THERAPY = re.compile(r"\b(stem|stromal|progenitor|mesenchymal|car-?t|nk|dendritic|t)[- ]cells?\b|\bmscs?\b|\bcar-?t\b|\bcell therapy\b",
                          re.IGNORECASE)
NOT_CELL_PRODUCT = re.compile(r"\b(transplant\w*|transfusion)\b", re.IGNORECASE)
PLACEBO = re.compile(r"\b(placebo|vehicle)\b", re.IGNORECASE)


def _fmt_dec(text: str) -> str:
    """The canonical xsd:decimal form of a decimal text (no '+', no needless zeros)."""
    d = Decimal(text)
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s in ("-0", ""):
        s = "0"
    return s


def _norm(text: str) -> str:
    """Text for matching titles: case-folded, without whitespace and punctuation (symbols kept)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if not ch.isspace() and not unicodedata.category(ch).startswith("P"))


def slug(text: str) -> str:
    """A key segment from a name: ASCII letters and digits joined by '-'; a hash when none is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return s[:80].rstrip("-") if s else "x-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def _enum(text: object) -> str:
    """Registry enum values and their display forms alike: '95% Confidence Interval' -> '95_CONFIDENCE_INTERVAL'."""
    return re.sub(r"[^A-Z0-9]+", "_", str(text).upper()).strip("_")


def _obj(x) -> dict:
    return x if isinstance(x, dict) else {}


def _arr(x) -> list:
    return x if isinstance(x, list) else []


def _text(x) -> str | None:
    """A JSON string or number as text (numbers keep their lexical form: the parser keeps them as text)."""
    if isinstance(x, bool) or x is None:
        return None
    if isinstance(x, (str, int, float)):
        s = str(x).strip()
        return s or None
    return None


class _Number(str):
    """A JSON number, kept as the text it was written with."""


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


@lru_cache(maxsize=1)
def _ontology_lookups() -> tuple[dict[str, URIRef], dict[str, URIRef]]:
    """Adverse-event term classes by label/altLabel, and declared UO units by label (from the ontology)."""
    schema = default_schema()
    g = schema.graph
    ae: dict[str, set[URIRef]] = {}
    for cls in schema.classes:
        if cls != MSCKG.AdverseEventTerm and schema.is_a({cls}, MSCKG.AdverseEventTerm):
            for p in (RDFS.label, SKOS.altLabel):
                for lab in g.objects(cls, p):
                    ae.setdefault(str(lab).casefold(), set()).add(cls)
    terms = {k: next(iter(v)) for k, v in ae.items() if len(v) == 1}
    units: dict[str, URIRef] = {}
    for s, lab in g.subject_objects(RDFS.label):
        if isinstance(s, URIRef) and str(s).startswith("http://purl.obolibrary.org/obo/UO_"):
            units[str(lab).casefold()] = s
            units[str(lab).casefold() + "s"] = s
    return terms, units


@dataclass
class _Arm:
    iri: URIRef
    cls: URIRef
    label: str


@dataclass
class _Ctx:
    """The state of one conversion: the graph, IRIs, counts and notes."""

    nct: str
    prefix: str
    graph: Graph
    trial: URIRef
    doc: URIRef
    records_in: int = 0
    entities_out: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    arms: list[_Arm] = field(default_factory=list)
    extra_arms: dict[str, _Arm] = field(default_factory=dict)
    fuzzy: list[str] = field(default_factory=list)

    # ---- bookkeeping
    def loc(self, path: str) -> str:
        return self.prefix + path

    def ok(self) -> None:
        self.records_in += 1
        self.entities_out += 1

    def reject(self, path: str, reason: str) -> None:
        self.records_in += 1
        self.rejected.append((self.loc(path), reason))

    def drop(self, path: str, reason: str) -> None:
        self.dropped.append((self.loc(path), reason))

    # ---- triples
    def add(self, s, p, o) -> None:
        self.graph.add((s, p, o))

    def text(self, s, p, value: str | None) -> None:
        if value:
            self.add(s, p, Literal(value))

    def number(self, s, name: str, value: str, path: str) -> bool:
        """A numeric field typed by the ontology's range, kept as written; False (and a note) if invalid."""
        rng = default_schema().fields[name].range
        if rng in (XSD.nonNegativeInteger, XSD.integer, XSD.positiveInteger):
            if not NON_NEGATIVE_INTEGER.match(value) and not (rng == XSD.integer and re.match(r"^-\d+$", value)):
                self.drop(path, f"{name} '{value}' is not a whole number")
                return False
        elif rng == XSD.decimal:
            if not DECIMAL.match(value):
                self.drop(path, f"{name} '{value}' is not a decimal number")
                return False
        self.add(s, MSCKG[name], Literal(value, datatype=rng, normalize=False))
        if rng == XSD.decimal and _fmt_dec(value) != value:
            self.add(s, MSCKG.asPrinted, Literal(f"{name}={value}"))
        return True

    def date(self, s, p, value: str | None, path: str) -> None:
        if not value:
            return
        m = PARTIAL_DATE.match(value)
        if not m:
            self.drop(path, f"date '{value}' is not YYYY, YYYY-MM or YYYY-MM-DD")
            return
        dtype = XSD.date if m.group(5) else XSD.gYearMonth if m.group(3) else XSD.gYear
        self.add(s, p, Literal(value, datatype=dtype))

    def evidence(self, s, cls: URIRef, path: str) -> None:
        self.add(s, RDF.type, cls)
        self.add(s, MSCKG.source, self.doc)
        self.add(s, MSCKG.locator, Literal(self.loc(path)))


# ------------------------------------------------------------------------------------ reading

def _read(path: Path) -> tuple[dict, str, bytes]:
    """Parse the JSON file strictly; return (study, locator prefix, bytes). Raises SourceError."""
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError([Problem(file, 0, 0, "", f"cannot read the file: {exc.strerror or exc}")]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SourceError([Problem(file, line, col, "", "the file is not UTF-8 text")]) from None

    def pairs(items):
        out = {}
        for k, v in items:
            if k in out:
                raise ValueError(f"duplicate key '{k}' in one JSON object")
            out[k] = v
        return out

    try:
        tree = json.loads(text, object_pairs_hook=pairs, parse_float=_Number, parse_int=_Number,
                          parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise SourceError([Problem(file, exc.lineno, exc.colno, "", f"malformed JSON: {exc.msg}")]) from None
    except ValueError as exc:
        raise SourceError([Problem(file, 0, 0, "", f"malformed JSON: {exc}")]) from None
    prefix = ""
    if isinstance(tree, dict) and "protocolSection" not in tree and isinstance(tree.get("studies"), list):
        studies = tree["studies"]
        if len(studies) != 1:
            raise SourceError([Problem(file, 1, 1, "studies", f"the file holds {len(studies)} studies in a 'studies' list; give one study per file")])
        tree, prefix = studies[0], "studies[0]."
    if not isinstance(tree, dict):
        raise SourceError([Problem(file, 1, 1, "", "expected a JSON object: one ClinicalTrials.gov API v2 study record")])
    return tree, prefix, data


def _nct_id(study: dict, prefix: str, path: Path, data: bytes) -> str:
    file, fld = str(path), prefix + "protocolSection.identificationModule.nctId"
    ident = _obj(_obj(study.get("protocolSection")).get("identificationModule"))
    nct = ident.get("nctId")
    text = data.decode("utf-8-sig")
    if nct is None:
        missing = "protocolSection" if "protocolSection" not in study else (
            "protocolSection.identificationModule" if not ident else "protocolSection.identificationModule.nctId")
        at = text.find('"identificationModule"') if ident else text.find('"protocolSection"')
        line, col = (text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1) if at >= 0 else (1, 1)
        raise SourceError([Problem(file, line, col, fld, f"no {prefix}{missing}: the record does not say which trial it is")])
    start = max(text.find('"identificationModule"'), 0)
    i = text.find('"nctId"', start)
    line, col = (text.count("\n", 0, i) + 1, i - (text.rfind("\n", 0, i) + 1) + 1) if i >= 0 else (0, 0)
    if not isinstance(nct, str) or not NCT_PATTERN.match(nct):
        raise SourceError([Problem(file, line, col, fld, f"malformed NCT ID {json.dumps(nct, ensure_ascii=False)}: expected NCT followed by 8 digits")])
    return nct


# ------------------------------------------------------------------------------------ arms

def _match_group(ctx: _Ctx, title: str, used: set[int]) -> tuple[int | None, str]:
    """The protocol arm group a results group title names: exact, then normalised, then by containment."""
    labels = [a.label for a in ctx.arms]
    exact = [i for i, lab in enumerate(labels) if lab == title]
    if len(exact) == 1:
        return exact[0], "exact"
    t = _norm(title)
    normed = [i for i, lab in enumerate(labels) if _norm(lab) == t]
    if len(normed) == 1:
        return normed[0], "normalised"
    stripped = [_norm(re.sub(r"^\s*\d+\s*[.):]?\s+", "", lab)) for lab in labels]
    same = [i for i, lab in enumerate(stripped) if lab == t]
    if len(same) == 1:
        return same[0], "numbering"
    inside = [i for i, lab in enumerate(stripped) if len(lab) >= 4 and lab in t and i not in used]
    if len(inside) == 1:
        return inside[0], "containment"
    around = [i for i, lab in enumerate(stripped) if len(t) >= 4 and t in lab and i not in used]
    if len(around) == 1:
        return around[0], "containment"
    return None, ""


def _group_arms(ctx: _Ctx, groups: list, module_path: str, key_prefix: str = "") -> dict[str, _Arm | None]:
    """Results groups of one module (id -> arm). A 'Total' column maps to None."""
    out: dict[str, _Arm | None] = {}
    used: set[int] = set()
    pending = []
    for gi, g in enumerate(groups):
        g = _obj(g)
        gid, title = _text(g.get("id")), _text(g.get("title")) or ""
        if not gid:
            ctx.drop(f"{module_path}[{gi}]", "results group without an id")
            continue
        if _norm(title) == "total":
            out[gid] = None
            continue
        idx, how = _match_group(ctx, title, used)
        if idx is not None and idx not in used:
            used.add(idx)
            out[gid] = ctx.arms[idx]
            if how in ("numbering", "containment"):
                ctx.fuzzy.append(f"results group {ctx.loc(module_path)}[{gi}] '{title}' matched to arm group '{ctx.arms[idx].label}' by {how}")
        else:
            pending.append((gi, gid, title))
    for gi, gid, title in pending:
        key = _norm(title) or gid
        arm = ctx.extra_arms.get(key)
        if arm is None:
            iri = ID[f"trial/{ctx.nct}/arm/{key_prefix}{slug(gid)}"]
            arm = _Arm(iri, MSCKG.Arm, title or gid)
            ctx.extra_arms[key] = arm
            ctx.add(iri, RDF.type, MSCKG.Arm)
            ctx.add(iri, RDFS.label, Literal(arm.label))
            ctx.add(iri, MSCKG.armOf, ctx.trial)
            ctx.add(iri, MSCKG.note, Literal(
                f"Reporting group {gid} of {ctx.loc(module_path)}[{gi}] matches no arm group of the protocol section; "
                "the loader made it an arm of its own."))
            ctx.ok()  # a results group read as an arm
        out[gid] = arm
    return out


# ------------------------------------------------------------------------------------ values

@dataclass
class _Value:
    cls: URIRef | None
    props: list[tuple[str, str]]
    notes: list[str]
    unit: URIRef | None = None
    dropped: list[str] = field(default_factory=list)


def _dispersion(disp: str, meas: dict) -> tuple[list[tuple[str, str]], str | None]:
    """Dispersion fields of one measurement as (property, value) pairs, or the reason they are left out."""
    d = _enum(disp)
    if not d or d == "NA":
        return [], None
    spread, lo, hi = _text(meas.get("spread")), _text(meas.get("lowerLimit")), _text(meas.get("upperLimit"))
    if d == "STANDARD_DEVIATION":
        pairs = [("standardDeviation", spread)]
    elif d in ("STANDARD_ERROR", "STANDARD_ERROR_OF_MEAN"):
        pairs = [("standardError", spread)]
    elif d == "FULL_RANGE":
        pairs = [("rangeLow", lo), ("rangeHigh", hi)]
    elif d in ("95_CONFIDENCE_INTERVAL", "CONFIDENCE_INTERVAL_95"):
        pairs = [("ciLower", lo), ("ciUpper", hi)]
    else:
        if spread or lo or hi:
            return [], f"dispersion '{disp}' has no msckg property (only SD, SE, full range and 95% CI do)"
        return [], None
    out = [(p, v) for p, v in pairs if v]
    bad = [v for p, v in out if not DECIMAL.match(v)]
    if bad:
        return [(p, v) for p, v in out if DECIMAL.match(v)], f"dispersion value(s) {', '.join(repr(b) for b in bad)} not a number"
    return out, None


def _value(param: str, disp: str, unit: str, meas: dict, denominator: str | None) -> tuple[_Value | None, str]:
    """The class and numeric properties of one measurement, or (None, reason) when it carries no value."""
    value = _text(meas.get("value"))
    if value is None or not DECIMAL.match(value):
        return None, f"no numeric value (printed {value!r})" if value else "no value"
    _, units = _ontology_lookups()
    p = _enum(param)
    notes: list[str] = []
    uo = units.get(unit.strip().casefold()) if unit else None
    denom = [("denominator", denominator)] if denominator and NON_NEGATIVE_INTEGER.match(denominator) else []
    if p == "COUNT_OF_PARTICIPANTS":
        if not NON_NEGATIVE_INTEGER.match(value):
            return None, f"count of participants '{value}' is not a whole number"
        v = _Value(MSCKG.ProportionResult, [("count", value)] + denom, notes)
    elif p == "NUMBER" and unit and PERCENT_UNIT.match(unit.strip()) and 0 <= Decimal(value) <= 100:
        v = _Value(MSCKG.ProportionResult, [("percent", value)] + denom, notes)
    elif p == "NUMBER" and unit and PARTICIPANT_UNIT.match(unit.strip()) and NON_NEGATIVE_INTEGER.match(value):
        v = _Value(MSCKG.ProportionResult, [("count", value)] + denom, notes)
    elif p == "MEAN":
        v = _Value(MSCKG.MeanResult, [("mean", value)], notes, uo)
    elif p == "LEAST_SQUARES_MEAN":
        v = _Value(MSCKG.MeanResult, [("mean", value)], notes + ["least-squares (model-adjusted) mean"], uo)
    elif p == "MEDIAN":
        v = _Value(MSCKG.MedianResult, [("median", value)], notes, uo)
    else:
        kind = {"NUMBER": None}.get(p, param.replace("_", " ").lower() if param else "unstated parameter")
        v = _Value(MSCKG.ValueResult, [("estimate", value)], notes + ([f"value is a {kind}"] if kind else []), uo)
    pairs, why = _dispersion(disp, meas)
    v.props += pairs
    if why:
        v.dropped.append(why)
    return v, ""


def _denominators(denoms: list, units_wanted: str = "participants") -> dict[str, str]:
    """Group id -> denominator, from the denoms list counted in participants (or in unstated units)."""
    denoms = [_obj(d) for d in _arr(denoms)]
    chosen = [d for d in denoms if str(d.get("units", "")).strip().casefold() == units_wanted]
    if not chosen:
        chosen = [d for d in denoms if not _text(d.get("units"))]
    out = {}
    for d in chosen[:1]:
        for c in _arr(d.get("counts")):
            c = _obj(c)
            gid, val = _text(c.get("groupId")), _text(c.get("value"))
            if gid and val:
                out[gid] = val
    return out


# ------------------------------------------------------------------------------------ sections

def _trial(ctx: _Ctx, ps: dict) -> None:
    t, nct = ctx.trial, ctx.nct
    ident = _obj(ps.get("identificationModule"))
    ctx.add(t, RDF.type, MSCKG.Trial)
    label = _text(ident.get("briefTitle")) or _text(ident.get("officialTitle")) or f"ClinicalTrials.gov study {nct}"
    ctx.add(t, RDFS.label, Literal(label))
    ctx.text(t, MSCKG["title"], _text(ident.get("officialTitle")))
    ctx.text(t, MSCKG.shortName, _text(ident.get("acronym")))
    ctx.ok()

    status = _obj(ps.get("statusModule"))
    reg = ID[f"trial/{nct}/registration/ctgov"]
    ctx.add(t, MSCKG.registration, reg)
    ctx.add(reg, RDF.type, MSCKG.ClinicalTrialsGovRegistration)
    ctx.add(reg, RDFS.label, Literal(f"ClinicalTrials.gov {nct}"))
    ctx.add(reg, MSCKG.registryId, Literal(nct))
    ctx.add(reg, RDFS.seeAlso, URIRef(STUDY_URL.format(nct)))
    ctx.date(reg, MSCKG.registrationDate, _text(status.get("studyFirstSubmitDate")), "protocolSection.statusModule.studyFirstSubmitDate")
    for i, sec in enumerate(_arr(ident.get("secondaryIdInfos"))):
        sec = _obj(sec)
        sid, stype = _text(sec.get("id")), _enum(sec.get("type", ""))
        if not sid:
            continue
        if stype == "EUDRACT_NUMBER" and re.match(r"^\d{4}-\d{6}-\d{2}$", sid):
            key, cls, lab = "eudract", MSCKG.Registration, f"EudraCT {sid}"
        elif CHICTR_PATTERN.match(sid):
            key, cls, lab = "chictr", MSCKG.ChiCTRRegistration, f"ChiCTR {sid}"
        else:
            ctx.drop(f"protocolSection.identificationModule.secondaryIdInfos[{i}]", f"secondary ID of type {stype or 'unstated'} is not a registry msckg models")
            continue
        r = ID[f"trial/{nct}/registration/{key}-{slug(sid)}"]
        ctx.add(t, MSCKG.registration, r)
        ctx.add(r, RDF.type, cls)
        ctx.add(r, RDFS.label, Literal(lab))
        ctx.add(r, MSCKG.registryId, Literal(sid))

    design = _obj(ps.get("designModule"))
    phases = tuple(sorted(str(p) for p in _arr(design.get("phases"))))
    if phases:
        if phases in PHASES:
            ctx.add(t, MSCKG.phase, PHASES[phases])
        else:
            ctx.drop("protocolSection.designModule.phases", f"phase {'/'.join(phases)} has no msckg:TrialPhase")
    info = _obj(design.get("designInfo"))
    alloc = _text(info.get("allocation"))
    model = _text(info.get("interventionModel"))
    if alloc in ALLOCATIONS:
        ctx.add(t, MSCKG.allocation, ALLOCATIONS[alloc])
    elif alloc == "NA" and model == "SINGLE_GROUP":
        ctx.add(t, MSCKG.allocation, MSCKG.SingleGroup)
    elif alloc:
        ctx.drop("protocolSection.designModule.designInfo.allocation", f"allocation {alloc} (model {model}) has no msckg:Allocation")
    masking = _text(_obj(info.get("maskingInfo")).get("masking"))
    if masking in MASKINGS:
        ctx.add(t, MSCKG.masking, MASKINGS[masking])
    elif masking:
        ctx.drop("protocolSection.designModule.designInfo.maskingInfo.masking", f"masking {masking} has no msckg:Masking individual")
    st = _text(status.get("overallStatus"))
    if st in STATUSES:
        ctx.add(t, MSCKG.status, STATUSES[st])
    elif st:
        ctx.drop("protocolSection.statusModule.overallStatus", f"status {st} has no msckg:TrialStatus individual")
    for name, prop in (("startDateStruct", MSCKG.startDate), ("completionDateStruct", MSCKG.endDate)):
        d = _obj(status.get(name))
        when, kind = _text(d.get("date")), _text(d.get("type"))
        if when and kind in (None, "ACTUAL"):
            ctx.date(t, prop, when, f"protocolSection.statusModule.{name}.date")
        elif when:
            ctx.drop(f"protocolSection.statusModule.{name}", f"{kind.lower()} date {when} not written: msckg has no planned start/end date")
    enrol = _obj(design.get("enrollmentInfo"))
    count, kind = _text(enrol.get("count")), _text(enrol.get("type"))
    if count:
        prop = {"ACTUAL": "actualEnrolment", "ESTIMATED": "plannedEnrolment", "ANTICIPATED": "plannedEnrolment"}.get(kind or "")
        if prop:
            ctx.number(t, prop, count, "protocolSection.designModule.enrollmentInfo.count")
        else:
            ctx.drop("protocolSection.designModule.enrollmentInfo", f"enrolment type {kind!r} is neither ACTUAL nor ESTIMATED")

    # conditions
    for i, c in enumerate(_arr(_obj(ps.get("conditionsModule")).get("conditions"))):
        name = _text(c)
        if not name:
            ctx.reject(f"protocolSection.conditionsModule.conditions[{i}]", "empty condition")
            continue
        ci = ID[f"condition/{slug(name)}"]
        ctx.add(t, MSCKG.condition, ci)
        ctx.add(ci, RDF.type, MSCKG.Condition)
        ctx.add(ci, RDFS.label, Literal(name))
        ctx.ok()

    # sponsor and collaborators
    sc = _obj(ps.get("sponsorCollaboratorsModule"))
    lead = _obj(sc.get("leadSponsor"))
    if lead:
        _organisation(ctx, lead, "protocolSection.sponsorCollaboratorsModule.leadSponsor", sponsor=True)
    for i, c in enumerate(_arr(sc.get("collaborators"))):
        _organisation(ctx, _obj(c), f"protocolSection.sponsorCollaboratorsModule.collaborators[{i}]", sponsor=False)


def _measurements(measure: dict, fallback_denoms: dict, path: str):
    """Each measurement of an outcome or baseline measure, with its JSON path, category and denominators."""
    denoms_m = _denominators(measure.get("denoms")) or fallback_denoms
    for c, cl in enumerate(_arr(measure.get("classes"))):
        cl = _obj(cl)
        denoms = _denominators(cl.get("denoms")) or denoms_m
        for k, cat in enumerate(_arr(cl.get("categories"))):
            cat = _obj(cat)
            category = " / ".join(x for x in (_text(cl.get("title")), _text(cat.get("title"))) if x)
            for m, meas in enumerate(_arr(cat.get("measurements"))):
                yield _obj(meas), f"{path}.classes[{c}].categories[{k}].measurements[{m}]", category, denoms, (c, k)


def _organisation(ctx: _Ctx, org: dict, path: str, sponsor: bool) -> None:
    name, cls = _text(org.get("name")), _text(org.get("class"))
    if not name:
        ctx.reject(path, "organisation without a name")
        return
    if cls == "INDIV":
        ctx.reject(path, "an individual, not an organisation: msckg:sponsor and msckg:collaborator name organisations")
        return
    o = ID[f"org/{slug(name)}"]
    ctx.add(o, RDF.type, MSCKG.Organisation)
    if (o, RDFS.label, None) not in ctx.graph:
        ctx.add(o, RDFS.label, Literal(name))
    elif (o, RDFS.label, Literal(name)) not in ctx.graph:
        ctx.add(o, SKOS.altLabel, Literal(name))
    if cls in ORG_KINDS:
        ctx.add(o, MSCKG.organisationKind, ORG_KINDS[cls])
    ctx.add(ctx.trial, MSCKG.sponsor if sponsor else MSCKG.collaborator, o)
    ctx.ok()


def _eligibility(ctx: _Ctx, ps: dict) -> None:
    el = ps.get("eligibilityModule")
    if not isinstance(el, dict):
        return
    path = "protocolSection.eligibilityModule"
    node = ID[f"pub/ctgov-{ctx.nct}/eligibility"]
    ages = []
    for fld, bound in (("minimumAge", "min"), ("maximumAge", "max")):
        raw = _text(el.get(fld))
        if not raw:
            continue
        age = _age(raw)
        if age is None:
            ctx.drop(f"{path}.{fld}", f"age '{raw}' is not a number of years or months")
        else:
            value, unit = age
            ages.append((f"{bound}Age{unit}", value, f"{path}.{fld}"))
    for fld in ("eligibilityCriteria", "sex", "healthyVolunteers", "stdAges"):
        if el.get(fld) not in (None, "", []):
            ctx.drop(f"{path}.{fld}", "no msckg property (criteria are free text; sex, healthy volunteers and age groups have none)")
    if not ages:
        ctx.reject(path, "no age limit that msckg can hold")
        return
    ctx.evidence(node, MSCKG.Eligibility, ages[0][2])
    ctx.add(node, RDFS.label, Literal(f"Eligibility criteria of {ctx.nct}"))
    ctx.add(ctx.trial, MSCKG.eligibility, node)
    for prop, years, p in ages:
        ctx.number(node, prop, years, p)
        ctx.add(node, MSCKG.locator, Literal(ctx.loc(p)))
    ctx.ok()


def _age(raw: str) -> tuple[str, str] | None:
    """'18 Years' -> ('18', 'Years'); '1 Month' -> ('1', 'Months'): the number as printed, never converted.

    None for weeks, days and hours, which msckg has no property for."""
    m = AGE.match(raw)
    if not m:
        return None
    unit = m.group(2).lower()
    if unit not in ("year", "month"):
        return None
    return m.group(1), "Years" if unit == "year" else "Months"


def _arms(ctx: _Ctx, ps: dict) -> None:
    aim = _obj(ps.get("armsInterventionsModule"))
    base = "protocolSection.armsInterventionsModule"
    for i, a in enumerate(_arr(aim.get("armGroups"))):
        a = _obj(a)
        label, kind = _text(a.get("label")), _text(a.get("type"))
        iri = ID[f"trial/{ctx.nct}/arm/{i}"]
        cls = ARM_TYPES.get(kind or "", MSCKG.Arm)
        arm = _Arm(iri, cls, label or "")
        ctx.arms.append(arm)
        if not label:
            ctx.reject(f"{base}.armGroups[{i}]", "arm group without a label")
            continue
        ctx.add(iri, RDF.type, cls)
        ctx.add(iri, RDFS.label, Literal(label))
        ctx.add(iri, MSCKG.armOf, ctx.trial)
        if kind and kind not in ARM_TYPES:
            ctx.drop(f"{base}.armGroups[{i}].type", f"arm type {kind} has no msckg subclass of Arm")
        ctx.ok()
    types = {a.cls for a in ctx.arms}
    if MSCKG.PlaceboArm in types:
        ctx.add(ctx.trial, MSCKG.controlType, MSCKG.PlaceboControl)
    kinds = {_text(_obj(a).get("type")) for a in _arr(aim.get("armGroups"))}
    if "ACTIVE_COMPARATOR" in kinds:
        ctx.add(ctx.trial, MSCKG.controlType, MSCKG.ActiveControl)
    model = _text(_obj(_obj(_obj(ps.get("designModule")).get("designInfo"))).get("interventionModel"))
    if model == "SINGLE_GROUP" and kinds and kinds <= {"EXPERIMENTAL"}:
        ctx.add(ctx.trial, MSCKG.controlType, MSCKG.NoControl)

    by_label = {a.label: k for k, a in enumerate(ctx.arms) if a.label}
    links: dict[tuple[int, int], str] = {}
    interventions = _arr(aim.get("interventions"))
    for j, iv in enumerate(interventions):
        iv = _obj(iv)
        name, kind = _text(iv.get("name")), _text(iv.get("type"))
        if not name:
            ctx.reject(f"{base}.interventions[{j}]", "intervention without a name")
            continue
        node = ID[f"trial/{ctx.nct}/intervention/{j}"]
        other = [s for s in (_text(x) for x in _arr(iv.get("otherNames"))) if s]
        if PLACEBO.search(name):
            cls = MSCKG.Placebo
        elif (kind != "PROCEDURE" and not NOT_CELL_PRODUCT.search(name)
              and (CELL_THERAPY.search(name) or any(CELL_THERAPY.search(o) for o in other))):
            cls = MSCKG.CellTherapy
        elif kind == "DRUG":
            cls = MSCKG.DrugTherapy
        else:
            cls = MSCKG.Intervention
        ctx.add(node, RDF.type, cls)
        ctx.add(node, RDFS.label, Literal(name))
        for o in other:
            ctx.add(node, SKOS.altLabel, Literal(o))
        if cls == MSCKG.DrugTherapy:
            drug = ID[f"drug/{slug(name)}"]
            ctx.add(drug, RDF.type, MSCKG.DrugProduct)
            ctx.add(drug, RDFS.label, Literal(name))
            ctx.add(node, MSCKG.drug, drug)
        ctx.ok()
        for k, lab in enumerate(_arr(iv.get("armGroupLabels"))):
            lab = _text(lab) or ""
            idx = by_label.get(lab)
            if idx is None:
                idx, _ = _match_group(ctx, lab, set())
            if idx is None:
                ctx.drop(f"{base}.interventions[{j}].armGroupLabels[{k}]", f"names no arm group ('{lab}')")
            else:
                links.setdefault((idx, j), f"{base}.interventions[{j}].armGroupLabels[{k}]")
    names: dict[str, list[int]] = {}
    for j, iv in enumerate(interventions):
        iv = _obj(iv)
        if _text(iv.get("name")):
            names.setdefault(_norm(f"{iv.get('type', '')}: {iv.get('name')}".replace("_", " ")), []).append(j)
    for i, a in enumerate(_arr(aim.get("armGroups"))):
        for k, n in enumerate(_arr(_obj(a).get("interventionNames"))):
            js = names.get(_norm(str(n).replace("_", " ")), [])
            j = js[0] if len(js) == 1 else None  # two interventions of one name: only armGroupLabels can tell
            if j is not None and i < len(ctx.arms):
                links.setdefault((i, j), f"{base}.armGroups[{i}].interventionNames[{k}]")
    for (i, j), path in sorted(links.items()):
        arm = ctx.arms[i]
        if not arm.label:
            continue
        reg = ID[f"trial/{ctx.nct}/regimen/arm{i}-intervention{j}"]
        ctx.evidence(reg, MSCKG.DosingRegimen, path)
        ctx.add(reg, MSCKG.intervention, ID[f"trial/{ctx.nct}/intervention/{j}"])
        ctx.add(arm.iri, MSCKG.regimen, reg)


def _protocol_outcomes(ctx: _Ctx, ps: dict, result_titles: set[str]) -> None:
    om = _obj(ps.get("outcomesModule"))
    for fld, kind, imp in (("primaryOutcomes", "primary", MSCKG.PrimaryOutcome),
                           ("secondaryOutcomes", "secondary", MSCKG.SecondaryOutcome),
                           ("otherOutcomes", "other", MSCKG.ExploratoryOutcome)):
        for i, o in enumerate(_arr(om.get(fld))):
            o = _obj(o)
            title = _text(o.get("measure"))
            path = f"protocolSection.outcomesModule.{fld}[{i}]"
            if not title:
                ctx.reject(path, "outcome without a measure title")
                continue
            ctx.ok()
            if _norm(title) in result_titles:
                continue  # the results section's outcome measure stands for it
            node = ID[f"trial/{ctx.nct}/outcome/{kind}-{i}"]
            ctx.add(node, RDF.type, MSCKG.OutcomeMeasure)
            ctx.add(node, RDFS.label, Literal(title))
            ctx.add(node, MSCKG.outcomeOf, ctx.trial)
            ctx.add(node, MSCKG.importance, imp)
            ctx.text(node, MSCKG.timePoint, _text(o.get("timeFrame")))


def _outcomes(ctx: _Ctx, rs: dict) -> set[str]:
    base = "resultsSection.outcomeMeasuresModule.outcomeMeasures"
    titles = set()
    pub = f"pub/ctgov-{ctx.nct}"
    for n, om in enumerate(_arr(_obj(rs.get("outcomeMeasuresModule")).get("outcomeMeasures"))):
        om = _obj(om)
        path = f"{base}[{n}]"
        title = _text(om.get("title"))
        if not title:
            ctx.reject(path, "outcome measure without a title")
            continue
        titles.add(_norm(title))
        node = ID[f"trial/{ctx.nct}/outcome/{n}"]
        ctx.add(node, RDF.type, MSCKG.OutcomeMeasure)
        ctx.add(node, RDFS.label, Literal(title))
        ctx.add(node, MSCKG.outcomeOf, ctx.trial)
        kind = _text(om.get("type"))
        if kind in IMPORTANCE:
            ctx.add(node, MSCKG.importance, IMPORTANCE[kind])
        ctx.text(node, MSCKG.timePoint, _text(om.get("timeFrame")))
        unit = _text(om.get("unitOfMeasure")) or ""
        if unit:
            ctx.add(node, MSCKG.note, Literal(f"unit of measure as registered: {unit}"))
        ctx.ok()
        arms = _group_arms(ctx, _arr(om.get("groups")), f"{path}.groups", f"om{n}-")
        param, disp = _text(om.get("paramType")) or "", _text(om.get("dispersionType")) or ""
        for meas, mpath, category, denoms, (c, k) in _measurements(om, {}, path):
            gid = _text(meas.get("groupId")) or ""
            arm = arms.get(gid)
            if arm is None:
                ctx.reject(mpath, "a 'Total' column is no arm" if gid in arms else f"group {gid!r} is not among the measure's groups")
                continue
            v, why = _value(param, disp, unit, meas, denoms.get(gid))
            if v is None:
                ctx.reject(mpath, why)
                continue
            r = ID[f"{pub}/result/{n}/{c}/{k}/{slug(gid)}"]
            ctx.evidence(r, v.cls, mpath)
            ctx.add(r, MSCKG.outcome, node)
            ctx.add(r, MSCKG.arm, arm.iri)
            ctx.text(r, MSCKG.category, category)
            _write_value(ctx, r, v, mpath)
            ctx.ok()
        for a, an in enumerate(_arr(om.get("analyses"))):
            _analysis(ctx, _obj(an), f"{path}.analyses[{a}]", node, arms, f"{pub}/comparison/{n}/{a}")
    return titles


def _write_value(ctx: _Ctx, s: URIRef, v: _Value, path: str) -> None:
    for prop, val in v.props:
        ctx.number(s, prop, val, path)
    if v.unit is not None:
        ctx.add(s, MSCKG.unit, v.unit)
    for note in v.notes:
        ctx.add(s, MSCKG.note, Literal(note))
    for why in v.dropped:
        ctx.add(s, MSCKG.note, Literal(f"not written: {why}"))
        ctx.drop(path, why)


def _analysis(ctx: _Ctx, an: dict, path: str, outcome: URIRef, arms: dict, key: str) -> None:
    gids = [g for g in (_text(x) for x in _arr(an.get("groupIds"))) if g]
    if len(gids) != 2:
        ctx.reject(path, f"compares {len(gids)} groups; a msckg comparison has one experimental and one comparator arm")
        return
    pair = [arms.get(g) for g in gids]
    if any(a is None for a in pair):
        ctx.reject(path, "a compared group is not an arm")
        return
    ptype = (_text(an.get("paramType")) or "").strip()
    cls = next((c for rx, c in COMPARISONS if rx.search(ptype.casefold())), None) if ptype else None
    estimate = _text(an.get("paramValue"))
    p_raw = _text(an.get("pValue"))
    notes = []
    if ptype and cls is None:
        notes.append(f"effect estimate of type '{ptype}' ({estimate}) not written: msckg has no class for it")
        ctx.drop(path + ".paramType", f"analysis parameter type '{ptype}' has no msckg comparison class")
    if cls is None:
        cls = MSCKG.SignificanceTest
        estimate = None
    pv = P_VALUE.match(p_raw) if p_raw else None
    if p_raw and not pv:
        ctx.drop(path + ".pValue", f"p-value '{p_raw}' is not a number with an optional comparator")
    if estimate is None and not pv:
        ctx.reject(path, "neither an effect estimate msckg can hold nor a p-value")
        return
    exp, comp, how = _direction(ctx, an, pair)
    if exp is None:
        if cls != MSCKG.SignificanceTest:
            ctx.reject(path, "the source does not say which arm is experimental and which is the comparator")
            return
        exp, comp = pair
        notes.append("arm roles follow the order of groupIds; the source states no direction for this test")
    node = ID[key]
    ctx.evidence(node, cls, path)
    ctx.add(node, MSCKG.outcome, outcome)
    ctx.add(node, MSCKG.experimentalArm, exp.iri)
    ctx.add(node, MSCKG.comparatorArm, comp.iri)
    if estimate is not None:
        ctx.number(node, "estimate", estimate, path + ".paramValue")
        lo, hi = _text(an.get("ciLowerLimit")), _text(an.get("ciUpperLimit"))
        pct, sides = _text(an.get("ciPctValue")), _text(an.get("ciNumSides"))
        if lo or hi:
            if pct in ("95", "95.0") and sides in (None, "TWO_SIDED"):
                if lo:
                    ctx.number(node, "ciLower", lo, path + ".ciLowerLimit")
                if hi:
                    ctx.number(node, "ciUpper", hi, path + ".ciUpperLimit")
            else:
                notes.append(f"{pct or 'unstated'}% {(sides or '').lower().replace('_', '-')} confidence interval not written: msckg:ciLower/ciUpper hold 95% two-sided intervals")
                ctx.drop(path + ".ciPctValue", f"{pct or 'unstated'}% confidence interval: msckg holds 95% intervals only")
        dtype, dval = _enum(an.get("dispersionType", "")), _text(an.get("dispersionValue"))
        if dval:
            if dtype in ("STANDARD_ERROR_OF_MEAN", "STANDARD_ERROR"):
                ctx.number(node, "standardError", dval, path + ".dispersionValue")
            elif dtype == "STANDARD_DEVIATION":
                ctx.number(node, "standardDeviation", dval, path + ".dispersionValue")
            else:
                ctx.drop(path + ".dispersionType", f"analysis dispersion {dtype} has no msckg property")
    if pv:
        bound = {"≤": "<=", "≥": ">="}.get(pv.group(1) or "", pv.group(1) or "")
        if ctx.number(node, "pValue", pv.group(2), path + ".pValue") and bound and bound != "=":
            ctx.add(node, MSCKG.pValueBound, Literal(bound))
    ctx.text(node, MSCKG.statisticalTest, _text(an.get("statisticalMethod")))
    for n in notes:
        ctx.add(node, MSCKG.note, Literal(n))
    if how:
        ctx.add(node, MSCKG.note, Literal(how))
    ctx.ok()


def _direction(ctx: _Ctx, an: dict, pair: list[_Arm]) -> tuple[_Arm | None, _Arm | None, str]:
    """(experimental, comparator, how it was decided) for a two-arm analysis."""
    def experimental(a: _Arm) -> bool:
        return a.cls in (MSCKG.ExperimentalArm, MSCKG.DoseCohort, MSCKG.ExpansionCohort)

    def control(a: _Arm) -> bool:
        return a.cls in (MSCKG.ControlArm, MSCKG.PlaceboArm)

    a, b = pair
    if experimental(a) and control(b):
        return a, b, ""
    if experimental(b) and control(a):
        return b, a, ""
    if control(b) and not control(a):
        return a, b, "the arm compared with the control arm is taken as the experimental arm"
    if control(a) and not control(b):
        return b, a, "the arm compared with the control arm is taken as the experimental arm"
    comment = _text(an.get("estimateComment")) or ""
    parts = re.split(r"\s+vs\.?\s+|\s+versus\s+", comment, flags=re.IGNORECASE)
    if len(parts) == 2:
        first, second = (_norm(x) for x in parts)
        if first and second:
            if first in _norm(a.label) and second in _norm(b.label):
                return a, b, "direction read from estimateComment"
            if first in _norm(b.label) and second in _norm(a.label):
                return b, a, "direction read from estimateComment"
    return None, None, ""


def _adverse_events(ctx: _Ctx, rs: dict) -> None:
    ae = rs.get("adverseEventsModule")
    if not isinstance(ae, dict):
        return
    base = "resultsSection.adverseEventsModule"
    pub = f"pub/ctgov-{ctx.nct}/ae"
    groups = _arr(ae.get("eventGroups"))
    arms = _group_arms(ctx, groups, f"{base}.eventGroups")
    terms, _ = _ontology_lookups()
    for gi, g in enumerate(groups):
        g = _obj(g)
        gid = _text(g.get("id")) or ""
        arm = arms.get(gid)
        for field_, term, serious, event_class in (
                ("deaths", "All-Cause Mortality", True, MSCKG.AE_Death),
                ("serious", "Total, serious adverse events", True, None),
                ("other", "Total, other adverse events", False, None)):
            affected, at_risk = _text(g.get(f"{field_}NumAffected")), _text(g.get(f"{field_}NumAtRisk"))
            if affected is None and at_risk is None:
                continue
            path = f"{base}.eventGroups[{gi}].{field_}NumAffected"
            if arm is None:
                ctx.reject(path, "a 'Total' column is no arm" if gid in arms else "event group without an id")
                continue
            node = ID[f"{pub}/{field_}-total/{slug(gid)}"]
            _ae_node(ctx, node, path, term, serious, affected, at_risk, None, arm, event_class)
    for kind, serious in (("seriousEvents", True), ("otherEvents", False)):
        for i, ev in enumerate(_arr(ae.get(kind))):
            ev = _obj(ev)
            term = _text(ev.get("term"))
            event_class = terms.get(term.casefold()) if term else None
            for j, stat in enumerate(_arr(ev.get("stats"))):
                stat = _obj(stat)
                path = f"{base}.{kind}[{i}].stats[{j}]"
                if not term:
                    ctx.reject(path, "adverse event without a term")
                    continue
                gid = _text(stat.get("groupId")) or ""
                arm = arms.get(gid)
                if arm is None:
                    ctx.reject(path, "a 'Total' column is no arm" if gid in arms else f"event group {gid!r} is not among eventGroups")
                    continue
                node = ID[f"{pub}/{'serious' if serious else 'other'}/{i}/{slug(gid)}"]
                _ae_node(ctx, node, path, term, serious, _text(stat.get("numAffected")), _text(stat.get("numAtRisk")),
                         _text(stat.get("numEvents")), arm, event_class, _text(ev.get("organSystem")))


def _ae_node(ctx: _Ctx, node: URIRef, path: str, term: str, serious: bool, affected: str | None,
             at_risk: str | None, events: str | None, arm: _Arm, event_class: URIRef | None,
             organ_system: str | None = None) -> None:
    for name, val in (("affected", affected), ("atRisk", at_risk), ("events", events)):
        if val is not None and not NON_NEGATIVE_INTEGER.match(val):
            ctx.reject(path, f"{name} '{val}' is not a whole number")
            return
    if affected is None:
        ctx.reject(path, "no number of subjects affected")
        return
    ctx.evidence(node, MSCKG.AdverseEventCount, path)
    ctx.add(node, MSCKG["term"], Literal(term))
    ctx.add(node, MSCKG.serious, Literal("true" if serious else "false", datatype=XSD.boolean))
    ctx.add(node, MSCKG.relatedness, MSCKG.RelatednessNotStated)  # registry AE tables are all-cause
    ctx.add(node, MSCKG.arm, arm.iri)
    ctx.number(node, "affected", affected, path)
    if at_risk is not None:
        ctx.number(node, "atRisk", at_risk, path)
    if events is not None:
        ctx.number(node, "events", events, path)
    if event_class is not None:
        ctx.add(node, MSCKG.eventClass, event_class)
    ctx.text(node, MSCKG.category, organ_system)
    ctx.ok()


def _baseline(ctx: _Ctx, rs: dict) -> None:
    bc = rs.get("baselineCharacteristicsModule")
    if not isinstance(bc, dict):
        return
    base = "resultsSection.baselineCharacteristicsModule"
    pub = f"pub/ctgov-{ctx.nct}/baseline"
    arms = _group_arms(ctx, _arr(bc.get("groups")), f"{base}.groups")
    overall = _arr(bc.get("denoms"))
    for d, den in enumerate(overall[:1]):
        for k, c in enumerate(_arr(_obj(den).get("counts"))):
            c = _obj(c)
            gid, val = _text(c.get("groupId")) or "", _text(c.get("value"))
            path = f"{base}.denoms[{d}].counts[{k}]"
            arm = arms.get(gid)
            if arm is None:
                ctx.reject(path, "a 'Total' column is no arm" if gid in arms else f"group {gid!r} is not among the groups")
                continue
            if not val or not NON_NEGATIVE_INTEGER.match(val):
                ctx.reject(path, f"number of participants {val!r} is not a whole number")
                continue
            node = ID[f"{pub}/participants/{slug(gid)}"]
            ctx.evidence(node, MSCKG.BaselineCharacteristic, path)
            ctx.add(node, MSCKG.characteristic, Literal("Overall number of baseline participants"))
            ctx.add(node, MSCKG.arm, arm.iri)
            ctx.number(node, "count", val, path)
            ctx.ok()
    top = _denominators(overall)
    for i, ms in enumerate(_arr(bc.get("measures"))):
        ms = _obj(ms)
        title = _text(ms.get("title"))
        param, disp, unit = _text(ms.get("paramType")) or "", _text(ms.get("dispersionType")) or "", _text(ms.get("unitOfMeasure")) or ""
        for meas, path, category, denoms, (c, k) in _measurements(ms, top, f"{base}.measures[{i}]"):
            gid = _text(meas.get("groupId")) or ""
            arm = arms.get(gid)
            if not title:
                ctx.reject(path, "baseline measure without a title")
                continue
            if arm is None:
                ctx.reject(path, "a 'Total' column is no arm" if gid in arms else f"group {gid!r} is not among the groups")
                continue
            v, why = _value(param, disp, unit, meas, denoms.get(gid))
            if v is None:
                ctx.reject(path, why)
                continue
            node = ID[f"{pub}/{i}/{c}/{k}/{slug(gid)}"]
            ctx.evidence(node, MSCKG.BaselineCharacteristic, path)
            ctx.add(node, MSCKG.characteristic, Literal(title))
            ctx.add(node, MSCKG.arm, arm.iri)
            ctx.text(node, MSCKG.category, category)
            if v.unit is None and unit and v.cls != MSCKG.ProportionResult:
                v.notes.append(f"unit of measure as registered: {unit}")
            _write_value(ctx, node, v, path)
            ctx.ok()


def _document(ctx: _Ctx, path: Path, data: bytes, ps: dict) -> None:
    d = ctx.doc
    ctx.add(d, RDF.type, MSCKG.RegistryRecordDocument)
    ctx.add(d, RDFS.label, Literal(f"ClinicalTrials.gov record {ctx.nct} (API v2)"))
    ctx.add(d, MSCKG.sourceFile, Literal(path.name))
    ctx.add(d, MSCKG.sourceSha256, Literal(hashlib.sha256(data).hexdigest()))
    ctx.add(d, MSCKG.reports, ctx.trial)
    ctx.add(d, RDFS.seeAlso, URIRef(STUDY_URL.format(ctx.nct)))
    last = _text(_obj(_obj(ps.get("statusModule")).get("lastUpdatePostDateStruct")).get("date"))
    ctx.date(d, MSCKG.publicationDate, last, "protocolSection.statusModule.lastUpdatePostDateStruct.date")


def _summarise(items: list[tuple[str, str]], head: str) -> list[str]:
    by_reason: dict[str, list[str]] = {}
    for loc, reason in items:
        by_reason.setdefault(reason, []).append(loc)
    return [f"{head} {len(locs)} item(s): {reason}: {'; '.join(locs)}" for reason, locs in by_reason.items()]


def ctgov_to_graph(path: Path, load_time: str | None = None) -> LoadedRecord:
    """Convert one ClinicalTrials.gov API v2 study record (JSON) to its named graph.

    Raises SourceError for a file that is not a study record (malformed JSON, no or a malformed
    identificationModule.nctId). Anything else that cannot be mapped is skipped, counted and noted.
    """
    path = Path(path)
    study, prefix, data = _read(path)
    nct = _nct_id(study, prefix, path, data)
    giri = GRAPH[f"ctgov/{nct}"]
    graph = new_graph(giri)
    ctx = _Ctx(nct, prefix, graph, ID[f"trial/{nct}"], ID[f"pub/ctgov-{nct}"])
    ps, rs = _obj(study.get("protocolSection")), _obj(study.get("resultsSection"))

    _document(ctx, path, data, ps)
    _trial(ctx, ps)
    _eligibility(ctx, ps)
    _arms(ctx, ps)
    _baseline(ctx, rs)
    titles = _outcomes(ctx, rs)
    _protocol_outcomes(ctx, ps, titles)
    _adverse_events(ctx, rs)
    if _obj(rs.get("participantFlowModule")):
        ctx.drop("resultsSection.participantFlowModule", "participant flow is not mapped (arm sizes come from the baseline and adverse-event groups)")

    graph.add((giri, RDF.type, PROV.Entity))
    graph.add((giri, MSCKG.recordSha256, Literal(hashlib.sha256(data).hexdigest())))
    graph.add((giri, MSCKG.loaderVersion, Literal(f"msckg.loader.ctgov {__version__}")))
    graph.add((giri, MSCKG.sourceFile, Literal(path.name)))
    graph.add((giri, PROV.wasDerivedFrom, ctx.doc))
    if load_time:
        graph.add((giri, PROV.generatedAtTime, Literal(load_time, datatype=XSD.dateTime)))
    for note in _summarise(ctx.rejected, "rejected") + _summarise(ctx.dropped, "not mapped:"):
        graph.add((giri, MSCKG.note, Literal(note)))
    for f in ctx.fuzzy:
        graph.add((giri, MSCKG.note, Literal(f)))
    return LoadedRecord(str(path), giri, graph, ctx.doc, ctx.records_in, ctx.entities_out, len(ctx.rejected))
