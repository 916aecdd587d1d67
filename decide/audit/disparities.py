"""Disparities: each group's rates against the named reference group's, as ratios and differences with posterior
intervals and a verdict against a tolerance band; and Chouldechova's identity, which shows on the audit's own numbers
why equal PPV forces unequal error rates when base rates differ."""

from __future__ import annotations

import numpy as np
import pandas as pd

from decide.audit.common import _rate


def compare_to_reference(names, ref, metrics, draws_by, estimates, informative, *, ratio_band, difference_band,
                         decisive, lo_q, hi_q) -> pd.DataFrame:
    """One row per (group, metric, scale): the estimate, its interval from the posterior draws, the posterior
    probabilities of lying below and above the band, and the verdict: *outside* when one side alone holds at least
    ``decisive`` of the posterior (the data say which way the group differs), *within* when the band holds at least
    that much, and otherwise *cannot tell*."""
    disp_rows = []
    for gname in names:
        if gname == ref:
            continue
        for metric in metrics:
            dg, dr = draws_by[gname, metric], draws_by[ref, metric]
            eg, er = estimates.loc[gname, metric], estimates.loc[ref, metric]
            with np.errstate(divide="ignore", invalid="ignore"):
                for scale, d, est, band in (("ratio", dg / dr, eg / er, ratio_band),
                                            ("difference", dg - dr, eg - er, (-difference_band, difference_band))):
                    d = d[np.isfinite(d)] if scale == "ratio" else d
                    lo, hi = np.quantile(d, [lo_q, hi_q]) if d.size else (np.nan, np.nan)
                    # one side at a time: a wide posterior for a small group puts mass both below and above a narrow
                    # band, and the two together say nothing about which way the group differs
                    p_below = float((d < band[0]).mean()) if d.size else np.nan
                    p_above = float((d > band[1]).mean()) if d.size else np.nan
                    p_out = p_below + p_above
                    both = bool(informative[gname, metric] and informative[ref, metric])
                    if not both:
                        verdict = "cannot tell (no cases)"
                    elif scale == "ratio" and not er > 0:
                        verdict = "cannot tell (reference rate 0)"  # a ratio to a rate of 0 is not defined
                    elif max(p_below, p_above) >= decisive:
                        verdict = "outside"
                    elif p_out <= 1 - decisive:
                        verdict = "within"
                    else:
                        verdict = "cannot tell"
                    disp_rows.append(dict(group=gname, metric=metric, scale=scale, estimate=float(est), lower=float(lo),
                                          upper=float(hi), band_low=band[0], band_high=band[1], p_outside=p_out,
                                          p_below=p_below, p_above=p_above,
                                          informative=both, verdict=verdict))
    return pd.DataFrame(disp_rows)


def chouldechova_fpr(base_rate, ppv, fnr):
    """Chouldechova (2017), eq. 2.6: FPR = p/(1-p) * (1-PPV)/PPV * (1-FNR). Holds for any confusion table."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return base_rate / (1 - base_rate) * (1 - ppv) / ppv * (1 - fnr)


def _impossibility(cells, names, r, joint, lo_q, hi_q) -> pd.DataFrame:
    """Each group's FPR from the identity, and what equal PPV with the reference would force."""
    p, ppv, fnr, fpr = (_rate(cells, m) for m in ("base_rate", "ppv", "fnr", "fpr"))
    rows = []
    jr = joint[names[r]]
    ppv_r_d = _rate(jr, "ppv")
    for gi, g in enumerate(names):
        jd = joint[g]
        pd_, fnr_d = _rate(jd, "base_rate"), _rate(jd, "fnr")
        # Equal PPV to the reference, the group's own FNR: the FPR that forces.
        need_fpr = chouldechova_fpr(p[gi], ppv[r], fnr[gi])
        need_fpr_d = chouldechova_fpr(pd_, ppv_r_d, fnr_d)
        # Equal PPV and equal FPR to the reference: the FNR that forces (may be impossible, < 0).
        with np.errstate(divide="ignore", invalid="ignore"):
            need_fnr = 1 - fpr[r] * (1 - p[gi]) / p[gi] * ppv[r] / (1 - ppv[r])
            need_fnr_d = 1 - _rate(jr, "fpr") * (1 - pd_) / pd_ * ppv_r_d / (1 - ppv_r_d)
        rows.append(dict(group=g, base_rate=p[gi], ppv=ppv[gi], fnr=fnr[gi], fpr=fpr[gi],
                         fpr_from_identity=chouldechova_fpr(p[gi], ppv[gi], fnr[gi]),
                         fpr_if_equal_ppv=need_fpr,
                         fpr_if_equal_ppv_lower=np.nanquantile(need_fpr_d, lo_q), fpr_if_equal_ppv_upper=np.nanquantile(need_fpr_d, hi_q),
                         fnr_if_equal_ppv_and_fpr=need_fnr,
                         fnr_if_equal_ppv_and_fpr_lower=np.nanquantile(need_fnr_d, lo_q),
                         fnr_if_equal_ppv_and_fpr_upper=np.nanquantile(need_fnr_d, hi_q)))
    return pd.DataFrame(rows).set_index("group")


