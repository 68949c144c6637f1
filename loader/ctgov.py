"""ClinicalTrials.gov API v2 study records (JSON) to RDF: one named graph per record.

`ctgov_to_graph(path)` is a pure function: it reads one JSON file (and the ontology, as the schema) and returns
a CtgovRecord; it touches no store and no network. docs/ctgov.md says field by field what it writes:

- the study `id/trial/<NCT>` (a Trial, ObservationalStudy or ExpandedAccessStudy) with its design, status, dates
  (kept as partial as printed), enrolment, conditions, sponsors and collaborators (also as Funding with their
  registry class as organisationKind), sites and site countries, registrations;
- the source document `id/pub/ctgov-<NCT>` (a RegistryRecordDocument that reports the study) and the
  publications its references name (`id/pub/pmid-<PMID>`);
- arms `id/trial/<NCT>/arm/<i>` (i = position in armGroups) and the arms made of results groups that match none
  (`arm/group-<title>`), interventions, one dosing regimen per arm and intervention;
- outcome measures `id/trial/<NCT>/outcome/<n>`, and evidence under the document `id/pub/ctgov-<NCT>/...`: results,
  comparisons, adverse-event counts, baseline values, participant-flow counts, eligibility, funding; each with
  msckg:source and a msckg:locator that is the JSON path of the value.

Results groups are matched to arm groups by the rule in loader/ctgov_groups.py. The ledger counts, per kind of
item, items read = entities written + rejected; every rejected item and every field read but not written is a
msckg:note on the graph node, and every path never read is listed in `CtgovRecord.unread`.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, Graph, Literal
from rdflib.namespace import XSD

from . import __version__
from .ctgov_ae import write_adverse_events
from .ctgov_arms import write_arms
from .ctgov_context import Ctx
from .ctgov_groups import GroupArms, arm_count_rule
from .ctgov_outcomes import write_outcomes, write_protocol_outcomes
from .ctgov_protocol import (study_class, write_document, write_eligibility, write_locations, write_references,
                             write_study)
from .ctgov_read import last_update, nct_id, read_study_file, unread_paths
from .ctgov_results import write_baseline, write_flow
from .records import LoadedRecord
from .schema import GRAPH, ID, MSCKG, PROV
from .sink import new_graph

NOTE_LOCATORS = 20  # locators listed per reason in a graph note; the build report lists them all


@dataclass
class CtgovRecord(LoadedRecord):
    """A loaded registry record with what the build report needs: ledger, unmapped paths, unmatched groups."""

    nct: str = ""
    last_update: str | None = None
    ledger: dict[str, list[int]] = field(default_factory=dict)
    unread: Counter = field(default_factory=Counter)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    rejected_items: list[tuple[str, str]] = field(default_factory=list)
    unmatched_groups: list[tuple[str, str, str, str]] = field(default_factory=list)
    unclassed_terms: list[tuple[str, str]] = field(default_factory=list)
    arm_groups: int = 0
    own_arms: int = 0
    superseded: list[tuple[str, str | None]] = field(default_factory=list)  # (file, lastUpdatePostDate) it replaced

    def unmapped(self) -> Counter:
        """JSON path (indices as []) -> number of values not mapped: never read, or read and not written."""
        out = Counter(self.unread)
        for loc, _ in self.dropped:
            out[generic_path(loc)] += 1
        return out


def generic_path(locator: str) -> str:
    return re.sub(r"\[\d+\]", "[]", locator)


def _summarise(items: list[tuple[str, str]], head: str) -> list[str]:
    by_reason: dict[str, list[str]] = {}
    for loc, reason in items:
        by_reason.setdefault(reason, []).append(loc)
    out = []
    for reason, locs in by_reason.items():
        shown = "; ".join(locs[:NOTE_LOCATORS]) + (f"; and {len(locs) - NOTE_LOCATORS} more" if len(locs) > NOTE_LOCATORS else "")
        out.append(f"{head} {len(locs)} item(s): {reason}: {shown}")
    return out


def ctgov_to_graph(path: Path, load_time: str | None = None, group_arms: GroupArms | None = None,
                   retrieved_at: str | None = None, org_labels: dict | None = None) -> CtgovRecord:
    """Convert one ClinicalTrials.gov API v2 study record (JSON) to its named graph.

    group_arms: reviewed results-group -> arm rows (loader/ctgov_groups.read_group_arms); retrieved_at: when the
    record was downloaded (the fetch manifest); org_labels: organisation IRI -> the label an earlier source gave it
    (shared across the records of one build, so one organisation keeps one label).

    Raises SourceError for a file that is not a v2 study record (malformed JSON, retired v1 format, no or a
    malformed identificationModule.nctId). Anything else that cannot be mapped is skipped, counted and noted.
    """
    path = Path(path)
    sf = read_study_file(path)
    nct = nct_id(sf)
    giri = GRAPH[f"ctgov/{nct}"]
    graph = new_graph(giri)
    ctx = Ctx(nct, sf.prefix, graph, ID[f"trial/{nct}"], ID[f"pub/ctgov-{nct}"])
    ctx.group_arms = (group_arms or {}).get(nct, {})
    ctx.org_labels = org_labels if org_labels is not None else {}
    study = sf.study
    ps = study.get("protocolSection")
    ps = ps if isinstance(ps, dict) else {}
    rs = study.get("resultsSection")
    rs = rs if isinstance(rs, dict) else {}
    sha = hashlib.sha256(sf.data).hexdigest()
    cls = study_class(ps)

    write_document(ctx, path.name, sha, ps, retrieved_at)
    write_study(ctx, ps, cls)
    write_eligibility(ctx, ps)
    write_arms(ctx, ps, cls == MSCKG.Trial)
    write_references(ctx, ps)
    write_locations(ctx, ps)
    write_flow(ctx, rs)
    write_baseline(ctx, rs)
    titles = write_outcomes(ctx, rs)
    write_protocol_outcomes(ctx, ps, titles)
    write_adverse_events(ctx, rs)

    ctx.add(giri, RDF.type, PROV.Entity)
    ctx.add(giri, MSCKG.recordSha256, Literal(sha))
    ctx.add(giri, MSCKG.loaderVersion, Literal(f"msckg.loader.ctgov {__version__}"))
    ctx.add(giri, MSCKG.sourceFile, Literal(path.name))
    ctx.add(giri, PROV.wasDerivedFrom, ctx.doc)
    if load_time:
        ctx.add(giri, PROV.generatedAtTime, Literal(load_time, datatype=XSD.dateTime))
    for note in _summarise(ctx.rejected, "rejected") + _summarise(ctx.dropped, "not mapped:"):
        ctx.note(giri, note)
    unread = unread_paths(study, sf.prefix)
    if unread:
        ctx.note(giri, f"not read: {sum(unread.values())} value(s) under {len(unread)} JSON path(s) "
                       f"('msckg build --report unmapped' lists them)")
    protocol_arms, own = arm_count_rule(ctx)
    return CtgovRecord(str(path), giri, graph, ctx.doc, ctx.records_in, ctx.entities_out, len(ctx.rejected),
                       nct=nct, last_update=last_update(study), ledger=ctx.ledger, unread=unread, dropped=ctx.dropped,
                       rejected_items=ctx.rejected, unmatched_groups=ctx.unmatched, unclassed_terms=ctx.unclassed_terms,
                       arm_groups=protocol_arms, own_arms=own)
