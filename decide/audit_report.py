"""The audit report: a plain-language summary first, then one self-contained HTML page (figures
embedded, no network) and CSV tables; and the `decide audit` command that writes them.
"""

from __future__ import annotations

import shlex
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from decide.audit import LABELS, RATES, Audit, LabelBias, audit_counts, count_rows, read_referrals
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


def plain_summary(audit: Audit, lb: LabelBias | None = None, intervention: str | None = None) -> list[str]:
    """The findings in sentences an analyst can read out, most important first."""
    s, ref = audit.settings, audit.reference
    pct = f"{s['interval']:.0%}"
    lo_b, hi_b = s["ratio_band"]
    g = audit.groups
    out = [f"This audit covers {s['rows']:,} referrals in {len(g)} groups (by {' and '.join(s['group_columns'])}). "
           f"{_how_flagged(s).capitalize()}. The recorded outcome is '{s['outcome_column']}'. Every disparity is "
           f"measured against '{ref}' ({int(g.loc[ref, 'n']):,} referrals), the reference group the analyst named. "
           f"A ratio between {lo_b:g} and {hi_b:g} is treated as tolerable; 'clearly' means a posterior probability of "
           f"at least {s['decisive']:.0%}."]
    d = audit.disparities[audit.disparities["scale"] == "ratio"].set_index(["metric", "group"])
    phrases = {
        "selection_rate": "flagged",
        "fpr": "flagged when they did not go on to have the outcome (false positive rate)",
        "fnr": "missed when they did go on to have the outcome (false negative rate)",
        "ppv": "found to have the outcome when flagged (PPV)",
    }
    for metric, phrase in phrases.items():
        outside, unclear = [], []
        for grp in audit.group_names:
            if grp == ref or (metric, grp) not in d.index:
                continue
            row = d.loc[(metric, grp)]
            text = f"'{grp}' {row['estimate']:.2f}× ({pct} interval {row['lower']:.2f}–{row['upper']:.2f})"
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
    clear = clear[clear["metric"].isin(phrases)]
    if len(clear):
        out.append("Clearly within tolerance: " + "; ".join(f"{LABELS[m]} for '{grp}'" for m, grp in zip(clear["metric"], clear["group"])) + ".")
    imp = audit.impossibility
    p = imp["base_rate"]
    if p.max() - p.min() > 1e-9:
        gap = (imp["fpr_if_equal_ppv"] - imp["fpr"]).drop(ref).abs().dropna()
        text = (f"Recorded base rates differ ({p.min():.2f} to {p.max():.2f}), so no tool — this one or any other — "
                "can give these groups equal PPV and equal false positive and false negative rates at once "
                "(Chouldechova's identity, checked on these counts).")
        if len(gap):
            worst = gap.idxmax()
            text += (f" For example, with PPV equal to '{ref}' ({imp.loc[ref, 'ppv']:.2f}) and its own FNR, '{worst}' would "
                     f"need an FPR of {imp.loc[worst, 'fpr_if_equal_ppv']:.2f} (now {imp.loc[worst, 'fpr']:.2f}).")
        out.append(text + " Which parity to seek depends on what the flag leads to (see below).")
    if intervention == "punitive":
        out.append(PUNITIVE)
    elif intervention == "assistive":
        out.append(ASSISTIVE)
    if lb is not None:
        ld = lb.disparities[lb.disparities["scale"] == "ratio"].set_index(["metric", "group"])
        tip = lb.tipping.set_index(["metric", "group"])
        fragile = []
        for metric in ("fpr", "fnr", "ppv"):
            for grp in audit.group_names:
                if grp == ref or (metric, grp) not in d.index or d.loc[(metric, grp), "verdict"] != "outside":
                    continue
                r = ld.loc[(metric, grp)]
                f = tip.loc[(metric, grp), "factor"]
                when = (f"a surveillance factor of {f:.2f} (or {1 / f:.2f}) in '{grp}' alone would be enough to make it vanish"
                        if np.isfinite(f) else "no factor up to 3 in that group alone would make it vanish")
                fragile.append(f"the {LABELS[metric]} ratio for '{grp}' could lie anywhere from {r['low']:.2f} to {r['high']:.2f} "
                               f"({'parity possible' if r['parity_possible'] else 'parity not possible'}); {when}")
        ranges = sorted({v for k, v in lb.ranges.items() if k != ref})
        span = ", ".join(f"{a:g}–{b:g}" for a, b in ranges)
        text = ("All of the above takes the recorded outcome as the truth. It is contact with services, which depends on "
                f"who is watched. If recorded outcomes in each group could be inflated or deflated by a factor in {span} "
                f"(reference '{ref}' recorded as it happened), the selection rate does not move, but error rates do")
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


