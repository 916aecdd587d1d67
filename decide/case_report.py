"""The case report: one self-contained HTML page that a social worker and their manager can read.

It answers, in plain language first and numbers second: which option looks best and how sure
we are; what could change that; whether to decide now or find out more, and what waiting would
cost the child; and how sturdy the choice is to things nobody has identified. It also says what
the analysis does not do.

The content is assembled as data first (:func:`build_report` gives a :class:`CaseReport` of
tables and sentences, which tests and notebooks can read), then rendered (:func:`report_html`).
Every sentence is generated from the numbers, so a different case or seed gives a different,
still true, report. ``decide report CASE.yaml -o report.html`` writes it.
"""

from __future__ import annotations

import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from decide.errors import DecideError

#: Default simulation draws: enough for stable EVPPI regressions, quick enough (a few seconds).
DEFAULT_DRAWS = 20_000
DEFAULT_SEED = 1
#: Fewest draws the value-of-information regressions can work with honestly.
MIN_DRAWS = 2_000
#: Hidden odds ratios below this (either way) count as a small shift: the choice is fragile.
FRAGILE_ODDS = 1.5
#: ... and above this a large one: the choice is sturdy to a single unidentified factor.
STURDY_ODDS = 3.0
#: How many inputs the tornado figure shows.
TORNADO_ROWS = 8


@dataclass
class CaseReport:
    """Everything the case report shows, as tables and sentences (nothing rendered yet)."""

    decision: object  # decide.frame.Decision
    sim: object  # decide.simulate.Simulation
    source: str
    draws: int
    seed: int
    summary: pd.DataFrame  # decide.compare.summary
    outcomes: pd.DataFrame  # decide.compare.outcome_table
    tornado: pd.DataFrame
    threshold: object  # decide.compare.Threshold for the most influential input
    weight_switches: pd.DataFrame  # harm weights at which the preferred option changes
    acceptability: pd.DataFrame
    evppi: pd.DataFrame  # decide.information.evppi_table (attrs: evpi, evpi_se)
    enquiries: pd.DataFrame  # decide.information.enquiries_table (may be empty)
    delay_harm_per_week: float | None  # expected harm of one week's wait (points), if the case says
    margins: pd.DataFrame  # decide.robustness.robustness_margins
    regret: object  # decide.robustness.Regret over the case's scenarios (plus 'as judged')
    two_way: object | None  # decide.robustness.TwoWay over the two unknowns that matter most
    sources: pd.DataFrame  # each cited source, what it bears on, and its S/V status
    sections: dict[str, list[str]] = field(default_factory=dict)  # plain-language summary, by question
    seconds: float = 0.0

    @property
    def preferred(self) -> str:
        return str(self.summary["expected_value"].idxmax())


# --- words -----------------------------------------------------------------------------------------


def _pct(p: float) -> str:
    return f"{p:.0%}"


def _num(x: float, digits: int = 1) -> str:
    return f"{x:.{digits}f}"


def _times(ratio: float) -> str:
    """An odds ratio as 'N times' in the direction it acts (0.5 -> '2.0 times', as a fall)."""
    r = ratio if ratio >= 1 else 1 / ratio
    return f"{r:.2f} times" if r < 10 else f"{r:.0f} times"


_SMALL = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def _word(n: int) -> str:
    """A small count in words ('none', 'one', ... 'ten'), larger ones in figures."""
    return ("none" if n == 0 else _SMALL[n]) if 0 <= n < len(_SMALL) else str(n)


def _count(n: int, noun: str) -> str:
    """'seven inputs', 'one input', '12 inputs'."""
    word = _SMALL[n] if 0 <= n < len(_SMALL) else str(n)
    return f"{word} {noun}{'' if n == 1 else 's'}"


def how_sure(p: float) -> str:
    """How sure a probability of being best lets us be, in words (with the UK yardstick term)."""
    from decide.review import in_words

    return in_words(p)


def sturdiness(odds_ratio: float) -> str:
    """How big a hidden odds ratio is, in words."""
    r = odds_ratio if odds_ratio >= 1 else 1 / odds_ratio
    if r < FRAGILE_ODDS:
        return (f"a small shift (under {FRAGILE_ODDS:g} times): the choice is fragile to something nobody has "
                "identified, and should be held loosely")
    if r < STURDY_ODDS:
        return (f"a moderate shift ({FRAGILE_ODDS:g} to {STURDY_ODDS:g} times): an unidentified factor of the size "
                "of the known ones could change the choice")
    return (f"a large shift (over {STURDY_ODDS:g} times, bigger than most single risk or protective factors): "
            "the choice is sturdy to one unidentified factor of that kind")


