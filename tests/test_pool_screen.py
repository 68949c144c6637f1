"""`msckg pool` on invented graphs with known counts: the arithmetic against a hand computation, and every
like-with-like rule (population, grade band, time point, concurrent control, zero cells, several terms)."""

from __future__ import annotations

import math

import pytest

from msckg.graph.synthesis.analysis import run_analysis
from msckg.graph.synthesis.spec import AnalysisSpec, SpecError

from .pool_graph import M, store_of, trial_quads, two_arm_store

INFECTION = M + "AE_Infection"


def ae(**kw) -> AnalysisSpec:
    return AnalysisSpec("adverse-event", INFECTION, **kw)


def left_out(result) -> dict[str, str]:
    return {ln.label: ln.reason for ln in result.lines if ln.kind == "left out"}


def warnings_(result) -> list[str]:
    return [ln.reason for ln in result.lines if ln.kind == "warning"]


KNOWN = [("NCT00000001", 10, 50, 20, 50), ("NCT00000002", 5, 40, 8, 42), ("NCT00000003", 30, 100, 28, 95)]


def test_pooled_numbers_equal_a_hand_computation():
    result = run_analysis(two_arm_store(KNOWN), ae())
    # by hand: log risk ratio and its variance per trial, inverse-variance weights, Cochran's Q, DL tau^2
    y = [math.log((a / n1) / (c / n2)) for _, a, n1, c, n2 in KNOWN]
    v = [1 / a - 1 / n1 + 1 / c - 1 / n2 for _, a, n1, c, n2 in KNOWN]
    w = [1 / x for x in v]
    fe = sum(wi * yi for wi, yi in zip(w, y)) / sum(w)
    q = sum(wi * (yi - fe) ** 2 for wi, yi in zip(w, y))
    tau2 = max(0.0, (q - 2) / (sum(w) - sum(x * x for x in w) / sum(w)))
    wr = [1 / (x + tau2) for x in v]
    dl = sum(wi * yi for wi, yi in zip(wr, y)) / sum(wr)
    got = sorted(result.comparison.effects, key=lambda e: e.study.trial)
    assert [e.y for e in got] == pytest.approx(y) and [e.v for e in got] == pytest.approx(v)
    fixed, rand = result.comparison.pooled["fixed"], result.comparison.pooled["dl"]
    assert fixed.estimate == pytest.approx(fe) and fixed.se == pytest.approx(math.sqrt(1 / sum(w)))
    assert fixed.q == pytest.approx(q) and rand.tau2 == pytest.approx(tau2)
    assert rand.estimate == pytest.approx(dl) and rand.se == pytest.approx(math.sqrt(1 / sum(wr)))
    assert sum(fixed.weights) == pytest.approx(100)
    assert rand.i2 == pytest.approx(max(0.0, 100 * (q - 2) / q), abs=1e-9)
    # every input is listed with its source and locator
    assert all(r.source and r.locator.startswith("Table 2") for e in got for r in e.study.rows)


def test_odds_ratio_and_risk_difference_by_hand():
    (_, a, n1, c, n2), = KNOWN[:1]
    one = two_arm_store(KNOWN[:1])
    odds = run_analysis(one, ae(measure="or")).comparison.effects[0]
    assert odds.y == pytest.approx(math.log(a * (n2 - c) / (c * (n1 - a))))
    assert odds.v == pytest.approx(1 / a + 1 / (n1 - a) + 1 / c + 1 / (n2 - c))
    diff = run_analysis(one, ae(measure="rd")).comparison.effects[0]
    assert diff.y == pytest.approx(a / n1 - c / n2)
    assert diff.v == pytest.approx((a / n1) * (1 - a / n1) / n1 + (c / n2) * (1 - c / n2) / n2)


def test_zero_cell_correction_touches_only_trials_with_a_zero_cell():
    # statsmodels adds the correction to the counts of every trial passed at once; ours must not
    result = run_analysis(two_arm_store([("NCT00000001", 0, 20, 4, 20), ("NCT00000002", 6, 30, 9, 30)]), ae())
    by = {e.study.trial.rsplit("/", 1)[-1]: e for e in result.comparison.effects}
    assert by["NCT00000001"].corrected and by["NCT00000001"].y == pytest.approx(math.log((0.5 / 21) / (4.5 / 21)))
    assert not by["NCT00000002"].corrected and by["NCT00000002"].y == pytest.approx(math.log(6 / 9))
    assert any("zero cell: 0.5 added" in w for w in warnings_(result))
    other = run_analysis(two_arm_store([("NCT00000001", 0, 20, 4, 20)]), ae(zero_cell="0.25"))
    assert other.comparison.effects[0].y == pytest.approx(math.log((0.25 / 20.5) / (4.25 / 20.5)))
    none = run_analysis(two_arm_store([("NCT00000001", 0, 20, 4, 20), ("NCT00000002", 6, 30, 9, 30)]), ae(zero_cell="none"))
    assert none.comparison.k == 1 and "no zero-cell correction" in left_out(none)["NCT00000001"]


