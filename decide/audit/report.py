"""The audit report: a plain-language summary first, then one self-contained HTML page (figures
embedded, no network) and CSV tables. The `decide audit` command that writes them is in
:mod:`decide.audit.command`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from decide.audit.common import LABELS, RATES
from decide.audit.label_bounds import LabelBias
from decide.audit.rates import Audit
from decide.errors import DecideError

PUNITIVE = ("The flag leads to something a family bears: an investigation, a visit, a record. Then the harm of the tool "
            "falls on families flagged who did not go on to have the outcome, so the parity that matters most is in "
            "false positive rates (and in who is flagged at all, the selection rate). Equal PPV matters less: a group "
            "can have equal PPV and still carry far more false flags.")
ASSISTIVE = ("The flag opens a door to something a family wants: support, a service, priority. Then the harm of the "
             "tool falls on families with needs who were not flagged, so the parity that matters most is in false "
             "negative rates (equivalently true positive rates: equal opportunity), and the selection rate tells you who "
             "gets the help.")


def _fmt(x, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "–"
    return f"{x:.{digits}f}"


def _with_interval(est, lo, hi, digits: int = 2) -> str:
    if not np.isfinite(est):
        return f"undefined ({_fmt(lo, digits)}–{_fmt(hi, digits)})"
    return f"{_fmt(est, digits)} ({_fmt(lo, digits)}–{_fmt(hi, digits)})"


def _how_flagged(s: dict) -> str:
    if s["threshold"] is not None:
        return f"the tool flags a referral when '{s['score_column']}' is {s['threshold']:g} or more"
    return f"the flag is the recorded decision in column '{s['flag_column']}'"


#: Plain definitions, given where the words first appear.
DEFINITIONS = ("Words used here: the selection rate is the share of families the tool flags; the true positive rate "
               "(TPR) is, of families who went on to have the recorded outcome, the share flagged; the false positive "
               "rate (FPR) is, of families who did not, the share flagged; the false negative rate (FNR) is, of families "
               "who did, the share not flagged; the positive predictive value (PPV) is, of families flagged, the share "
               "who went on to have the outcome; calibration asks whether families given the same score have the "
               "outcome equally often whatever their group.")

_PHRASES = {
    "selection_rate": "flagged (selection rate)",
    "fpr": "flagged when they did not go on to have the outcome (false positive rate)",
    "fnr": "missed when they did go on to have the outcome (false negative rate)",
    "ppv": "found to have the outcome when flagged (PPV)",
}


def _num(x, digits: int = 2) -> str:
    """A number for a sentence; 'not defined' when there is none (never 'nan')."""
    return f"{x:.{digits}f}" if x is not None and np.isfinite(x) else "not defined"


def _ratio_text(row, pct: str) -> str:
    if not np.isfinite(row["estimate"]):
        why = "the reference's rate is 0" if "reference rate 0" in row["verdict"] else "no cases in one of the groups"
        return f"not defined ({why}; {pct} interval {_num(row['lower'])}–{_num(row['upper'])})"
    return f"{row['estimate']:.2f}× ({pct} interval {_num(row['lower'])}–{_num(row['upper'])})"


def _direction(k: float) -> str:
    """What a label-bias factor k means, in words."""
    if k >= 1:
        return f"over-count true outcomes by a factor of {k:.2f} ({k - 1:.0%} more records than outcomes)"
    return f"under-count true outcomes by a factor of {k:.2f} ({1 - k:.0%} of them unrecorded)"


def label_bias_sentences(audit: Audit, lb: LabelBias, metrics=("fpr", "fnr", "ppv")) -> list[str]:
    """For each disparity called outside tolerance: its range under the stated label bias, whether parity is
    possible within that range, and the factor at which parity first becomes possible (possible, not certain).

    The two statements are made to agree: when parity is not possible within the stated range, the
    factor at which it first becomes possible lies beyond that range (tested)."""
    ref = audit.reference
    d = audit.disparities[audit.disparities["scale"] == "ratio"].set_index(["metric", "group"])
    ld = lb.disparities[lb.disparities["scale"] == "ratio"].set_index(["metric", "group"])
    tip = lb.tipping.set_index(["metric", "group"])
    out = []
    for metric in metrics:
        for grp in audit.group_names:
            if grp == ref or (metric, grp) not in d.index or d.loc[(metric, grp), "verdict"] != "outside":
                continue
            r, t = ld.loc[(metric, grp)], tip.loc[(metric, grp)]
            lo_g, hi_g = lb.ranges[grp]
            span = f"{_num(r['low'])} to {_num(r['high'])}" if np.isfinite(r["high"]) else f"{_num(r['low'])} upwards (no upper limit)"
            text = f"the {LABELS[metric]} ratio for '{grp}' could lie anywhere from {span}"
            k = t["nearest_k"]
            inside = np.isfinite(k) and lo_g <= k <= hi_g
            if r["parity_possible"]:
                text += (", so parity is possible within the stated range: the disparity could come from how outcomes "
                         "are recorded rather than from the tool")
                if np.isfinite(k):
                    text += f"; it first becomes possible if recorded outcomes in '{grp}' alone {_direction(k)}"
            else:
                text += ", so parity is not possible within the stated range"
                if np.isfinite(k) and not inside:
                    text += (f"; parity would first become possible (possible, not certain) only if recorded outcomes in "
                             f"'{grp}' alone {_direction(k)}, beyond that range")
                elif not np.isfinite(k):
                    text += f"; no factor up to {t['beyond'].replace('more than ', '')} in '{grp}' alone would make parity possible"
            out.append(text)
    return out


def disagreement_sentence(audit: Audit, metrics=tuple(_PHRASES)) -> str | None:
    """One sentence explaining every disparity whose ratio and difference verdicts disagree (both are true)."""
    d = audit.disparities.set_index(["metric", "group", "scale"])
    est = audit.groups
    lo_b, hi_b = audit.settings["ratio_band"]
    band = audit.settings["difference_band"]
    parts = []
    for metric in metrics:
        for grp in audit.group_names:
            if grp == audit.reference or (metric, grp, "ratio") not in d.index:
                continue
            rv, dv = d.loc[(metric, grp, "ratio"), "verdict"], d.loc[(metric, grp, "difference"), "verdict"]
            if {rv, dv} != {"outside", "within"}:
                continue
            g, r = est.loc[grp, metric], est.loc[audit.reference, metric]
            ratio, diff = d.loc[(metric, grp, "ratio"), "estimate"], d.loc[(metric, grp, "difference"), "estimate"]
            why = ("both rates are small, so a gap of a few points is a large proportion" if rv == "outside"
                   else "both rates are large, so a gap of several points is a small proportion")
            parts.append(f"{LABELS[metric]} for '{grp}' ({g:.3f} against {r:.3f}) is a ratio of {_num(ratio)}, clearly "
                         f"{rv} {lo_b:g}–{hi_b:g}, but a difference of {diff:+.3f}, clearly {dv} ±{band:g}: {why}")
    if not parts:
        return None
    return ("The ratio and the difference can give different verdicts, and both are true: " + "; ".join(parts)
            + ". Which one matters is a choice to make and state before looking: a ratio for rare events, "
            "a difference for how many families are affected.")


def plain_summary(audit: Audit, lb: LabelBias | None = None, intervention: str | None = None) -> list[str]:
    """The findings in sentences an analyst can read out, most important first; every number from the audit."""
    s, ref = audit.settings, audit.reference
    pct = f"{s['interval']:.0%}"
    lo_b, hi_b = s["ratio_band"]
    g = audit.groups
    out = [f"This audit covers {s['rows']:,} referrals in {len(g)} groups (by {' and '.join(s['group_columns'])}). "
           f"{_how_flagged(s).capitalize()}. The recorded outcome is '{s['outcome_column']}'. Every disparity is "
           f"measured against '{ref}' ({int(g.loc[ref, 'n']):,} referrals), the reference group the analyst named. "
           f"A ratio between {lo_b:g} and {hi_b:g} is treated as tolerable; 'clearly outside' means a posterior "
           f"probability of at least {s['decisive']:.0%} that the ratio lies above that band, or at least "
           f"{s['decisive']:.0%} that it lies below it, and 'clearly within' at least {s['decisive']:.0%} that it "
           "lies inside.", DEFINITIONS]
    d = audit.disparities[audit.disparities["scale"] == "ratio"].set_index(["metric", "group"])
    for metric, phrase in _PHRASES.items():
        outside, unclear = [], []
        for grp in audit.group_names:
            if grp == ref or (metric, grp) not in d.index:
                continue
            row = d.loc[(metric, grp)]
            text = f"'{grp}' {_ratio_text(row, pct)}"
            if row["verdict"] == "outside":
                outside.append(text)
            elif row["verdict"].startswith("cannot tell"):
                unclear.append(text + (", no cases" if "no cases" in row["verdict"] else ""))
        if outside:
            out.append(f"Clearly outside tolerance — how often families are {phrase}, compared with '{ref}': "
                       + "; ".join(outside) + ".")
        if unclear:
            out.append(f"The data cannot tell whether these are within tolerance — how often families are {phrase}: "
                       + "; ".join(unclear) + ".")
    clear = d[(d["verdict"] == "within")].reset_index()
    clear = clear[clear["metric"].isin(_PHRASES)]
    if len(clear):
        out.append("Clearly within tolerance: " + "; ".join(f"{LABELS[m]} for '{grp}'" for m, grp in zip(clear["metric"], clear["group"])) + ".")
    both = disagreement_sentence(audit)
    if both:
        out.append(both)
    imp = audit.impossibility
    p = imp["base_rate"]
    if p.max() - p.min() > 1e-9:
        need = imp["fpr_if_equal_ppv"].drop(ref)
        sensible = need.index[need.between(0, 1)]  # a rate: never 'an FPR of inf' (NaN and inf fall outside)
        gap = (imp.loc[sensible, "fpr_if_equal_ppv"] - imp.loc[sensible, "fpr"]).abs().dropna()
        digits = 2 if f"{p.min():.2f}" != f"{p.max():.2f}" else 4  # never 'differ (0.21 to 0.21)'
        text = (f"Recorded base rates differ ({p.min():.{digits}f} to {p.max():.{digits}f}), so no tool — this one or any other — "
                "can give these groups equal PPV and equal false positive and false negative rates at once "
                "(Chouldechova's identity, checked on these counts).")
        if len(gap) and np.isfinite(imp.loc[ref, "ppv"]):
            worst = gap.idxmax()
            text += (f" For example, with PPV equal to '{ref}' ({imp.loc[ref, 'ppv']:.2f}) and its own FNR, '{worst}' would "
                     f"need an FPR of {imp.loc[worst, 'fpr_if_equal_ppv']:.2f} (now {imp.loc[worst, 'fpr']:.2f}).")
        out.append(text + " Which parity to seek depends on what the flag leads to (see below).")
    if intervention == "punitive":
        out.append(PUNITIVE)
    elif intervention == "assistive":
        out.append(ASSISTIVE)
    if lb is not None:
        fragile = label_bias_sentences(audit, lb)
        ranges = sorted({v for k, v in lb.ranges.items() if k != ref})
        span = ", ".join(f"{a:g}–{b:g}" for a, b in ranges)
        r_lo, r_hi = lb.ranges[ref]
        as_ref = "recorded as it happened" if r_lo == r_hi == 1 else f"in {r_lo:g}–{r_hi:g}"
        text = ("All of the above takes the recorded outcome as the truth. It is contact with services, which depends on "
                f"who is watched. If recorded outcomes in each group could be inflated or deflated by a factor in {span} "
                f"(the stated range; reference '{ref}' {as_ref}), the selection rate does not move, but error rates do")
        out.append(text + (": " + "; ".join(fragile) + "." if fragile else "; see the label-bias section for each rate's range."))
    if audit.notes:
        out.append("Check the data notes below: " + str(len(audit.notes)) + " thing(s) about the input need attention.")
    return out


def _rates_rows(audit: Audit) -> list[dict]:
    rows = []
    r = audit.rates.set_index(["group", "metric"])
    for grp in audit.group_names:
        row = {"group": grp, "n": int(audit.groups.loc[grp, "n"]), "reference": grp == audit.reference, "cells": {}}
        for m in RATES:
            x = r.loc[(grp, m)]
            row["cells"][m] = dict(text=_with_interval(x["estimate"], x["lower"], x["upper"]), note=x["note"])
        if audit.settings["has_score"]:
            gr = audit.groups.loc[grp]
            row["cells"]["auc"] = dict(text=_with_interval(gr["auc"], gr["auc_lower"], gr["auc_upper"]),
                                       note=("binned scores: may be off by up to " + _fmt(gr["auc_binning_error"], 4))
                                       if gr["auc_binning_error"] > 0 else "")
        rows.append(row)
    return rows


#: Column names as a person reads them in the report's tables (the CSV files keep the short names).
HEADERS = {
    "group": "group", "metric": "rate", "scale": "compared as", "estimate": "estimate", "lower": "interval from",
    "upper": "interval to", "p_outside": "chance outside tolerance", "p_below": "chance below tolerance",
    "p_above": "chance above tolerance", "verdict": "verdict",
    "base_rate": "share with the outcome (base rate)", "ppv": "PPV", "fnr": "FNR", "fpr": "FPR",
    "fpr_from_identity": "FPR from the identity", "fpr_if_equal_ppv": "FPR needed for the reference's PPV",
    "fnr_if_equal_ppv_and_fpr": "FNR needed for the reference's PPV and FPR",
    "band_label": "score band", "n": "referrals", "positives": "with the outcome", "mean_score": "mean score",
    "rate": "share with the outcome",
    "factor_low": "factor from", "factor_high": "factor to", "recorded": "as recorded", "low": "lowest possible",
    "high": "highest possible", "low_if_unrelated": "lowest, if unrelated to the flag",
    "high_if_unrelated": "highest, if unrelated to the flag", "low_interval": "lowest, with sampling uncertainty",
    "high_interval": "highest, with sampling uncertainty", "parity_possible": "parity possible in the stated range?",
    "factor": "factor at which parity first becomes possible",
    "factor_up": "over-recording factor at which parity first becomes possible",
    "factor_down": "under-recording factor at which parity first becomes possible",
}


#: More plain names, for the tables a notebook shows (the report's tables use HEADERS alone).
_MORE_HEADERS = {
    "share": "share of referrals", "tp": "flagged, had the outcome", "fp": "flagged, no outcome",
    "fn": "not flagged, had the outcome", "tn": "not flagged, no outcome", "selection_rate": "selection rate",
    "auc_lower": "AUC interval from", "auc_upper": "AUC interval to", "auc_binning_error": "AUC binning error",
    "reference": "reference group?", "informative": "has cases?", "k": "count", "m": "out of",
    "nearest_k": "nearest factor", "beyond": "if none, searched up to", "band_low": "tolerance from",
    "band_high": "tolerance to", "risk_score": "risk score", "re_referred": "re-referred", "true_harm": "true harm",
    "score_low": "lowest score", "score_high": "highest score",
}


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """A table with the headings a person reads: plain words for column names and rate codes (values untouched)."""
    names = {**{m: LABELS[m] for m in LABELS}, **_MORE_HEADERS, **HEADERS}
    t = table.copy()

    def plain(index):
        if isinstance(index, pd.MultiIndex):
            return pd.MultiIndex.from_tuples([tuple(names.get(v, v) for v in tup) for tup in index],
                                             names=[names.get(n, n) for n in index.names])
        return pd.Index([names.get(v, v) if isinstance(v, str) else v for v in index], name=names.get(index.name, index.name))

    if "metric" in t.columns:
        t["metric"] = t["metric"].map(lambda v: LABELS.get(v, v))
    t.columns = plain(t.columns)
    t.index = pd.MultiIndex.from_tuples(list(t.index), names=[names.get(n, n) for n in t.index.names]) \
        if isinstance(t.index, pd.MultiIndex) else t.index.rename(names.get(t.index.name, t.index.name))
    return t


def _identity_error(imp: pd.DataFrame) -> str:
    err = np.abs(imp["fpr"] - imp["fpr_from_identity"]).to_numpy(dtype=float)
    err = err[np.isfinite(err)]
    return f"{err.max():.1e}" if err.size else "not defined: no group has both flagged and unflagged families with and without the outcome"


def _table_html(df: pd.DataFrame, digits: int = 3) -> str:
    """A table for people: plain column names, yes/no for true/false, '–' for a number that is not defined."""
    df = _finite_table(df).rename(columns=HEADERS)
    for c in df.columns:
        if df[c].dtype == bool:
            df[c] = df[c].map({True: "yes", False: "no"})
    return df.to_html(index=False, float_format=lambda v: f"{v:.{digits}f}", na_rep="–", border=0, classes="data")


def _figures(audit: Audit, lb: LabelBias, plots, figure_to_data_uri) -> dict[str, str]:
    """The report's figures as PNG data URIs, made at the resolution they are saved at so the text
    layouts found while laying them out are the ones used to draw them (see decide._html)."""
    s, ref = audit.settings, audit.reference
    figures = {
        "forest": figure_to_data_uri(plots.forest(audit.disparities, reference=ref, interval=s["interval"],
                                                  metrics=[m for m in plots.KEY_METRICS if m != "auc" or s["has_score"]])),
        "rates": figure_to_data_uri(plots.rates_by_group(audit.rates, reference=ref, interval=s["interval"])),
        "impossibility": figure_to_data_uri(plots.impossibility(audit.impossibility, reference=ref)),
        "label_bias": figure_to_data_uri(plots.label_bias(lb.disparities, reference=ref)),
    }
    if s["has_score"] and len(audit.calibration):
        # the axis says "the recorded outcome", not the column's name (the report's text says which column it is)
        figures["calibration"] = figure_to_data_uri(plots.calibration(audit.calibration, probability=s["score_is_probability"],
                                                                      interval=s["interval"]))
    return figures


def report_html(audit: Audit, lb: LabelBias, *, title: str | None = None, intervention: str | None = None,
                command: str | None = None) -> str:
    """The whole report as one HTML string (figures embedded as PNG data URIs)."""
    import matplotlib

    from decide import __version__
    from decide._html import FIGURE_DPI, figure_to_data_uri, quick_text, render
    from decide.plots import audit as plots

    s, ref = audit.settings, audit.reference
    with matplotlib.rc_context({"figure.dpi": FIGURE_DPI}), quick_text():
        figures = _figures(audit, lb, plots, figure_to_data_uri)
    disp = audit.disparities.copy()
    disp["metric"] = disp["metric"].map(LABELS)
    disp = disp[["group", "metric", "scale", "estimate", "lower", "upper", "p_below", "p_above", "verdict"]]
    imp = audit.impossibility.reset_index()
    lbr = lb.rates.copy()
    lbr["metric"] = lbr["metric"].map(LABELS)
    lbd = lb.disparities[lb.disparities["scale"] == "ratio"].merge(lb.tipping, on=["group", "metric"], how="left")
    lbd["metric"] = lbd["metric"].map(LABELS)
    cal = audit.calibration[["group", "band_label", "n", "positives", "mean_score", "rate", "lower", "upper"]] if len(audit.calibration) else None
    a, b = s["prior_ab"]
    return render(
        "audit.html",
        title=title or f"Risk-tool audit: {Path(s['source']).name}",
        summary=plain_summary(audit, lb, intervention),
        settings=s, reference=ref, how_flagged=_how_flagged(s), prior_text=f"Beta({a:g}, {b:g}) ({s['prior']})",
        interval_pct=f"{s['interval']:.0%}", notes=audit.notes, figures=figures,
        metric_names=[(m, LABELS[m], RATES[m][2]) for m in RATES] + ([("auc", "AUC", "chance a random family with the outcome "
                                                                        "scores higher than one without (0.5 = no better than chance)")] if s["has_score"] else []),
        rate_rows=_rates_rows(audit),
        disparities_html=_table_html(disp),
        impossibility_html=_table_html(imp[["group", "base_rate", "ppv", "fnr", "fpr", "fpr_from_identity", "fpr_if_equal_ppv",
                                            "fnr_if_equal_ppv_and_fpr"]]),
        identity_max_error_text=_identity_error(imp), definitions=DEFINITIONS,
        calibration_html=_table_html(cal) if cal is not None else None,
        label_bias_ranges=[(g, lo, hi) for g, (lo, hi) in lb.ranges.items()],
        label_bias_rates_html=_table_html(lbr[["group", "metric", "factor_low", "factor_high", "recorded", "low", "high",
                                               "low_if_unrelated", "high_if_unrelated", "low_interval", "high_interval"]]),
        label_bias_disp_html=_table_html(lbd[["group", "metric", "recorded", "low", "high", "low_if_unrelated", "high_if_unrelated",
                                              "low_interval", "high_interval", "parity_possible", "factor_up", "factor_down"]]),
        punitive=PUNITIVE, assistive=ASSISTIVE, intervention=intervention,
        command=command, version=__version__,
    )


#: The tables written beside the report, by file-name suffix.
TABLE_NAMES = ("groups", "rates", "disparities", "calibration", "impossibility", "counts", "label_bias_rates",
               "label_bias_disparities", "label_bias_tipping")


def output_paths(out, csv: bool = True) -> list[Path]:
    """Every file `decide audit` writes: the report first, then one CSV per table beside it."""
    given, out = str(out), Path(out)
    if not out.name:  # -o '' or -o . (Path('') is '.', which has no name to put the tables' names beside)
        raise DecideError(f"-o {given!r} is not a file name: -o needs a file name for the report, e.g. -o audit.html")
    return [out] + ([out.with_name(f"{out.stem}_{name}.csv") for name in TABLE_NAMES] if csv else [])


def _finite_table(table: pd.DataFrame) -> pd.DataFrame:
    """Infinite numbers (a ratio to a rate of 0) become missing: 'not defined', never 'inf'; so does empty text."""
    table = table.copy()
    num = table.select_dtypes("number").columns
    if len(num):
        table[num] = table[num].replace([np.inf, -np.inf], np.nan)
    for c in table.columns:
        if _is_text(table[c]):
            table[c] = table[c].mask(table[c].map(lambda v: isinstance(v, str) and not v.strip()))
    return table


def _is_text(column: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(column.dtype) or pd.api.types.is_string_dtype(column.dtype)


def _one_line_text(table: pd.DataFrame) -> pd.DataFrame:
    """Line breaks inside text become spaces: a spreadsheet may start a new row (and read a formula) at a bare CR."""
    table = table.copy()
    for c in table.columns:
        if _is_text(table[c]):
            table[c] = table[c].map(lambda v: " ".join(v.splitlines()) if isinstance(v, str) else v)
    table.columns = [" ".join(str(c).splitlines()) for c in table.columns]
    return table


def write_report(audit: Audit, lb: LabelBias, out, *, force: bool = False, csv: bool = True, inputs=(), **kw) -> list[Path]:
    """Write the HTML report and, beside it, one CSV per table (OUT_groups.csv, OUT_disparities.csv, ...).

    Every path is checked before anything is written (an input is never overwritten, even with
    ``force``), and every CSV is spreadsheet-safe: text that a spreadsheet would run as a formula
    is neutralised, numbers are untouched, and a value that is not defined is an empty cell.
    """
    from decide._html import write_new
    from decide.files import plan_outputs, safe_csv

    paths = plan_outputs(output_paths(out, csv), inputs=inputs, force=force)
    texts = [report_html(audit, lb, **kw)]
    if csv:
        tables = dict(audit.tables(), label_bias_rates=lb.rates, label_bias_disparities=lb.disparities, label_bias_tipping=lb.tipping)
        # Missing (not defined) is written NA, as R and pandas read it; never 'nan' or 'inf'.
        texts += [safe_csv(_one_line_text(_finite_table(tables[name])), index=False, na_rep="NA") for name in TABLE_NAMES]
    return [write_new(path, text, force=force) for path, text in zip(paths, texts)]