def margin_sentence(row: pd.Series, preferred: str) -> str:
    """One robustness margin (a row of robustness_margins) as a sentence starting 'a hidden factor ...'."""
    ratio = float(row["odds_ratio"])
    to, option = row["switches_to"], row["option"]
    if row["scope"] == "whole option":
        better = row["change"] != "worse"
        what = (f"make '{option}' {'better' if better else 'worse'} all round (the odds of each of its harms "
                f"{_times(ratio)} {'lower' if better else 'higher'} and of each benefit {_times(ratio)} "
                f"{'higher' if better else 'lower'})")
    else:
        where = (f"'{row['outcome']}' under every option that has it" if row["scope"] == "outcome everywhere"
                 else f"'{row['outcome']}' under '{option}'")
        what = f"{'raise' if ratio > 1 else 'lower'} the odds of {where} by {_times(ratio)}"
        if np.isfinite(row["chance_at_switch"]):
            what += f" (its chance from about {_pct(row['chance_now'])} to {_pct(row['chance_at_switch'])})"
    then = (f"it would be preferred to '{preferred}'" if to == option
            else f"'{to}' would be preferred to '{preferred}'")
    return f"a hidden factor would have to {what} before {then}. That is {sturdiness(ratio)}."


def _delay_harm_mean(value) -> float | None:
    """Expected harm of one week's wait, from a number or a judgement (None if the case is silent)."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    return float(value.to_distribution("magnitude", (0.0, None)).mean())


def _describe(sim, name: str) -> str:
    return sim.model.labels.get(name, name) or name


def _sources(decision) -> pd.DataFrame:
    """Each cited source in the case: what it bears on, and whether it was seen first-hand."""
    rows = []
    for e in decision.known:
        rows.append({"source": e.source, "what": e.what, "bears on": ", ".join(e.informs) or "(not used as a number)",
                     "reliability": e.reliability, "record": not e.informs})
    for q in decision.quantities:
        if q.source:
            rows.append({"source": q.source, "what": q.description or q.name, "bears on": q.name, "reliability": "",
                         "record": False})
    for f in decision.factors:
        if f.source:
            rows.append({"source": f.source, "what": f.description or f.name, "bears on": f.name, "reliability": "",
                         "record": False})
    out = pd.DataFrame(rows, columns=["source", "what", "bears on", "reliability", "record"])
    # the case files' convention: '(S' marks a figure seen only in a secondary source quoting it
    out["status"] = ["S: seen only in a secondary source quoting it" if "(S" in src
                     else "background: not used as a number here (not marked secondary)" if rec
                     else "V: not marked secondary, so seen in the named source" for src, rec in zip(out["source"], out["record"])]
    return out.drop(columns="record")


# --- assembling ------------------------------------------------------------------------------------


def build_report(decision, draws: int = DEFAULT_DRAWS, seed: int = DEFAULT_SEED, source: str = "case") -> CaseReport:
    """Simulate the case and compute everything the report shows (seeded: same seed, same report)."""
    from decide import compare, information, robustness
    from decide.compare import harm_weight_switches as weight_switches
    from decide.simulate import simulate

    if not isinstance(draws, int | np.integer) or draws < MIN_DRAWS:
        raise DecideError(f"--draws must be a whole number of at least {MIN_DRAWS} (the value-of-information "
                          f"regressions need them), got {draws!r}; the default is {DEFAULT_DRAWS}")
    start = time.perf_counter()
    sim = simulate(decision, int(draws), seed=seed)
    summ = compare.summary(sim)
    tor = compare.tornado(sim)
    top = tor["quantity"].iloc[0]
    thr = compare.threshold(sim, top)
    low, high = decision.values.harm_weight_range
    sw = weight_switches(summ, low, high)
    acc = compare.acceptability(sim)
    evppi = information.evppi_table(sim, seed=seed)
    if decision.enquiries and decision.delay_harm_per_week is not None:
        enq = information.enquiries_table(sim, decision.enquiries, decision.delay_harm_per_week, seed=seed)
    else:
        enq = pd.DataFrame()
    margins = robustness.robustness_margins(sim)
    regret = robustness.scenario_regret(sim, decision.scenarios)
    # the two-way map: the two unknowns worth most to learn; if none is worth anything on its
    # own, the two the choice is most sensitive to
    ranked = evppi.loc[~evppi["group"] & (evppi["evppi"] > 0), "name"].tolist()
    pair = (ranked + [q for q in tor["quantity"] if q not in ranked])[:2]
    tw = robustness.two_way(sim, pair[0], pair[1], n=31) if len(pair) == 2 else None
    report = CaseReport(decision, sim, source, int(draws), seed, summ, compare.outcome_table(sim), tor, thr, sw, acc,
                        evppi, enq, _delay_harm_mean(decision.delay_harm_per_week), margins, regret, tw,
                        _sources(decision))
    report.sections = plain_summary(report)
    report.seconds = time.perf_counter() - start
    return report


def plain_summary(r: CaseReport) -> dict[str, list[str]]:
    """The report's first section: four questions, each answered in a few sentences."""
    d, s = r.decision, r.summary
    best = r.preferred
    order = s["expected_value"].sort_values(ascending=False)
    runner = order.index[1]
    p = float(s.loc[best, "probability_best"])
    pct = f"{s.attrs['interval']:.0%}"
    looks = [
        (f"On these judgements, '{best}' looks best for the child: its expected net value (benefits minus weighted harms, "
        f"on the case's 0-100 point scale) is {_num(s.loc[best, 'expected_value'])} points ({pct} interval "
        f"{_num(s.loc[best, 'lower'])} to {_num(s.loc[best, 'upper'])}), {_num(order.iloc[0] - order.iloc[1])} points "
        f"ahead of '{runner}'."),
        f"How sure can we be? '{best}' comes out best in {_pct(p)} of the {r.draws:,} possible worlds simulated; in the "
        f"words of the UK probability yardstick, {how_sure(p)}. In the other {_pct(1 - p)}, another option would be better "
        + "(" + "; ".join(f"'{o}' {_pct(s.loc[o, 'probability_best'])}" for o in order.index[1:]) + ").",
    ]
    if (s["expected_value"] < 0).all():
        looks.append("Every option carries more expected harm than benefit. That is not a reason to do nothing: "
                     "staying as things are is one of the options, with harms of its own.")
    change = []
    flips = r.tornado[(r.tornado["best_at_low"] != best) | (r.tornado["best_at_high"] != best)]
    if len(flips):
        parts = []
        for _, row in flips.head(3).iterrows():
            at_low = row["best_at_low"] != best
            value, to = (row["low_value"], row["best_at_low"]) if at_low else (row["high_value"], row["best_at_high"])
            parts.append(f"if {row['description']} were {value:.3g} (the {'low' if at_low else 'high'} end of its judged "
                         f"range), '{to}' would be preferred")
        n = len(flips)
        change.append(f"{_count(n, 'input').capitalize()}, each moved on its own to the edge of its judged range (10th or "
                      f"90th percentile), would change the choice. For example: " + "; ".join(parts)
                      + (f"; and {_count(n - 3, 'other')} (see the tornado chart)" if n > 3 else "") + ".")
    else:
        change.append("No single input, moved on its own to the edge of its judged range (10th or 90th percentile), "
                      "changes the choice.")
    thr, q = r.threshold, r.threshold.quantity
    mean_q = float(r.sim.quantity_draws()[:, r.sim.model.quantities.index(q)].mean())
    if len(thr.switches):
        sw = thr.switches.iloc[int(np.argmin(np.abs(thr.switches["value"].to_numpy() - mean_q)))]  # nearest to now
        if sw["value"] > mean_q:  # the sweep goes upwards, so above the switch the 'to' option is preferred
            side, then = "above", sw["to_option"]
        else:
            side, then = "below", sw["from_option"]
        change.append(f"The most influential input is {_describe(r.sim, q)}, judged to be {mean_q:.3g} on average. If it "
                      f"were {side} {sw['value']:.3g}, '{then}' would be preferred.")
    else:
        lo_q, hi_q = thr.curve.index.min(), thr.curve.index.max()
        change.append(f"Even swept from {lo_q:.3g} to {hi_q:.3g}, the most influential input ({_describe(r.sim, q)}) "
                      f"does not change the choice on its own.")
    low, high = d.values.harm_weight_range
    w = d.values.harm_weight
    if len(r.weight_switches):
        change.append(f"Values matter too: with harm weighed from {low:g} to {high:g} times benefit (the case uses {w:g}), "
                      "the preferred option changes: " + "; ".join(
                          f"at a harm weight of {x['harm_weight']:.2f} from '{x['from_option']}' to '{x['to_option']}'"
                          for _, x in r.weight_switches.iterrows()) + ".")
    else:
        change.append(f"However heavily harm is weighed against benefit, from {low:g} to {high:g} times (the case uses "
                      f"{w:g}), '{best}' keeps the highest expected value.")

    wait = []
    ev = r.evppi
    evpi = float(ev.attrs["evpi"])
    wait.append(f"If everything uncertain could be known before deciding, the choice would be better by {evpi:.2f} points "
                "on average (the expected value of perfect information). No enquiry can be worth more than that, "
                "and no enquiry removes all uncertainty.")
    singles = ev[~ev["group"]]
    worth = singles[singles["evppi"] > 2 * singles["se"]]
    if len(worth):
        top = worth.head(3)
        wait.append("The unknowns most worth finding out, each on its own: " + "; ".join(
            f"{_describe(r.sim, n)} ({v:.2f} points, {sh:.0%} of that)" for n, v, sh in
            zip(top["name"], top["evppi"], top["share_of_evpi"])) + ".")
    else:
        wait.append("No single unknown, learned on its own, is worth anything measurable: the choice would stay the same "
                    "whatever any one of them turned out to be. Only learning several things together could change it.")
    if r.delay_harm_per_week is not None:
        wait.append(f"Waiting is not free: each week of drift is judged to cost the child about {r.delay_harm_per_week:.2f} "
                    f"points of harm, so a wait of {evpi / r.delay_harm_per_week:.1f} weeks would use up even the value "
                    "of perfect information." if r.delay_harm_per_week > 0 else
                    "The case judges that a week of waiting costs the child nothing, which is rarely true; check it.")
    else:
        wait.append("The case does not say what a week of waiting costs the child (delay_harm_per_week), so the value of "
                    "finding out cannot be weighed against the harm of drift.")
    if len(r.enquiries):
        wait.extend(r.enquiries["message"].tolist())
    else:
        wait.append("The case names no enquiries (assessments, reports or studies that could be waited for), so none is "
                    "weighed here; any that is proposed can be worth at most the value above, less the harm of the wait.")

    hidden = []
    m = r.margins
    finite = m[np.isfinite(m["margin"])]
    if len(finite):
        first = finite.iloc[0]
        hidden.append("Some things that matter are unknown in a way no distribution captures: variables nobody has "
                      "identified yet. The smallest such shift that would change the choice: " + margin_sentence(first, best))
        single = finite[finite["scope"] == "outcome of option"]
        if first["scope"] != "outcome of option" and len(single):
            hidden.append("For a single outcome, " + margin_sentence(single.iloc[0], best))
    else:
        hidden.append(f"No hidden shift in any outcome's odds, up to {m.attrs.get('max_odds_ratio', 1000):g} times, would "
                      f"change the choice from '{best}'.")
    reg = r.regret
    named = [i for i in reg.values.index if i != "as judged (current case)"]
    if named:
        best_in = reg.best_by_scenario.loc[named]
        kept = int((best_in == best).sum())
        hidden.append(f"Under the case's {_count(len(named), 'stated scenario')} (views nobody can put a "
                      f"probability on), '{best}' stays best in {_word(kept)} of {_word(len(named))}"
                      + ("" if kept == len(named) else " (" + "; ".join(
                          f"'{sc}' favours '{o}'" for sc, o in best_in.items() if o != best) + ")")
                      + f". The option whose largest shortfall across them is smallest is '{reg.least_max_regret}' "
                        f"(at most {reg.max_regret[reg.least_max_regret]:.1f} points behind the best).")
    else:
        hidden.append("The case states no scenarios (alternative views of the case nobody can put a probability on), so "
                      "regret across scenarios is not shown.")
    return {
        "Which option looks best, and how sure are we?": looks,
        "What could change that?": change,
        "Decide now, or find out more first?": wait,
        "What if something nobody has identified matters?": hidden,
    }