def test_double_zero_trials_leave_ratios_but_stay_in_risk_differences():
    counts = [("NCT00000001", 0, 20, 0, 22), ("NCT00000002", 6, 30, 9, 30)]
    rr = run_analysis(two_arm_store(counts), ae())
    assert rr.comparison.k == 1 and "double-zero" in left_out(rr)["NCT00000001"]
    rd = run_analysis(two_arm_store(counts), ae(measure="rd"))
    assert rd.comparison.k == 2 and "NCT00000001" not in left_out(rd)


def test_populations_are_not_mixed():
    quads = trial_quads("NCT00000001", [("experimental", 3, 20), ("control", 5, 20)], population_type="PerProtocol")
    quads += trial_quads("NCT00000002", [("experimental", 3, 20), ("control", 5, 20)], population_type="SafetySet")
    result = run_analysis(store_of(quads), ae())
    assert result.comparison.k == 1
    assert "PerProtocol; analysis: SafetySet" in left_out(result)["NCT00000001"]
    pp = run_analysis(store_of(quads), ae(population="pp"))
    assert pp.comparison.k == 1 and "SafetySet; analysis: PerProtocol" in left_out(pp)["NCT00000002"]
    # a count naming no population is taken as the arm's, and that is said
    bare = trial_quads("NCT00000003", [("experimental", 3, 20), ("control", 5, 20)], population_type="")
    result = run_analysis(store_of(bare), ae())
    assert result.comparison.k == 1 and any("no population stated" in w for w in warnings_(result))


def test_grade_bands_are_not_mixed():
    quads = trial_quads("NCT00000001", [("experimental", 3, 20), ("control", 5, 20)], grade_band="Grade3to4")
    quads += trial_quads("NCT00000002", [("experimental", 4, 20), ("control", 6, 20)], grade_band="AnyGrade")
    anyg = run_analysis(store_of(quads), ae())
    assert anyg.comparison.k == 1 and "grade 3-4 (analysis: any grade)" in left_out(anyg)["NCT00000001"]
    g34 = run_analysis(store_of(quads), ae(grade="3-4"))
    assert g34.comparison.k == 1 and "any grade (analysis: grade 3-4)" in left_out(g34)["NCT00000002"]


def test_serious_only_and_time_points():
    quads = trial_quads("NCT00000001", [("experimental", 3, 20), ("control", 5, 20)], serious=True)
    quads += trial_quads("NCT00000002", [("experimental", 4, 20), ("control", 6, 20)], timepoint="up to day 180")
    result = run_analysis(store_of(quads), ae())
    assert "serious events only" in left_out(result)["NCT00000001"]
    serious = run_analysis(store_of(quads), ae(serious=True))
    assert serious.comparison.k == 1 and "not marked serious" in left_out(serious)["NCT00000002"]
    window = run_analysis(store_of(quads), ae(timepoint="up to day 180", serious=False))
    assert window.comparison.k == 1


def test_response_time_points_must_be_chosen():
    quads = trial_quads("NCT00000001", [("experimental", 12, 20), ("control", 8, 20)], kind="response",
                        event_class="OverallResponse", population_type="IntentionToTreat", timepoint="day 28")
    quads += trial_quads("NCT00000002", [("experimental", 14, 25), ("control", 9, 25)], kind="response",
                         event_class="OverallResponse", population_type="IntentionToTreat", timepoint="day 56")
    store = store_of(quads)
    with pytest.raises(SpecError, match="2 time points: day 28 .1 trial.; day 56 .1 trial.. Choose one with --timepoint"):
        run_analysis(store, AnalysisSpec("response", M + "OverallResponse"))
    d28 = run_analysis(store, AnalysisSpec("response", M + "OverallResponse", timepoint="Day 28"))
    assert d28.comparison.k == 1 and "time point day 56 (analysis: Day 28)" in left_out(d28)["NCT00000002"]
    e = d28.comparison.effects[0]
    assert (e.study.experimental.count, e.study.control.count) == (12, 8)


