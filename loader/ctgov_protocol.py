"""The protocol section of a ClinicalTrials.gov record: the study (trial, observational study or expanded access)
and its design, registrations, status and dates, enrolment, conditions, sponsors and collaborators as funders,
eligibility, references (publications) and locations (sites)."""

from __future__ import annotations

import re
from functools import lru_cache

from rdflib import RDF, RDFS, SKOS, Literal, URIRef
from rdflib.namespace import XSD

from .ctgov_context import Ctx, arr, enum, obj, slug, text
from .ctgov_terms import HERE, _rows, enum_tables
from .schema import ID, MSCKG

STUDY_URL = "https://clinicaltrials.gov/study/{}"
CHICTR_PATTERN = re.compile(r"^ChiCTR\d{10}$")
AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s+(year|month|week|day|hour|minute)s?\s*$", re.IGNORECASE)
DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+?)(?=[.,;]?(\s|$))")
PMID = re.compile(r"^[1-9]\d*$")
GENERIC_SITES = HERE / "ctgov_generic_sites.tsv"
T = enum_tables()


@lru_cache(maxsize=1)
def _generic_site() -> re.Pattern:
    return re.compile("|".join(f"(?:{row['pattern']})" for row in _rows(GENERIC_SITES)), re.IGNORECASE)


def study_class(ps: dict) -> URIRef:
    """Trial, ObservationalStudy or ExpandedAccessStudy from designModule.studyType (Trial when unstated)."""
    kind = text(obj(ps.get("designModule")).get("studyType"))
    return T["study_types"].get(kind or "INTERVENTIONAL", MSCKG.Trial)


def write_study(ctx: Ctx, ps: dict, cls: URIRef) -> None:
    t, nct = ctx.trial, ctx.nct
    ident = obj(ps.get("identificationModule"))
    ctx.add(t, RDF.type, cls)
    label = text(ident.get("briefTitle")) or text(ident.get("officialTitle")) or f"ClinicalTrials.gov study {nct}"
    ctx.add(t, RDFS.label, Literal(label))
    ctx.text(t, MSCKG["title"], text(ident.get("officialTitle")))
    ctx.text(t, MSCKG.shortName, text(ident.get("acronym")))
    kind = text(obj(ps.get("designModule")).get("studyType"))
    if kind and kind not in T["study_types"]:
        ctx.drop("protocolSection.designModule.studyType", f"study type {kind} has no msckg class; stored as a trial")
    ctx.ok("study")
    _registrations(ctx, ps, ident)
    _design(ctx, ps, cls)
    _status(ctx, obj(ps.get("statusModule")))
    for i, c in enumerate(arr(obj(ps.get("conditionsModule")).get("conditions"))):
        name = text(c)
        if not name:
            ctx.reject("condition", f"protocolSection.conditionsModule.conditions[{i}]", "empty condition")
            continue
        ci = ID[f"condition/{slug(name)}"]
        ctx.add(t, MSCKG.condition, ci)
        ctx.add(ci, RDF.type, MSCKG.Condition)
        ctx.add(ci, RDFS.label, Literal(name))
        ctx.ok("condition")
    sc = obj(ps.get("sponsorCollaboratorsModule"))
    lead = obj(sc.get("leadSponsor"))
    if lead:
        _organisation(ctx, lead, "protocolSection.sponsorCollaboratorsModule.leadSponsor", "lead-sponsor", "Lead sponsor")
    for i, c in enumerate(arr(sc.get("collaborators"))):
        _organisation(ctx, obj(c), f"protocolSection.sponsorCollaboratorsModule.collaborators[{i}]", f"collaborator-{i}", "Collaborator")


