"""`msckg pool` reproduces published meta-analyses to 4 decimals, from the counts through the graph to the estimate.

Reference figures (each cited where it is used):

- BCG vaccine trials (Colditz et al. 1994, JAMA 271:698-702), 13 trials, as metafor's data set dat.bcg
  (printed in metafor's reference page for escalc, Examples; data in metadat's data-raw/dat.bcg.txt).
  * fixed effect and DerSimonian-Laird, log risk ratio: metafor's test file
    tests/testthat/test_misc_metan_vs_rma.uni_with_dat.bcg.r (values checked there against Stata's metan);
  * REML, log risk ratio: metafor's reference page for rma.uni, Examples
    ("rma(yi, vi, data=dat, method='REML')": tau^2 0.3132, I^2 92.22%, Q 152.2330, estimate -0.7145,
    se 0.1798, z -3.9744, CI -1.0669 to -0.3622);
  * prediction interval (REML): metafor's reference page for predict.rma, Examples, printed to 2 decimals
    (pi.lb -1.87, pi.ub 0.44; as risk ratios 0.15 and 1.55);
  * leave-one-out (REML): metafor's reference page for leave1out, Examples.
- Proportions: central-venous-catheter infections in the control arms of 18 trials (Niel-Weise et al. 2007),
  metafor's dat.nielweise2007 (metadat data-raw/dat.nielweise2007.txt), normal-normal model on the logit
  scale (REML), Stijnen, Hamza & Ozdemir 2010, Stat Med 29:3046-3067, Table II (p. 3050), as reproduced to
  4 decimals in metafor's tests/testthat/test_analysis_example_stijnen2010.r: -3.3018 (se 0.2378),
  tau^2 0.6629, proportion 0.0355 [0.0226, 0.0554].
"""

from __future__ import annotations

import math

import pytest
from scipy.special import expit

from msckg.graph.synthesis.analysis import run_analysis
from msckg.graph.synthesis.pooling import pool
from msckg.graph.synthesis.spec import AnalysisSpec

from .pool_graph import M, store_of, trial_quads, two_arm_store

# dat.bcg: trial, tpos, tneg, cpos, cneg (vaccinated TB+, TB-; not vaccinated TB+, TB-)
BCG = [
    ("Aronson 1948", 4, 119, 11, 128),
    ("Ferguson & Simes 1949", 6, 300, 29, 274),
    ("Rosenthal et al 1960", 3, 228, 11, 209),
    ("Hart & Sutherland 1977", 62, 13536, 248, 12619),
    ("Frimodt-Moller et al 1973", 33, 5036, 47, 5761),
    ("Stein & Aronson 1953", 180, 1361, 372, 1079),
    ("Vandiviere et al 1973", 8, 2537, 10, 619),
    ("TPT Madras 1980", 505, 87886, 499, 87892),
    ("Coetzee & Berjak 1968", 29, 7470, 45, 7232),
    ("Rosenthal et al 1961", 17, 1699, 65, 1600),
    ("Comstock et al 1974", 186, 50448, 141, 27197),
    ("Comstock & Webster 1969", 5, 2493, 3, 2338),
    ("Comstock et al 1976", 27, 16886, 29, 17825),
]
# dat.nielweise2007, control arms: ci (infections), n2i (patients)
NIELWEISE_CONTROL = [(3, 117), (3, 35), (9, 195), (7, 136), (6, 157), (4, 139), (3, 177), (2, 39), (19, 103),
                     (2, 122), (7, 64), (1, 58), (5, 175), (11, 180), (0, 105), (1, 262), (3, 362), (1, 69)]


def close(value: float, expected: float, places: int = 4) -> bool:
    return round(value, places) == pytest.approx(expected, abs=10 ** -places / 2 + 1e-12)


@pytest.fixture(scope="module")
def bcg():
    """The BCG trials as a graph (one trial per named graph, vaccinated = experimental arm), pooled as risk ratios."""
    store = two_arm_store([(f"NCT9{i:07d}", a, a + b, c, c + d) for i, (_, a, b, c, d) in enumerate(BCG)])
    return run_analysis(store, AnalysisSpec("adverse-event", M + "AE_Infection", prediction="normal"), loo=True)


def test_bcg_every_trial_enters_with_its_counts(bcg):
    assert bcg.comparison.k == 13 and not [ln for ln in bcg.lines if ln.kind == "left out"]
    got = sorted((e.study.experimental.count, e.study.experimental.denominator, e.study.control.count,
                  e.study.control.denominator) for e in bcg.comparison.effects)
    assert got == sorted((a, a + b, c, c + d) for _, a, b, c, d in BCG)
    # escalc's log risk ratio of Aronson 1948, printed -0.8893 (variance 0.3256) in metafor's escalc page
    aronson = next(e for e in bcg.comparison.effects if e.study.experimental.denominator == 123)
    assert close(aronson.y, -0.8893) and close(aronson.v, 0.3256)


def test_bcg_fixed_effect_matches_metafor(bcg):
    p = bcg.comparison.pooled["fixed"]
    assert close(p.estimate, -0.4303) and close(p.ci_low, -0.5097) and close(p.ci_high, -0.3509)
    assert close(p.z, -10.6247) and close(p.q, 152.2330)
    assert close(math.exp(p.estimate), 0.6503) and close(math.exp(p.ci_low), 0.6007) and close(math.exp(p.ci_high), 0.7040)