def _table_html(df: pd.DataFrame, digits: int = 3) -> str:
    return df.to_html(index=False, float_format=lambda v: f"{v:.{digits}f}", na_rep="–", border=0, classes="data")


def report_html(audit: Audit, lb: LabelBias, *, title: str | None = None, intervention: str | None = None,
                command: str | None = None) -> str:
    """The whole report as one HTML string (figures embedded as PNG data URIs)."""
    from decide import __version__
    from decide._html import figure_to_data_uri, render
    from decide.plots import audit as plots

    s, ref = audit.settings, audit.reference
    figures = {
        "forest": figure_to_data_uri(plots.forest(audit.disparities, reference=ref, interval=s["interval"],
                                                  metrics=[m for m in plots.KEY_METRICS if m != "auc" or s["has_score"]])),
        "rates": figure_to_data_uri(plots.rates_by_group(audit.rates, reference=ref, interval=s["interval"])),
        "impossibility": figure_to_data_uri(plots.impossibility(audit.impossibility, reference=ref)),
        "label_bias": figure_to_data_uri(plots.label_bias(lb.disparities, reference=ref)),
    }
    if s["has_score"] and len(audit.calibration):
        figures["calibration"] = figure_to_data_uri(plots.calibration(audit.calibration, probability=s["score_is_probability"],
                                                                      interval=s["interval"], outcome=s["outcome_column"]))
    disp = audit.disparities.copy()
    disp["metric"] = disp["metric"].map(LABELS)
    disp = disp[["group", "metric", "scale", "estimate", "lower", "upper", "p_outside", "verdict"]]
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
        identity_max_error=float(np.nanmax(np.abs(imp["fpr"] - imp["fpr_from_identity"]))),
        calibration_html=_table_html(cal) if cal is not None else None,
        label_bias_ranges=[(g, lo, hi) for g, (lo, hi) in lb.ranges.items()],
        label_bias_rates_html=_table_html(lbr[["group", "metric", "factor_low", "factor_high", "recorded", "low", "high",
                                               "low_if_unrelated", "high_if_unrelated", "low_interval", "high_interval"]]),
        label_bias_disp_html=_table_html(lbd[["group", "metric", "recorded", "low", "high", "low_if_unrelated", "high_if_unrelated",
                                              "low_interval", "high_interval", "parity_possible", "factor"]]),
        punitive=PUNITIVE, assistive=ASSISTIVE, intervention=intervention,
        command=command, version=__version__,
    )


def write_report(audit: Audit, lb: LabelBias, out, *, force: bool = False, csv: bool = True, **kw) -> list[Path]:
    """Write the HTML report and, beside it, one CSV per table (OUT_groups.csv, OUT_disparities.csv, ...)."""
    from decide._html import write_new

    out = Path(out)
    written = []
    if csv:
        tables = dict(audit.tables(), label_bias_rates=lb.rates, label_bias_disparities=lb.disparities, label_bias_tipping=lb.tipping)
        for name, table in tables.items():
            path = out.with_name(f"{out.stem}_{name}.csv")
            written.append(write_new(path, table.to_csv(index=False), force=force))
    written.insert(0, write_new(out, report_html(audit, lb, **kw), force=force))
    return written


# ----------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------


def _label_bias_spec(specs: list[str] | None, default=(0.8, 1.25)):
    """--label-bias LO:HI (every group but the reference) and/or GROUP=LO:HI (one group)."""
    ranges, all_groups = {}, default
    for spec in specs or []:
        group, _, rng = spec.rpartition("=")
        try:
            lo, hi = (float(v) for v in rng.split(":"))
        except ValueError:
            raise DecideError(f"--label-bias {spec!r}: write LOW:HIGH (e.g. 0.8:1.25) or GROUP=LOW:HIGH") from None
        if group:
            ranges[group.strip()] = (lo, hi)
        else:
            all_groups = (lo, hi)
    return ranges, all_groups


def cmd_audit(args) -> int:
    notes: list[str] = []
    groups = args.group
    if args.counts:
        table = read_referrals(args.data, [*groups, "flag", "outcome", "n"], optional=["score", "score_sum"],
                               delimiter=args.delimiter, encoding=args.encoding, string_columns=groups, notes=notes)
        counts = table
    else:
        needed = [c for c in [args.score, args.outcome, args.flag, *groups] if c]
        table = read_referrals(args.data, needed, delimiter=args.delimiter, encoding=args.encoding,
                               string_columns=groups, notes=notes)
        counts = count_rows(table, score=args.score, outcome=args.outcome, group=groups, threshold=args.threshold,
                            flag=args.flag, score_range=args.score_range, drop_missing=args.drop_missing,
                            source=str(args.data))
        counts.notes[:0] = notes
    result = audit_counts(counts, reference=args.reference, group=groups, prior=args.prior, interval=args.interval,
                          draws=args.draws, seed=args.seed, ratio_band=tuple(args.ratio_band),
                          difference_band=args.difference_band, decisive=args.decisive, bands=args.bands)
    if args.counts:
        result.settings.update(source=str(args.data), outcome_column="outcome")
        result.notes[:0] = notes
    ranges, default = _label_bias_spec(args.label_bias)
    lb = result.label_bias(ranges, default=default)
    for note in result.notes:
        print(f"decide audit: warning: {note}", file=sys.stderr)
    command = "decide audit " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if len(sys.argv) > 2 else None
    written = write_report(result, lb, args.output, force=args.force, csv=not args.no_csv,
                           intervention=args.intervention, title=args.title, command=command)
    for line in plain_summary(result, lb, args.intervention)[1:4]:
        print("- " + line)
    print(f"wrote {written[0]}" + (f" and {len(written) - 1} CSV tables beside it" if len(written) > 1 else ""))
    return 0


