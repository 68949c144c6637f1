"""What one pooled analysis asks for: outcome or event class, grade band, population, time point, measure, methods."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field

MEASURES = {"rr": "risk ratio", "or": "odds ratio", "rd": "risk difference"}
METHODS = {"fixed": "fixed effect (inverse variance)", "dl": "random effects, DerSimonian-Laird",
           "reml": "random effects, REML", "pm": "random effects, Paule-Mandel"}
COMBINE = ("exact", "max", "sum")
# population types by their short names (the ontology's msckg:PopulationType individuals)
POPULATIONS = {"itt": "IntentionToTreat", "pp": "PerProtocol", "safety": "SafetySet",
               "all-enrolled": "AllEnrolled", "subgroup": "Subgroup"}
POPULATION_NAMES = {"IntentionToTreat": "intention-to-treat", "PerProtocol": "per-protocol", "SafetySet": "safety set",
                    "AllEnrolled": "all enrolled", "Subgroup": "subgroup"}
GRADE_BANDS = {"any": (1, 5), "1-2": (1, 2), "3-4": (3, 4), "3-5": (3, 5), "1": (1, 1), "2": (2, 2),
               "3": (3, 3), "4": (4, 4), "5": (5, 5)}


class SpecError(ValueError):
    """An analysis request that cannot be run as given (the message says which option and why)."""


@dataclass(frozen=True)
class AnalysisSpec:
    """One pooled analysis: what is pooled (kind + target), like-with-like filters, and the arithmetic."""

    kind: str                      # "adverse-event" or "response"
    target: str                    # full IRI: an adverse-event class, or an outcome kind
    grade: str = "any"             # a key of GRADE_BANDS (adverse events only)
    serious: bool = False          # only counts marked serious (adverse events only)
    population: str = ""           # a key of POPULATIONS; "" = the default for the kind
    timepoint: str = ""            # the time point the results must share ("" = the only one there is)
    measure: str = "rr"            # a key of MEASURES
    zero_cell: str = "0.5"         # a number added to every cell of a trial with a zero cell, "tac" or "none"
    combine: str = "exact"         # how several event terms of one arm are combined (COMBINE)
    randomised_only: bool = False  # leave out non-randomised concurrent controls
    prediction: str = "t"          # prediction interval quantile: "t" (k - 2 df) or "normal"
    name: str = ""                 # optional readable name (used in the analysis IRI)
    methods: tuple[str, ...] = field(default=("fixed", "dl", "reml", "pm"))

    def __post_init__(self):
        if self.kind not in ("adverse-event", "response"):
            raise SpecError(f"unknown analysis kind {self.kind!r}")
        if self.grade not in GRADE_BANDS:
            raise SpecError(f"--grade must be one of {', '.join(GRADE_BANDS)}, got {self.grade!r}")
        if self.population and self.population not in POPULATIONS:
            raise SpecError(f"--population must be one of {', '.join(POPULATIONS)}, got {self.population!r}")
        if self.measure not in MEASURES:
            raise SpecError(f"--measure must be one of {', '.join(MEASURES)}, got {self.measure!r}")
        if self.combine not in COMBINE:
            raise SpecError(f"--combine must be one of {', '.join(COMBINE)}, got {self.combine!r}")
        bad = [m for m in self.methods if m not in METHODS]
        if bad or not self.methods:
            raise SpecError(f"--method must be among {', '.join(METHODS)}, got {', '.join(bad) or 'none'}")
        zero_cell_value(self.zero_cell)
        if self.prediction not in ("t", "normal"):
            raise SpecError(f"--prediction must be t or normal, got {self.prediction!r}")
        if self.kind == "response" and (self.grade != "any" or self.serious):
            raise SpecError("--grade and --serious apply to adverse events, not to response outcomes")
        if self.name and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", self.name):
            raise SpecError(f"--name must be letters, digits, '.', '_' or '-', got {self.name!r}")

    @property
    def population_type(self) -> str:
        """The local name of the population type pooled: ITT by default for responses, the safety set for AEs."""
        return POPULATIONS[self.population or ("safety" if self.kind == "adverse-event" else "itt")]

    @property
    def grade_band(self) -> tuple[int, int]:
        return GRADE_BANDS[self.grade]

    def as_dict(self) -> dict:
        d = asdict(self)
        d["methods"] = list(self.methods)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "AnalysisSpec":
        known = set(cls.__dataclass_fields__)
        unknown = set(d) - known
        if unknown:
            raise SpecError(f"unknown field(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        d = dict(d)
        if "methods" in d:
            d["methods"] = tuple(d["methods"])
        return cls(**d)

    def identifier(self) -> str:
        """A readable, deterministic identifier: the name (or target and grade) plus a hash of the whole request."""
        digest = hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()[:10]
        if self.name:
            stem = self.name
        else:
            local = re.split(r"[/#]", self.target)[-1]
            stem = "-".join(x for x in (local, self.grade if self.kind == "adverse-event" else self.timepoint,
                                        self.measure) if x)
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-").lower()
        return f"{stem}-{digest}"


def zero_cell_value(text: str) -> float | str | None:
    """The zero-cell rule for statsmodels' effectsize_2proportions: a number, 'tac', or None ('none')."""
    if text == "none":
        return None
    if text == "tac":
        return "tac"
    try:
        value = float(text)
    except ValueError:
        raise SpecError(f"--zero-cell must be a number (e.g. 0.5), 'tac' or 'none', got {text!r}") from None
    if not 0 < value <= 1:
        raise SpecError(f"--zero-cell must be between 0 (exclusive) and 1, got {text!r}")
    return value
