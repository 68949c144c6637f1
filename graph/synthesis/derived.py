"""Pooled results as derived evidence: one named graph per analysis, with PROV-O, re-derived by every build.

`msckg pool --write` saves the request as data/analyses/<analysis>.yaml; every build (graph.build.run) reads
those files, runs each analysis on the dataset it has just loaded, and adds one named graph per analysis
before validating and writing the new store generation. IRIs come from the request (AnalysisSpec.identifier),
numbers are written with fixed precision, and there are no blank nodes, so the same inputs give the same
triples; only prov:generatedAtTime (the build's time) changes, and the canonical hash leaves it out."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import XSD

from msckg.loader.errors import Problem, SourceError
from msckg.loader.schema import GRAPH, ID, MSCKG, PROV
from msckg.loader.yamlnodes import Mapping, Scalar, Sequence, read_yaml

from .analysis import Result, Synthesis, analyse, read_inputs
from .derived_cache import DerivedCache, derivation_key, library_versions
from .report import title
from .spec import AnalysisSpec, SpecError

ANALYSES = "analyses"
METHOD_TERMS = {"fixed": MSCKG.FixedEffect, "dl": MSCKG.DerSimonianLaird, "reml": MSCKG.RestrictedMaximumLikelihood,
                "pm": MSCKG.PauleMandel}
MEASURE_TERMS = {"rr": MSCKG.MeasureRiskRatio, "or": MSCKG.MeasureOddsRatio, "rd": MSCKG.MeasureRiskDifference}
BOOLEAN_FIELDS = {"serious", "randomised_only"}


def graph_iri(spec: AnalysisSpec) -> URIRef:
    return GRAPH[f"derived/pool/{spec.identifier()}"]


def analysis_iri(spec: AnalysisSpec) -> URIRef:
    return ID[f"analysis/{spec.identifier()}"]


def _decimal(x: float) -> Literal:
    """A fixed-precision xsd:decimal, the same text for the same float on every run."""
    text = f"{x:.10f}".rstrip("0")
    return Literal(text + "0" if text.endswith(".") else text, datatype=XSD.decimal)


def _slug(iri: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", iri.rsplit("/", 1)[-1]).strip("-") or "trial"


def _section(g: Graph, result: Result, syn: Synthesis, name: str, analysis: URIRef) -> None:
    uncontrolled = name == "uncontrolled"
    if uncontrolled:
        from scipy.special import expit

        back, measure = (lambda x: float(expit(x))), MSCKG.MeasureProportion
    else:
        back, measure = result.scale, MEASURE_TERMS[result.spec.measure]
    inputs = sorted({r.node for e in syn.effects for r in e.study.rows})
    weights = syn.pooled[syn.primary].weights if syn.primary in syn.pooled else []
    for i, e in enumerate(syn.effects):
        node = ID[f"analysis/{result.spec.identifier()}/{name}/trial/{_slug(e.study.trial)}"]
        lo, hi = e.ci()
        g.add((node, RDF.type, MSCKG.StudyEffect))
        g.add((node, RDF.type, PROV.Entity))
        g.add((node, RDFS.label, Literal(f"{e.study.label}: {'proportion' if uncontrolled else result.spec.measure.upper()}"
                                         f" in '{title(result)}'")))
        g.add((node, MSCKG.estimateOf, analysis))
        g.add((node, MSCKG.trial, URIRef(e.study.trial)))
        g.add((node, MSCKG.effectMeasure, measure))
        g.add((node, MSCKG.uncontrolled, Literal(uncontrolled)))
        for p, v in ((MSCKG.estimate, back(e.y)), (MSCKG.ciLower, back(lo)), (MSCKG.ciUpper, back(hi)),
                     (MSCKG.standardError, e.se)):
            g.add((node, p, _decimal(v)))
        if weights:
            g.add((node, MSCKG.weightPercent, _decimal(weights[i])))
        for r in sorted({r.node for r in e.study.rows}):
            g.add((node, PROV.wasDerivedFrom, URIRef(r)))
        g.add((node, PROV.wasGeneratedBy, analysis))
    for m, p in syn.pooled.items():
        node = ID[f"analysis/{result.spec.identifier()}/{name}/{m}"]
        g.add((node, RDF.type, MSCKG.PooledEstimate))
        g.add((node, RDF.type, PROV.Entity))
        g.add((node, RDFS.label, Literal(f"{title(result)}{' (uncontrolled)' if uncontrolled else ''}: "
                                         f"{METHOD_TERMS[m].split('/')[-1]}")))
        g.add((node, MSCKG.estimateOf, analysis))
        g.add((node, MSCKG.poolingMethod, METHOD_TERMS[m]))
        g.add((node, MSCKG.effectMeasure, measure))
        g.add((node, MSCKG.uncontrolled, Literal(uncontrolled)))
        g.add((node, MSCKG.studiesPooled, Literal(p.k, datatype=XSD.nonNegativeInteger)))
        values = [(MSCKG.estimate, back(p.estimate)), (MSCKG.ciLower, back(p.ci_low)), (MSCKG.ciUpper, back(p.ci_high)),
                  (MSCKG.standardError, p.se), (MSCKG.pValue, p.p), (MSCKG.tauSquared, p.tau2)]
        if p.k > 1:
            values += [(MSCKG.iSquared, p.i2), (MSCKG.cochranQ, p.q), (MSCKG.heterogeneityPValue, p.p_q)]
        if p.pi_low is not None:
            values += [(MSCKG.predictionLower, back(p.pi_low)), (MSCKG.predictionUpper, back(p.pi_high))]
        for prop, v in values:
            if v is not None and math.isfinite(v):
                g.add((node, prop, _decimal(v)))
        for r in inputs:
            g.add((node, PROV.wasDerivedFrom, URIRef(r)))
        g.add((node, PROV.wasGeneratedBy, analysis))


def result_graph(result: Result, when: str | None = None) -> Graph:
    """The named graph of one analysis: the activity, its pooled estimates and per-trial effects, all with PROV-O."""
    from msckg.loader import __version__

    spec = result.spec
    giri = graph_iri(spec)
    g = Graph(identifier=giri)
    a = analysis_iri(spec)
    g.add((a, RDF.type, MSCKG.MetaAnalysis))
    g.add((a, RDF.type, PROV.Activity))
    g.add((a, RDFS.label, Literal(title(result))))
    g.add((a, MSCKG.pooledTarget, URIRef(spec.target)))
    g.add((a, MSCKG.analysisRequest, Literal(json.dumps(spec.as_dict(), sort_keys=True))))
    g.add((a, MSCKG.softwareVersions, Literal(f"msckg {__version__}; {library_versions()}")))
    g.add((a, MSCKG.effectMeasure, MEASURE_TERMS[spec.measure]))
    for node in sorted({r.node for syn in (result.comparison, result.uncontrolled) for e in syn.effects for r in e.study.rows}):
        g.add((a, PROV.used, URIRef(node)))
    for line in result.lines:
        g.add((a, MSCKG.note, Literal(f"{line.kind}: {line.label}: {line.reason}")))
    for syn, name in ((result.comparison, "comparison"), (result.uncontrolled, "uncontrolled")):
        _section(g, result, syn, name, a)
    g.add((giri, RDF.type, PROV.Entity))
    g.add((giri, PROV.wasGeneratedBy, a))
    g.add((giri, MSCKG.loaderVersion, Literal(f"msckg.graph.synthesis {__version__}")))
    return stamp(g, when)


def stamp(g: Graph, when: str | None) -> Graph:
    """Give every pooled estimate of a derived graph the time of the build that derived it (prov:generatedAtTime)."""
    if when:
        for node in set(g.subjects(RDF.type, MSCKG.PooledEstimate)):
            g.add((node, PROV.generatedAtTime, Literal(when, datatype=XSD.dateTime)))
    return g


# ---- the request files in data/analyses/

def save_spec(spec: AnalysisSpec, data: Path) -> Path:
    """Write the request as data/analyses/<analysis>.yaml (one field a line, in a fixed order)."""
    folder = Path(data) / ANALYSES
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{spec.identifier()}.yaml"
    lines = ["# A pooled analysis that every `msckg build` re-derives into its own named graph (docs/synthesis.md).",
             "# Written by `msckg pool --write`; edit it and rebuild, or delete it to drop the derived graph."]
    for key, value in spec.as_dict().items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, list):
            text = "[" + ", ".join(value) + "]"
        else:
            text = json.dumps(value, ensure_ascii=False)
        lines.append(f"{key}: {text}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_spec(path: Path, display: str | None = None) -> AnalysisSpec:
    """An analysis request from its YAML file; SourceError naming file, line, column and field otherwise."""
    shown = display or str(path)
    root = read_yaml(path, shown)
    if not isinstance(root, Mapping):
        raise SourceError([Problem(shown, root.line, root.column, "", "an analysis file is a mapping of fields")])
    fields, problems = {}, []
    for key, node in root.items:
        if key.text == "methods":
            if not isinstance(node, Sequence) or not all(isinstance(i, Scalar) for i in node.items):
                problems.append(Problem(shown, key.line, key.column, "methods", "expected a list such as [fixed, dl, reml, pm]"))
                continue
            fields["methods"] = [i.text for i in node.items]
        elif not isinstance(node, Scalar):
            problems.append(Problem(shown, key.line, key.column, key.text, "expected a single value"))
        elif key.text in BOOLEAN_FIELDS:
            if node.text not in ("true", "false"):
                problems.append(Problem(shown, node.line, node.column, key.text, f"expected true or false, got {node.text!r}"))
            fields[key.text] = node.text == "true"
        else:
            fields[key.text] = node.text
    if problems:
        raise SourceError(problems)
    try:
        return AnalysisSpec.from_dict(fields)
    except (SpecError, TypeError) as exc:
        raise SourceError([Problem(shown, root.line, root.column, "", str(exc))]) from None


def analysis_files(data: Path) -> list[Path]:
    return sorted((Path(data) / ANALYSES).glob("*.yaml"))


def derive_analyses(store, data: Path, when: str | None = None, root: Path | None = None,
                    cache: DerivedCache | None = None) -> dict[URIRef, Graph]:
    """Run every saved analysis on a store and return its named graphs (every bad file reported at once).

    With a `cache`, an analysis whose inputs are those of an earlier derivation reuses its graph."""
    specs, problems = [], []
    for path in analysis_files(data):
        try:
            shown = str(path.resolve().relative_to(root.resolve())) if root else str(path)
        except ValueError:
            shown = str(path)
        try:
            specs.append((shown, read_spec(path, shown)))
        except SourceError as exc:
            problems += exc.problems
    if problems:
        raise SourceError(problems)
    out = {}
    for shown, spec in specs:
        try:
            inputs = read_inputs(store, spec)
            key = derivation_key(spec, inputs)
            g = cache.get(key, graph_iri(spec)) if cache else None
            if g is None:
                g = result_graph(analyse(spec, inputs))
                if cache:
                    cache.put(key, g)
        except SpecError as exc:
            problems.append(Problem(shown, 0, 0, "", f"the analysis cannot run on this graph: {exc}"))
            continue
        out[graph_iri(spec)] = stamp(g, when)
    if problems:
        raise SourceError(problems)
    if cache:
        cache.prune()
    return out