def test_bcg_dersimonian_laird_matches_metafor(bcg):
    p = bcg.comparison.pooled["dl"]
    assert close(p.estimate, -0.7141) and close(p.ci_low, -1.0644) and close(p.ci_high, -0.3638)
    assert close(p.z, -3.9952) and close(p.tau2, 0.3088) and close(p.i2, 92.1173)
    assert close(math.exp(p.estimate), 0.4896) and close(math.exp(p.ci_low), 0.3449) and close(math.exp(p.ci_high), 0.6950)


def test_bcg_reml_matches_metafor(bcg):
    p = bcg.comparison.pooled["reml"]
    assert close(p.estimate, -0.7145) and close(p.se, 0.1798) and close(p.z, -3.9744)
    assert close(p.ci_low, -1.0669) and close(p.ci_high, -0.3622)
    assert close(p.tau2, 0.3132) and close(p.q, 152.2330)
    assert close(p.i2 / 100, 0.9222)  # printed 92.22%
    assert close(math.sqrt(p.tau2), 0.5597)


def test_bcg_prediction_interval_matches_metafor(bcg):
    p = bcg.comparison.pooled["reml"]
    assert (round(p.pi_low, 2), round(p.pi_high, 2)) == (-1.87, 0.44)
    assert (round(math.exp(p.pi_low), 2), round(math.exp(p.pi_high), 2)) == (0.15, 1.55)
    # and it is estimate +- z * sqrt(se^2 + tau^2), by hand
    half = 1.959963984540054 * math.sqrt(p.se ** 2 + p.tau2)
    assert p.pi_low == pytest.approx(p.estimate - half) and p.pi_high == pytest.approx(p.estimate + half)


def test_bcg_t_prediction_interval_is_wider():
    y = [math.log((a / (a + b)) / (c / (c + d))) for _, a, b, c, d in BCG]
    v = [1 / a - 1 / (a + b) + 1 / c - 1 / (c + d) for _, a, b, c, d in BCG]
    normal, t = pool(y, v, "reml", "normal"), pool(y, v, "reml", "t")
    assert t.pi_low < normal.pi_low and t.pi_high > normal.pi_high
    from scipy import stats

    assert t.pi_high - t.estimate == pytest.approx(stats.t.isf(0.025, 11) * math.sqrt(t.se ** 2 + t.tau2))


# metafor leave1out(res) for the REML model: estimate, se, Q, tau2, I2 with trial i left out
LEAVE1OUT = [(-0.7071, 0.1900, 151.5826, 0.3362, 93.2259), (-0.6540, 0.1807, 145.3176, 0.2926, 92.2540),
             (-0.6856, 0.1857, 150.1970, 0.3207, 92.9354), (-0.6284, 0.1766, 96.5626, 0.2628, 90.4125),
             (-0.7642, 0.1918, 151.3200, 0.3278, 92.7634), (-0.7109, 0.2003, 128.1867, 0.3596, 90.9118),
             (-0.6552, 0.1805, 145.8296, 0.2930, 92.2777), (-0.7948, 0.1799, 67.9858, 0.2732, 87.0314),
             (-0.7412, 0.1967, 152.2051, 0.3495, 93.2133), (-0.6530, 0.1843, 139.8271, 0.2987, 92.2322),
             (-0.7579, 0.1958, 151.4655, 0.3405, 91.8110), (-0.7598, 0.1821, 150.7868, 0.3082, 92.6782),
             (-0.7775, 0.1855, 149.7884, 0.3037, 92.3444)]


def test_bcg_leave_one_out_matches_metafor(bcg):
    order = {(a + b): i for i, (_, a, b, _c, _d) in enumerate(BCG)}
    assert len(bcg.comparison.loo) == 13
    for e, p in zip(bcg.comparison.effects, bcg.comparison.loo):
        est, se, q, tau2, i2 = LEAVE1OUT[order[e.study.experimental.denominator]]
        assert close(p.estimate, est) and close(p.se, se) and close(p.q, q) and close(p.tau2, tau2) and close(p.i2, i2)


def test_proportions_match_stijnen_2010_table_ii():
    quads = []
    for i, (x, n) in enumerate(NIELWEISE_CONTROL):
        quads += trial_quads(f"NCT8{i:07d}", [("experimental", x, n)], allocation="SingleGroup", control_type="NoControl")
    result = run_analysis(store_of(quads), AnalysisSpec("adverse-event", M + "AE_Infection"))
    syn = result.uncontrolled
    assert result.comparison.k == 0 and syn.k == 18
    p = syn.pooled["reml"]
    assert close(p.estimate, -3.3018) and close(p.se, 0.2378) and close(p.tau2, 0.6629)
    assert close(float(expit(p.estimate)), 0.0355) and close(float(expit(p.ci_low)), 0.0226) and close(float(expit(p.ci_high)), 0.0554)
    # the one trial with no infection (Yucel 2004, 0/105) gets 0.5 in both cells, as escalc does by default
    yucel = next(e for e in syn.effects if e.study.experimental.denominator == 105)
    assert yucel.corrected and yucel.y == pytest.approx(math.log(0.5 / 105.5))
    # every trial is said to be uncontrolled
    assert sum("no concurrent control" in ln.reason for ln in result.lines) == 18