def _registrations(ctx: Ctx, ps: dict, ident: dict) -> None:
    t, nct = ctx.trial, ctx.nct
    reg = ID[f"trial/{nct}/registration/ctgov"]
    ctx.add(t, MSCKG.registration, reg)
    ctx.add(reg, RDF.type, MSCKG.ClinicalTrialsGovRegistration)
    ctx.add(reg, RDFS.label, Literal(f"ClinicalTrials.gov {nct}"))
    ctx.add(reg, MSCKG.registryId, Literal(nct))
    ctx.add(reg, RDFS.seeAlso, URIRef(STUDY_URL.format(nct)))
    ctx.date(reg, MSCKG.registrationDate, text(obj(ps.get("statusModule")).get("studyFirstSubmitDate")),
             "protocolSection.statusModule.studyFirstSubmitDate")
    for i, sec in enumerate(arr(ident.get("secondaryIdInfos"))):
        sec = obj(sec)
        sid, stype = text(sec.get("id")), enum(sec.get("type", ""))
        path = f"protocolSection.identificationModule.secondaryIdInfos[{i}]"
        if not sid:
            ctx.reject("secondary ID", path, "secondary ID without an id")
            continue
        if stype == "EUDRACT_NUMBER" and re.match(r"^\d{4}-\d{6}-\d{2}$", sid):
            key, cls, lab = "eudract", MSCKG.Registration, f"EudraCT {sid}"
        elif CHICTR_PATTERN.match(sid):
            key, cls, lab = "chictr", MSCKG.ChiCTRRegistration, f"ChiCTR {sid}"
        else:
            ctx.reject("secondary ID", path, f"secondary ID of type {stype or 'unstated'} is not a registry msckg models")
            continue
        r = ID[f"trial/{nct}/registration/{key}-{slug(sid)}"]
        ctx.add(t, MSCKG.registration, r)
        ctx.add(r, RDF.type, cls)
        ctx.add(r, RDFS.label, Literal(lab))
        ctx.add(r, MSCKG.registryId, Literal(sid))
        ctx.ok("secondary ID")


def _coded(ctx: Ctx, table: str, value: str | None, prop: URIRef, path: str, what: str) -> None:
    if value in T[table]:
        ctx.add(ctx.trial, prop, T[table][value])
    elif value:
        ctx.drop(path, f"{what} {value} has no msckg value")


def _design(ctx: Ctx, ps: dict, cls: URIRef) -> None:
    t = ctx.trial
    design = obj(ps.get("designModule"))
    info = obj(design.get("designInfo"))
    base = "protocolSection.designModule"
    raw_phases = design.get("phases")
    phases = tuple(sorted(str(p) for p in arr(raw_phases)))
    if raw_phases is not None and not isinstance(raw_phases, list):
        ctx.drop(f"{base}.phases", "phases is not a list (the API gives a list such as [\"PHASE1\", \"PHASE2\"])")
    if cls == MSCKG.Trial:
        if phases in T["phases"]:
            ctx.add(t, MSCKG.phase, T["phases"][phases])
        elif phases:
            ctx.drop(f"{base}.phases", f"phase {'/'.join(phases)} has no msckg:TrialPhase")
        alloc, model = text(info.get("allocation")), text(info.get("interventionModel"))
        if alloc in T["allocations"]:
            ctx.add(t, MSCKG.allocation, T["allocations"][alloc])
        elif alloc == "NA" and model == "SINGLE_GROUP":
            ctx.add(t, MSCKG.allocation, MSCKG.SingleGroup)
        elif alloc:
            ctx.drop(f"{base}.designInfo.allocation", f"allocation {alloc} (model {model}) has no msckg:Allocation")
        _coded(ctx, "maskings", text(obj(info.get("maskingInfo")).get("masking")), MSCKG.masking,
               f"{base}.designInfo.maskingInfo.masking", "masking")
    elif phases and phases != ("NA",):
        ctx.drop(f"{base}.phases", "a phase is a property of trials; this study is not a trial")
    if cls == MSCKG.ObservationalStudy:
        _coded(ctx, "observational_models", text(info.get("observationalModel")), MSCKG.observationalModel,
               f"{base}.designInfo.observationalModel", "observational model")
        _coded(ctx, "time_perspectives", text(info.get("timePerspective")), MSCKG.timePerspective,
               f"{base}.designInfo.timePerspective", "time perspective")
        _coded(ctx, "sampling_methods", text(obj(ps.get("eligibilityModule")).get("samplingMethod")), MSCKG.samplingMethod,
               "protocolSection.eligibilityModule.samplingMethod", "sampling method")
        registry = design.get("patientRegistry")
        if isinstance(registry, bool):
            ctx.add(t, MSCKG.patientRegistry, Literal(registry))
        ctx.text(t, MSCKG.targetDuration, text(design.get("targetDuration")))
    _coded(ctx, "biospecimen_retention", text(obj(design.get("bioSpec")).get("retention")), MSCKG.biospecimenRetention,
           f"{base}.bioSpec.retention", "biospecimen retention")
    enrol = obj(design.get("enrollmentInfo"))
    count, kind = text(enrol.get("count")), text(enrol.get("type"))
    if count:
        prop = {"ACTUAL": "actualEnrolment", "ESTIMATED": "plannedEnrolment", "ANTICIPATED": "plannedEnrolment"}.get(kind or "")
        if prop:
            ctx.number(t, prop, count, f"{base}.enrollmentInfo.count")
        else:
            ctx.drop(f"{base}.enrollmentInfo", f"enrolment type {kind!r} is neither ACTUAL nor ESTIMATED")