def register(subparsers) -> None:
    help_text = "audit a risk tool's scores for bias by group, with posterior intervals (HTML report + CSV tables)"
    p = subparsers.add_parser("audit", help=help_text, description=help_text + ". Example: decide audit "
                              "data/synthetic/referrals.csv --score risk_score --outcome re_referred --group deprivation "
                              "--threshold 0.3 --reference 'less deprived' -o audit.html")
    p.add_argument("data", help="CSV file: one row per referral (or, with --counts, a table of counts)")
    p.add_argument("--score", help="column holding the tool's score")
    p.add_argument("--outcome", help="column holding the recorded outcome, 0/1 (e.g. re-referral)")
    p.add_argument("--group", action="append", required=True, metavar="COLUMN",
                   help="column defining groups; repeat for intersections (e.g. --group deprivation --group area)")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--threshold", type=float, help="flag referrals with score >= T")
    how.add_argument("--flag", metavar="COLUMN", help="0/1 column holding the tool's flag or the decision")
    p.add_argument("--reference", required=True, metavar="GROUP",
                   help="the group every disparity is measured against (for several --group columns: 'a,b' or 'a / b')")
    p.add_argument("-o", "--output", required=True, help="the HTML report to write (CSV tables go beside it)")
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.add_argument("--no-csv", action="store_true", help="write only the HTML report")
    p.add_argument("--counts", action="store_true",
                   help="DATA is already counted: group column(s), flag, outcome, n and optionally score (e.g. from SQL)")
    p.add_argument("--intervention", choices=["punitive", "assistive"],
                   help="what the flag leads to: an investigation (punitive) or support (assistive); shapes the guidance")
    p.add_argument("--prior", choices=["jeffreys", "uniform"], default="jeffreys",
                   help="Beta prior on every rate: Jeffreys Beta(1/2,1/2) (default) or uniform Beta(1,1)")
    p.add_argument("--interval", type=float, default=0.9, help="posterior interval width (default 0.9)")
    p.add_argument("--draws", type=int, default=4000, help="Monte Carlo draws for disparities (default 4000)")
    p.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same numbers (default 1)")
    p.add_argument("--ratio-band", type=float, nargs=2, default=[0.8, 1.25], metavar=("LOW", "HIGH"),
                   help="tolerable range for ratios (default 0.8 1.25, the four-fifths rule both ways)")
    p.add_argument("--difference-band", type=float, default=0.05, metavar="D",
                   help="tolerable absolute difference in rates (default 0.05: five percentage points)")
    p.add_argument("--decisive", type=float, default=0.9,
                   help="posterior probability needed to call a disparity outside or within the band (default 0.9)")
    p.add_argument("--bands", type=int, default=10, help="number of score bands for calibration (default 10)")
    p.add_argument("--score-range", type=float, nargs=2, metavar=("LOW", "HIGH"),
                   help="the score's valid range (e.g. 0 1); scores outside it are an error")
    p.add_argument("--label-bias", action="append", metavar="[GROUP=]LOW:HIGH",
                   help="range of the surveillance factor on recorded outcomes: LOW:HIGH for every group but the "
                        "reference (default 0.8:1.25), GROUP=LOW:HIGH for one group; repeatable")
    p.add_argument("--drop-missing", action="store_true", help="leave out rows with an empty score, outcome or flag (reported)")
    p.add_argument("--delimiter", help="field separator (default: detected from the header)")
    p.add_argument("--encoding", help="file encoding (default utf-8; e.g. cp1252 for files from Excel on Windows)")
    p.add_argument("--title", help="title of the report")
    p.set_defaults(func=_run)


def _run(args) -> int:
    if not args.counts and not args.outcome:
        raise DecideError("name the recorded outcome column: --outcome COLUMN")
    if not args.counts and not args.score and args.threshold is not None:
        raise DecideError("--threshold needs the score column: --score COLUMN")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # notes are printed by cmd_audit, once
        return cmd_audit(args)