# --- rendering -------------------------------------------------------------------------------------


def _table_html(df: pd.DataFrame, digits: int = 2) -> str:
    """A table with numbers right-aligned and words left-aligned (pandas' to_html aligns all alike)."""
    from markupsafe import escape

    numeric = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) for c in df.columns]

    def cell(v, num):
        if num:
            return "–" if pd.isna(v) else (f"{v:.{digits}f}" if isinstance(v, float | np.floating) else str(v))
        return str(escape(v))

    head = "".join(f'<th class="{"num" if n else "text"}">{escape(c)}</th>' for c, n in zip(df.columns, numeric))
    body = "".join("<tr>" + "".join(f'<td class="{"num" if n else "text"}">{cell(v, n)}</td>' for v, n in zip(row, numeric))
                   + "</tr>\n" for row in df.itertuples(index=False))
    return f'<table class="data">\n<tr>{head}</tr>\n{body}</table>'


def figures(r: CaseReport) -> dict[str, str]:
    """Every figure of the report as a PNG data URI (the plots draw the report's tables)."""
    from decide._html import figure_to_data_uri
    from decide.plots import decision as dp
    from decide.plots import information as ip

    d = r.decision
    low, high = d.values.harm_weight_range
    q = r.threshold.quantity
    mean_q = float(r.sim.quantity_draws()[:, r.sim.model.quantities.index(q)].mean())
    out = {
        "value": dp.plot_value(r.summary, r.sim.values_table()),
        "probability_best": dp.plot_probability_best(r.summary),
        "outcomes": dp.plot_outcomes(r.outcomes),
        "tornado": dp.plot_tornado(r.tornado.head(TORNADO_ROWS)),
        "threshold": dp.plot_threshold(r.threshold, label=_describe(r.sim, q), marks={"judged average": mean_q}),
        "harm_weight": dp.plot_value_by_harm_weight(r.summary, (low, high), harm_weight=d.values.harm_weight,
                                                    switches=r.weight_switches),
        "acceptability": dp.plot_acceptability(r.acceptability, harm_weight=d.values.harm_weight),
        "evppi": ip.evppi_bars(r.evppi, top=12).figure,
        "robustness": ip.robustness_bars(r.margins).figure,
    }
    if len(r.enquiries):
        out["enquiries"] = ip.enquiry_bars(r.enquiries).figure
    if r.two_way is not None:
        out["two_way"] = ip.two_way_map(r.two_way, labels=r.sim.model.labels).figure
    return {name: figure_to_data_uri(fig) for name, fig in out.items()}