def _status(ctx: Ctx, status: dict) -> None:
    t = ctx.trial
    _coded(ctx, "statuses", text(status.get("overallStatus")), MSCKG.status, "protocolSection.statusModule.overallStatus", "status")
    for name, prop in (("startDateStruct", MSCKG.startDate), ("completionDateStruct", MSCKG.endDate)):
        d = obj(status.get(name))
        when, kind = text(d.get("date")), text(d.get("type"))
        if when and kind in (None, "ACTUAL"):
            ctx.date(t, prop, when, f"protocolSection.statusModule.{name}.date")
        elif when:
            ctx.drop(f"protocolSection.statusModule.{name}", f"{kind.lower()} date {when} not written: msckg has no planned start/end date")


def _organisation(ctx: Ctx, org: dict, path: str, role_key: str, role: str) -> None:
    """An organisation in the sponsor or collaborator role, also as a funder whose kind is its registry class."""
    name, cls = text(org.get("name")), text(org.get("class"))
    if not name:
        ctx.reject("organisation", path, "organisation without a name")
        return
    if cls == "INDIV":
        ctx.reject("organisation", path, "an individual, not an organisation: msckg:sponsor and msckg:collaborator name organisations")
        return
    o = organisation_node(ctx, name)
    if cls in T["org_kinds"]:
        ctx.add(o, MSCKG.organisationKind, T["org_kinds"][cls])
    elif cls:
        ctx.drop(f"{path}.class", f"organisation class {cls} has no msckg:OrganisationKind")
    ctx.add(ctx.trial, MSCKG.sponsor if role_key == "lead-sponsor" else MSCKG.collaborator, o)
    funding = ID[f"pub/ctgov-{ctx.nct}/funding/{role_key}"]
    ctx.evidence(funding, MSCKG.Funding, path)
    ctx.add(funding, RDFS.label, Literal(f"{role}: {name} (ClinicalTrials.gov)"))
    ctx.add(funding, MSCKG.funder, o)
    ctx.add(ctx.trial, MSCKG.funding, funding)
    ctx.ok("organisation")


def organisation_node(ctx: Ctx, name: str, key: str | None = None) -> URIRef:
    """One node per organisation (`org/<slug>`); the first source to name it gives its label, later spellings are altLabels."""
    o = ID[f"org/{key or slug(name)}"]
    ctx.add(o, RDF.type, MSCKG.Organisation)
    first = ctx.org_labels.setdefault(o, name)
    ctx.add(o, RDFS.label if first == name else SKOS.altLabel, Literal(name))
    return o


def write_eligibility(ctx: Ctx, ps: dict) -> None:
    el = ps.get("eligibilityModule")
    if not isinstance(el, dict):
        return
    path = "protocolSection.eligibilityModule"
    node = ID[f"pub/ctgov-{ctx.nct}/eligibility"]
    ages = []
    for fld, bound in (("minimumAge", "min"), ("maximumAge", "max")):
        raw = text(el.get(fld))
        if not raw:
            continue
        m = AGE.match(raw)
        unit = m.group(2).lower() if m else ""
        if unit not in ("year", "month"):
            ctx.drop(f"{path}.{fld}", f"age '{raw}' is not a number of years or months")
        else:
            ages.append((f"{bound}Age{'Years' if unit == 'year' else 'Months'}", m.group(1), f"{path}.{fld}"))
    for fld in ("eligibilityCriteria", "sex", "healthyVolunteers", "stdAges", "studyPopulation"):
        if el.get(fld) not in (None, "", []):
            ctx.drop(f"{path}.{fld}", "no msckg property (criteria and study population are free text; sex, healthy volunteers and age groups have none)")
    if not ages:
        ctx.reject("eligibility", path, "no age limit that msckg can hold")
        return
    ctx.evidence(node, MSCKG.Eligibility, ages[0][2])
    ctx.add(node, RDFS.label, Literal(f"Eligibility criteria of {ctx.nct}"))
    ctx.add(ctx.trial, MSCKG.eligibility, node)
    for prop, value, p in ages:
        ctx.number(node, prop, value, p)
        ctx.add(node, MSCKG.locator, Literal(ctx.loc(p)))
    ctx.ok("eligibility")


