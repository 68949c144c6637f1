"""The state of one ClinicalTrials.gov conversion: the one place triples are written (`Ctx.add`), the ledger
of items read, written and rejected per kind, the paths left unmapped, and small JSON/text helpers."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import XSD

from .schema import MSCKG, default_schema

DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
NON_NEGATIVE_INTEGER = re.compile(r"^\+?\d+$")
PARTIAL_DATE = re.compile(r"^(\d{4})(-(\d{2})(-(\d{2}))?)?$")
LIST_NUMBER = re.compile(r"^\s*\d{1,2}(\s*[.):]\s*|\s+)(?!(mg|g|ug|µg|mcg|ml|kg|x|×|%|cells?|units?|iu|doses?)\b)", re.IGNORECASE)

# The kinds of item the ledger counts; docs/ctgov.md says which JSON items each kind counts.
KINDS = ("study", "secondary ID", "condition", "organisation", "arm group", "intervention", "eligibility",
         "protocol outcome", "reference", "location", "results group", "outcome measure", "outcome value",
         "analysis", "baseline value", "adverse-event count", "flow count")


def obj(x) -> dict:
    return x if isinstance(x, dict) else {}


def arr(x) -> list:
    return x if isinstance(x, list) else []


def text(x) -> str | None:
    """A JSON string or number as text (numbers keep their printed form: the reader keeps them as text)."""
    if isinstance(x, bool) or x is None:
        return None
    if isinstance(x, (str, int, float)):
        s = str(x).strip()
        return s or None
    return None


def enum(value: object) -> str:
    """Registry enum values and their display forms alike: '95% Confidence Interval' -> '95_CONFIDENCE_INTERVAL'."""
    return re.sub(r"[^A-Z0-9]+", "_", str(value).upper()).strip("_")


def fmt_dec(value: str) -> str:
    """The canonical xsd:decimal form of a decimal text (no '+', no needless zeros)."""
    s = format(Decimal(value), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def norm_title(title: str) -> str:
    """A title for matching: a leading list number ('1.', '2)') set aside, case-folded, white space and punctuation removed."""
    title = LIST_NUMBER.sub("", unicodedata.normalize("NFKC", title), count=1)
    return "".join(ch for ch in title.casefold() if not ch.isspace() and not unicodedata.category(ch).startswith("P"))


def tokens(value: str) -> tuple[str, ...]:
    """Lower-case words and numbers of a text (punctuation splits words), for whole-phrase matching."""
    return tuple(re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", value).casefold()))


def contains_phrase(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    """True when the word sequence `needle` occurs in `haystack` as whole words."""
    n = len(needle)
    return bool(n) and any(haystack[i:i + n] == needle for i in range(len(haystack) - n + 1))


def slug(value: str) -> str:
    """A key segment from a name: ASCII letters and digits joined by '-'; a hash when none is left."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return s[:80].rstrip("-") if s else "x-" + hashlib.sha256(value.encode()).hexdigest()[:12]


@dataclass
class Ctx:
    """One conversion: graph, IRIs, ledger, unmapped paths, unmatched groups and unclassed terms."""

    nct: str
    prefix: str
    graph: Graph
    trial: URIRef
    doc: URIRef
    ledger: dict[str, list[int]] = field(default_factory=dict)  # kind -> [in, out, rejected]
    rejected: list[tuple[str, str]] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    unmatched: list[tuple[str, str, str, str]] = field(default_factory=list)  # (group path, id, title, arm IRI)
    unclassed_terms: list[tuple[str, str]] = field(default_factory=list)  # (organ system, term)
    # protocol arms and interventions (loader/ctgov_arms.py), read by the results-group matching
    arms: list = field(default_factory=list)
    intervention_phrases: list[list[tuple[str, ...]]] = field(default_factory=list)
    own_arms: dict = field(default_factory=dict)
    group_arms: dict = field(default_factory=dict)  # reviewed rows for this trial: norm(title) -> (arm label, where)
    population: URIRef | None = None
    org_labels: dict = field(default_factory=dict)

    # ---- bookkeeping
    def loc(self, path: str) -> str:
        return self.prefix + path

    def _count(self, kind: str, slot: int) -> None:
        row = self.ledger.setdefault(kind, [0, 0, 0])
        row[0] += 1
        row[slot] += 1

    def ok(self, kind: str) -> None:
        """One item of `kind` read and written."""
        self._count(kind, 1)

    def reject(self, kind: str, path: str, reason: str) -> None:
        """One item of `kind` read and not written, for a stated reason."""
        self._count(kind, 2)
        self.rejected.append((self.loc(path), reason))

    def drop(self, path: str, reason: str) -> None:
        """A field read and not written (its item may still be written)."""
        self.dropped.append((self.loc(path), reason))

    # ---- triples: every triple of a registry record is written here
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
        if rng == XSD.decimal and fmt_dec(value) != value:
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

    def note(self, s, value: str) -> None:
        self.add(s, MSCKG.note, Literal(value))

    # ---- totals
    @property
    def records_in(self) -> int:
        return sum(r[0] for r in self.ledger.values())

    @property
    def entities_out(self) -> int:
        return sum(r[1] for r in self.ledger.values())