def report_html(r: CaseReport, *, command: str | None = None, title: str | None = None) -> str:
    """The whole report as one HTML string (figures embedded as PNG data URIs; no network)."""
    from decide import __version__
    from decide._html import render

    d = r.decision
    s = r.summary
    comparison = s[["expected_value", "lower", "upper", "expected_benefit", "expected_harm", "probability_best",
                    "expected_regret", "uncertainty_sd", "risk_sd"]].reset_index()
    outcomes = r.outcomes[["option", "outcome", "kind", "chance", "chance_lower", "chance_upper", "magnitude",
                           "contribution"]]
    tor = r.tornado.head(TORNADO_ROWS)[["description", "low_value", "high_value", "lead_at_low", "lead_at_high",
                                        "best_at_low", "best_at_high"]]
    ev = r.evppi[["name", "evppi", "se", "share_of_evpi", "method", "r2", "r2_loo"]]
    enq = (r.enquiries[["enquiry", "informs", "verdict", "value", "weeks", "delay_cost", "net_gain", "worth_weeks",
                        "probability_worth_waiting"]] if len(r.enquiries) else None)
    margins = r.margins[np.isfinite(r.margins["margin"])][["scope", "option", "outcome", "change", "odds_ratio",
                                                           "chance_now", "chance_at_switch", "switches_to"]].head(15)
    regret = r.regret.regret.assign(best=r.regret.best_by_scenario).reset_index()
    scenario_values = r.regret.values.reset_index()
    options = [{"name": o.name, "description": o.description,
                "harms": [x.name for x in o.outcomes if x.kind == "harm"],
                "benefits": [x.name for x in o.outcomes if x.kind == "benefit"]} for o in d.options]
    delay = d.delay_harm_per_week
    return render(
        "case_report.html",
        title=title or f"Case report: {Path(r.source).stem.replace('_', ' ')}",
        d=d, r=r, sections=r.sections, figures=figures(r), options=options, preferred=r.preferred,
        interval_pct=f"{s.attrs['interval']:.0%}",
        comparison_html=_table_html(comparison), outcomes_html=_table_html(outcomes),
        tornado_html=_table_html(tor), evppi_html=_table_html(ev, 3), enquiries_html=_table_html(enq) if enq is not None else None,
        enquiry_descriptions=[(e.name, e.description, ", ".join(e.informs), e.cases) for e in d.enquiries],
        margins_html=_table_html(margins), regret_html=_table_html(regret),
        scenario_values_html=_table_html(scenario_values),
        scenarios=[(sc.name, sc.description) for sc in d.scenarios],
        sources_html=_table_html(r.sources), n_secondary=int(r.sources["status"].str.startswith("S").sum()), n_citations=len(r.sources),
        evpi=float(r.evppi.attrs["evpi"]),
        no_single_unknown_matters=not bool((r.evppi["evppi"] > 2 * r.evppi["se"]).any()), evpi_se=float(r.evppi.attrs["evpi_se"]),
        delay_text=("not stated in the case" if delay is None else f"{r.delay_harm_per_week:.2f} points per week on average"
                    + ("" if isinstance(delay, int | float) else " (a judgement: " + _judgement_text(delay) + ")")),
        threshold_quantity=_describe(r.sim, r.threshold.quantity),
        two_way_names=(_describe(r.sim, r.two_way.x), _describe(r.sim, r.two_way.y)) if r.two_way is not None else None,
        fragile=FRAGILE_ODDS, sturdy=STURDY_ODDS,
        command=command, version=__version__,
    )


