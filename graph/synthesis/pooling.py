"""Pooling effects: fixed effect and random effects (DerSimonian-Laird, REML, Paule-Mandel) with statsmodels and PyMARE.

The estimators come from the libraries: DerSimonian-Laird and REML from PyMARE (statsmodels has no REML, and
its one-step DL does not truncate a negative tau-squared at 0), Paule-Mandel, the fixed-effect estimate and
Cochran's Q from statsmodels. What neither offers is written here and is a line each: the prediction interval,
the weights in per cent and I-squared from tau-squared (Higgins & Thompson 2002, as metafor reports it)."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

Z95 = stats.norm.isf(0.025)


@dataclass
class Pooled:
    """A pooled estimate on the analysis scale, with its interval, heterogeneity and the weight of each study."""

    method: str
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    z: float
    p: float
    tau2: float
    i2: float            # per cent
    q: float
    df: int
    p_q: float
    pi_low: float | None = None
    pi_high: float | None = None
    weights: list[float] = field(default_factory=list)   # per cent, in the order of the effects


def _i2(tau2: float, v: np.ndarray) -> float:
    """I-squared from tau-squared and the typical within-study variance (Higgins & Thompson 2002, eq. 9)."""
    w = 1 / v
    k = len(v)
    if k < 2:
        return 0.0
    s2 = (k - 1) * w.sum() / (w.sum() ** 2 - (w ** 2).sum())
    return 100 * tau2 / (tau2 + s2)


def _pymare(method: str, y: np.ndarray, v: np.ndarray) -> tuple[float, float, float]:
    """(estimate, se, tau2) from PyMARE's DerSimonian-Laird or REML estimator, Wald (z) inference."""
    from pymare import Dataset
    from pymare.estimators import DerSimonianLaird, VarianceBasedLikelihoodEstimator

    est = (DerSimonianLaird(small_sample_correction="wald") if method == "dl"
           else VarianceBasedLikelihoodEstimator(method="REML", small_sample_correction="wald"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit_dataset(Dataset(y=y, v=v))
        fe = est.summary().get_fe_stats()
    tau2 = float(np.ravel(est.params_["tau2"])[0])
    return float(np.ravel(fe["est"])[0]), float(np.ravel(fe["se"])[0]), max(0.0, tau2)


def pool(y: list[float], v: list[float], method: str, prediction: str = "t") -> Pooled:
    """Pool effects y with variances v by one method: 'fixed', 'dl', 'reml' or 'pm'.

    The prediction interval (random effects, k >= 3) is estimate +- q * sqrt(se^2 + tau^2), with q from
    t on k - 2 degrees of freedom (Higgins, Thompson & Spiegelhalter 2009) or, with prediction='normal',
    from the normal distribution (metafor's default)."""
    from statsmodels.stats.meta_analysis import combine_effects

    y_, v_ = np.asarray(y, dtype=float), np.asarray(v, dtype=float)
    k = len(y_)
    if k == 0:
        raise ValueError("nothing to pool")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = combine_effects(y_, v_, method_re="pm")
        q = float(res.q) if k > 1 else 0.0
        p_q = float(res.test_homogeneity().pvalue) if k > 1 else float("nan")
    if method == "fixed" or k == 1:
        est, se, tau2 = float(res.mean_effect_fe), float(res.sd_eff_w_fe), 0.0
    elif method == "pm":
        est, se, tau2 = float(res.mean_effect_re), float(res.sd_eff_w_re), max(0.0, float(res.tau2))
    elif method in ("dl", "reml"):
        est, se, tau2 = _pymare(method, y_, v_)
    else:
        raise ValueError(f"unknown pooling method {method!r}")
    z = est / se
    out = Pooled(method, k, est, se, est - Z95 * se, est + Z95 * se, z, 2 * stats.norm.sf(abs(z)),
                 tau2, _i2(tau2, v_), q, k - 1, p_q)
    w = 1 / (v_ + tau2)
    out.weights = list(100 * w / w.sum())
    if method != "fixed" and k >= 3:
        crit = stats.t.isf(0.025, k - 2) if prediction == "t" else Z95
        half = crit * math.sqrt(se ** 2 + tau2)
        out.pi_low, out.pi_high = est - half, est + half
    return out


def leave_one_out(y: list[float], v: list[float], method: str, prediction: str = "t") -> list[Pooled]:
    """The pooled estimate with each study left out in turn (k >= 3), in the order of the studies."""
    if len(y) < 3:
        return []
    return [pool(y[:i] + y[i + 1:], v[:i] + v[i + 1:], method, prediction) for i in range(len(y))]