def test_only_concurrent_controls_are_compared():
    quads = trial_quads("NCT00000001", [("experimental", 3, 20)], allocation="SingleGroup", control_type="NoControl")
    quads += trial_quads("NCT00000002", [("experimental", 4, 20), ("control", 6, 20)], allocation="NonRandomized",
                         control_type="ConcurrentNonRandomizedControl")
    quads += trial_quads("NCT00000003", [("experimental", 4, 20)], control_type="PlaceboControl")
    result = run_analysis(store_of(quads), ae())
    lines = left_out(result)
    assert "single-arm or dose-cohort trial (no concurrent control)" in lines["NCT00000001"]
    assert "no count for the control arm" in lines["NCT00000003"]
    assert result.comparison.k == 1 and result.uncontrolled.k == 1
    assert any("non-randomised concurrent control" in w for w in warnings_(result))
    strict = run_analysis(store_of(quads), ae(randomised_only=True))
    assert strict.comparison.k == 0 and "not randomised" in left_out(strict)["NCT00000002"]


def test_several_terms_in_one_arm_are_refused_or_bounded():
    quads = trial_quads("NCT00000001", [("experimental", 3, 20), ("control", 5, 20)], event_class="AE_Pneumonia", term="pneumonia")
    quads += [q.replace("/ae/", "/ae/sepsis-") for q in trial_quads(
        "NCT00000001", [("experimental", 2, 20), ("control", 1, 20)], event_class="AE_Sepsis", term="sepsis")
        if "/ae/" in q]
    store = store_of(quads)
    exact = run_analysis(store, ae())
    assert exact.comparison.k == 0 and "2 separate terms and no count of subjects with any of them" in left_out(exact)["NCT00000001"]
    low = run_analysis(store, ae(combine="max")).comparison.effects[0].study
    assert (low.experimental.count, low.control.count) == (3, 5)
    high = run_analysis(store, ae(combine="sum")).comparison.effects[0].study
    assert (high.experimental.count, high.control.count) == (5, 6)
    # a narrower class pools one term
    one = run_analysis(store, AnalysisSpec("adverse-event", M + "AE_Sepsis")).comparison.effects[0].study
    assert (one.experimental.count, one.control.count) == (2, 1)


def test_a_count_of_the_whole_class_wins_over_its_terms():
    quads = trial_quads("NCT00000001", [("experimental", 6, 20), ("control", 7, 20)], event_class="AE_Infection")
    quads += [q.replace("/ae/", "/ae/sepsis-") for q in trial_quads(
        "NCT00000001", [("experimental", 2, 20), ("control", 1, 20)], event_class="AE_Sepsis") if "/ae/" in q]
    s = run_analysis(store_of(quads), ae()).comparison.effects[0].study
    assert (s.experimental.count, s.control.count) == (6, 7)


def test_disagreeing_sources_are_refused():
    quads = trial_quads("NCT00000001", [("experimental", 3, 20), ("control", 5, 20)])
    quads += [q.replace("/ae/0", "/ae/0b").replace("Table 2", "Abstract") for q in quads if "/ae/0" in q]
    quads = [q.replace('"3"^^', '"4"^^') if "/ae/0b" in q else q for q in quads]
    result = run_analysis(store_of(quads), ae())
    assert "sources disagree" in left_out(result)["NCT00000001"]


def test_several_experimental_arms_are_added_up():
    quads = trial_quads("NCT00000001", [("experimental", 3, 20), ("experimental", 4, 21), ("control", 5, 20)])
    s = run_analysis(store_of(quads), ae())
    study = s.comparison.effects[0].study
    assert (study.experimental.count, study.experimental.denominator) == (7, 41)
    assert any("2 experimental arms added up" in w for w in warnings_(s))


def test_bad_requests_say_which_option():
    for kw, msg in (({"grade": "6"}, "--grade"), ({"measure": "hr"}, "--measure"), ({"zero_cell": "x"}, "--zero-cell"),
                    ({"population": "everyone"}, "--population"), ({"combine": "avg"}, "--combine")):
        with pytest.raises(SpecError, match=msg):
            ae(**kw)


def test_identifier_is_deterministic_and_readable():
    a, b = ae(grade="3-4"), ae(grade="3-4")
    assert a.identifier() == b.identifier() and a.identifier().startswith("ae_infection-3-4-rr-")
    assert ae(grade="3-4", combine="max").identifier() != a.identifier()
    assert ae(name="infections-g34").identifier().startswith("infections-g34-")


def test_text_from_the_data_is_printed_as_text_not_markup():
    from rich.console import Console

    from msckg.graph.synthesis.report import print_result

    quads = trial_quads("NCT00000001", [("experimental", 3, 20), ("control", 5, 20)], term="[bold red]bleed[/bold red]",
                        grade_band="Grade3to4")
    quads += trial_quads("NCT00000002", [("experimental", 4, 20), ("control", 6, 20)])
    console = Console(record=True, width=100)
    print_result(run_analysis(store_of(quads), ae()), console)
    assert "[bold red]bleed[/bold red]: grade 3-4" in console.export_text()