def _judgement_text(j) -> str:
    if j.low is not None:
        return f"low {j.low:g}, likely {j.likely:g}, high {j.high:g}"
    return str(j.model_dump(exclude_none=True, exclude_defaults=True))


def write_report(r: CaseReport, out, *, force: bool = False, **kw) -> Path:
    from decide._html import write_new

    return write_new(out, report_html(r, **kw), force=force)


# --- command line ----------------------------------------------------------------------------------


def cmd_report(args) -> int:
    from decide.frame import Decision

    case = Path(args.case)
    out = Path(args.output) if args.output else Path(case.stem + "_report.html")
    if out.resolve() == case.resolve():
        raise DecideError(f"-o {out} is the case file itself; choose another name for the report (e.g. {case.stem}.html)")
    if out.exists() and not args.force:  # fail before the minute of work, not after it
        raise DecideError(f"{out} already exists; choose another name with -o, or pass --force to replace it")
    decision = Decision.from_yaml(case)
    r = build_report(decision, draws=args.draws, seed=args.seed, source=str(case))
    command = "decide " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if len(sys.argv) > 2 else None
    path = write_report(r, out, force=args.force, command=command, title=args.title)
    for heading, lines in r.sections.items():
        print(heading)
        print("  - " + lines[0])
    print(f"wrote {path}")
    return 0


def register(subparsers) -> None:
    help_text = ("write a case report (HTML): which option looks best and how sure we are, what would change it, "
                 "whether to decide now or find out more, and how robust the choice is")
    p = subparsers.add_parser("report", help=help_text, description=help_text + ". Example: decide report "
                              "data/cases/return_home.yaml -o return_home.html")
    p.add_argument("case", help="path to a YAML case file (see data/cases/ for examples)")
    p.add_argument("-o", "--output", help="the HTML report to write (default: CASE_report.html in the current folder)")
    p.add_argument("--force", action="store_true", help="replace an existing output file")
    p.add_argument("--draws", type=int, default=DEFAULT_DRAWS,
                   help=f"simulation draws (default {DEFAULT_DRAWS}; at least {MIN_DRAWS})")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED,
                   help=f"random seed; the same seed gives the same report (default {DEFAULT_SEED})")
    p.add_argument("--title", help="title of the report")
    p.set_defaults(func=_run)


def _run(args) -> int:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # library warnings would interleave with the summary
        return cmd_report(args)


__all__ = ["CaseReport", "build_report", "cmd_report", "figures", "margin_sentence", "plain_summary", "register",
           "report_html", "write_report"]
