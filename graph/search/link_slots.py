"""What `msckg link` links: the slots (subject class, property, vocabulary), and its candidate and task records."""

from __future__ import annotations

from dataclasses import dataclass

from .expand import ALT_LABEL, EXACT, LABEL, MSCKG, OBO

M = MSCKG
OWL = "http://www.w3.org/2002/07/owl#"
OAE_ADVERSE_EVENT = OBO + "OAE_0000001"
AE_TERM = M + "AdverseEventTerm"
QUALIFIER_CLASS = M + "ConditionQualifier"
CLAUSE_MARKERS = frozenset({"after", "for", "in", "with", "from", "as", "during", "by", "at", "supplied", "used",
                            "including", "excluding", "without", "due", "following", "before", "under", "among"})
TAIL_WEIGHT = 0.5
DECLARED_PRIOR = 0.03
EXACT_LABEL, EXACT_SYNONYM = 0.95, 0.9
SOURCE_CODES = {"MONDO": 1, "CL": 2, "UBERON": 3, "declared": 4, "msckg": 5}


@dataclass(frozen=True)
class Slot:
    name: str
    subject_class: str | None
    predicate: str
    vocab: tuple[str, ...]      # MONDO, CL, UBERON, declared, ae
    text_props: tuple[tuple[str, float], ...]
    description: str


SLOTS = [
    Slot("conditionClass", M + "Condition", M + "conditionClass", ("MONDO",),
         ((LABEL, 1.0), (ALT_LABEL, 1.0)), "condition class (MONDO)"),
    Slot("cellType", M + "CellProduct", M + "cellType", ("CL",),
         ((LABEL, 1.0), (ALT_LABEL, 1.0), (M + "donorDescription", 0.9)), "cell type (CL)"),
    Slot("tissueSource", M + "CellProduct", M + "tissueSource", ("UBERON",),
         ((LABEL, 1.0), (ALT_LABEL, 1.0), (M + "donorDescription", 0.95)), "tissue source (UBERON)"),
    Slot("eventClass", M + "AdverseEventCount", M + "eventClass", ("ae",),
         ((M + "term", 1.0),), "adverse-event term class"),
]
MATCH_SLOT = Slot("match", None, EXACT, ("declared",), ((LABEL, 1.0), (ALT_LABEL, 1.0)),
                  "external term of the declared vocabularies (skos:exactMatch / closeMatch)")
# an adverse-event term class may also match a disease (MONDO); a cell, tissue or disease term is
# never the right match for a design value (phase, masking, unit...), so those look in the declared ones
MATCH_AE_SLOT = Slot("match-ae", None, EXACT, ("MONDO", "declared"), ((LABEL, 1.0), (ALT_LABEL, 1.0)),
                     "disease or adverse-event term (skos:exactMatch / closeMatch)")
TEXT_SLOT = Slot("text", None, EXACT, ("MONDO", "CL", "UBERON", "declared"), (), "external term")
SLOT_BY_NAME = {s.name: s for s in SLOTS + [MATCH_SLOT, MATCH_AE_SLOT, TEXT_SLOT]}


@dataclass
class Candidate:
    curie: str
    iri: str
    label: str
    source: str
    confidence: float
    predicate: str
    justification: str
    evidence: list[str]
    match_string: str
    lexical: float = 0.0
    semantic: float | None = None

    def as_json(self) -> dict:
        return {"object_id": self.curie, "object_iri": self.iri, "object_label": self.label, "vocabulary": self.source,
                "confidence": round(self.confidence, 3), "predicate_id": self.predicate,
                "mapping_justification": self.justification, "evidence": self.evidence, "match_string": self.match_string}


@dataclass
class Task:
    """A subject to link: an entity lacking a slot's link, or an ontology term lacking a match."""

    iri: str
    curie: str
    label: str
    slot: str
    texts: list[tuple[str, float]]
    scope: str  # data or terms