def write_references(ctx: Ctx, ps: dict) -> None:
    """Each reference with a PMID or a DOI is a publication cited by the record; results and derived ones report the study."""
    rm = obj(ps.get("referencesModule"))
    for i, ref in enumerate(arr(rm.get("references"))):
        ref = obj(ref)
        path = f"protocolSection.referencesModule.references[{i}]"
        pmid, citation, kind = text(ref.get("pmid")), text(ref.get("citation")), text(ref.get("type"))
        doi = DOI.search(citation or "")
        if pmid and not PMID.match(pmid):
            ctx.drop(f"{path}.pmid", f"PMID '{pmid}' is not a number")
            pmid = None
        if not pmid and not doi:
            ctx.reject("reference", path, "a reference without a PubMed ID or DOI is not a publication msckg can identify")
            continue
        pub = ID[f"pub/pmid-{pmid}" if pmid else f"pub/doi-{slug(doi.group(1))}"]
        ctx.add(pub, RDF.type, MSCKG.Publication)
        ctx.add(pub, RDFS.label, Literal(citation or f"PMID {pmid}"))
        ctx.text(pub, MSCKG.pmid, pmid)
        ctx.text(pub, MSCKG.doi, doi.group(1) if doi else None)
        ctx.text(pub, MSCKG.citation, citation)
        ctx.add(pub, MSCKG.citedBy, ctx.doc)
        rtype = T["reference_types"].get(kind or "")
        if rtype is not None:
            ctx.add(pub, MSCKG.referenceType, rtype)
            if rtype != MSCKG.BackgroundReference:
                ctx.add(pub, MSCKG.reports, ctx.trial)
        elif kind:
            ctx.drop(f"{path}.type", f"reference type {kind} has no msckg:ReferenceType")
        ctx.ok("reference")
    for i, link in enumerate(arr(rm.get("seeAlsoLinks"))):
        url = text(obj(link).get("url"))
        if url and re.match(r"^https?://\S+$", url):
            ctx.add(ctx.doc, RDFS.seeAlso, URIRef(url))
        elif url:
            ctx.drop(f"protocolSection.referencesModule.seeAlsoLinks[{i}].url", f"'{url}' is not an http(s) URL")


def write_locations(ctx: Ctx, ps: dict) -> None:
    """Each location with a facility is a site (an organisation in the site role, with its city and country);
    every location's country is one of the study's site countries."""
    countries: list[str] = []
    for i, loc in enumerate(arr(obj(ps.get("contactsLocationsModule")).get("locations"))):
        loc = obj(loc)
        path = f"protocolSection.contactsLocationsModule.locations[{i}]"
        facility, city, country = text(loc.get("facility")), text(loc.get("city")), text(loc.get("country"))
        if not facility and not country:
            ctx.reject("location", path, "a location with neither a facility nor a country")
            continue
        if country and country not in countries:
            countries.append(country)
            ctx.add(ctx.trial, MSCKG.siteCountry, Literal(country))
        if facility:
            generic = bool(_generic_site().search(facility))
            key = slug(" ".join(x for x in (facility, city, country) if x)) if generic else None
            o = organisation_node(ctx, facility, key)
            ctx.add(ctx.trial, MSCKG.site, o)
            ctx.text(o, MSCKG.city, city)
            ctx.text(o, MSCKG.country, country)
        ctx.ok("location")


def write_document(ctx: Ctx, file_name: str, sha256: str, ps: dict, retrieved_at: str | None) -> None:
    d = ctx.doc
    ctx.add(d, RDF.type, MSCKG.RegistryRecordDocument)
    ctx.add(d, RDFS.label, Literal(f"ClinicalTrials.gov record {ctx.nct} (API v2)"))
    ctx.add(d, MSCKG.sourceFile, Literal(file_name))
    ctx.add(d, MSCKG.sourceSha256, Literal(sha256))
    ctx.add(d, MSCKG.reports, ctx.trial)
    ctx.add(d, RDFS.seeAlso, URIRef(STUDY_URL.format(ctx.nct)))
    last = text(obj(obj(ps.get("statusModule")).get("lastUpdatePostDateStruct")).get("date"))
    ctx.date(d, MSCKG.publicationDate, last, "protocolSection.statusModule.lastUpdatePostDateStruct.date")
    if retrieved_at:
        ctx.add(d, MSCKG.retrievedAt, Literal(retrieved_at, datatype=XSD.dateTime))
