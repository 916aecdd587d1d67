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

import re
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from decide.defaults import DRAWS, INTERVAL, MAX_DRAWS, SEED
from decide.errors import DecideError

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
    lead: object = None  # decide.compare.Lead: the best option's lead and which options it cannot be told from
    sections: dict[str, list[str]] = field(default_factory=dict)  # plain-language summary, by question
    seconds: float = 0.0

    @property
    def preferred(self) -> str:
        return str(self.summary["expected_value"].idxmax())


# --- words -----------------------------------------------------------------------------------------


def _pct(p: float) -> str:
    from decide.review import percent

    return percent(p)


def _shares(s: pd.DataFrame) -> tuple[dict[str, str], dict[str, int]]:
    """Each option's share of the possible worlds in which it is best, as whole percentages that add up to 100."""
    from decide.review import whole_percent_text, whole_percents

    whole = whole_percents(s["probability_best"].to_dict())
    return {o: whole_percent_text(whole[o], float(s.loc[o, "probability_best"])) for o in s.index}, whole


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
    """What a reader sees for an input: the case's description (or generated plain words), never its identifier."""
    resolved = sim.decision.resolve_input(name) or name
    return sim.model.labels.get(resolved, name) or name


def scale_text(values) -> str:
    """The case's own value scale in words, e.g. 'the case's scale of 0 to 100 points'."""
    lo, hi = values.scale_min, values.scale_max
    if lo is not None and hi is not None:
        return f"the case's scale of {lo:g} to {hi:g} points"
    if lo is not None:
        return f"the case's points scale (from {lo:g}, with no upper limit)"
    if hi is not None:
        return f"the case's points scale (up to {hi:g}, with no lower limit)"
    return "the case's points scale (with no limits)"


#: How a source says it was seen only second-hand: the case files' '(S)' / '(S: ...)' marker, and the words the docs
#: and `decide new` recommend ('(seen in a secondary source)', 'as quoted in'), in any letter case.
_SECOND_HAND = re.compile(r"\(S[\s:)]|(?i:secondary source|quoted in|second[- ]?hand)")


def seen_second_hand(source) -> bool:
    """Whether a source's text marks its figure as seen only in a secondary source quoting it."""
    return bool(_SECOND_HAND.search(str(source)))


def _sources(decision, label) -> pd.DataFrame:
    """Each cited source in the case: what it bears on (in plain words), and whether it was seen first-hand."""
    rows = []
    for e in decision.known_at_time:  # what was learned later is not a source of this decision
        rows.append({"source": e.source, "what": e.what,
                     "bears on": "; ".join(label(n) for n in e.informs) or "(not used as a number)",
                     "reliability": e.reliability, "record": not e.informs})
    for q in decision.quantities:
        if q.source:
            rows.append({"source": q.source, "what": q.description or q.name, "bears on": label(q.name), "reliability": "",
                         "record": False})
    for f in decision.factors:
        if f.source:
            rows.append({"source": f.source, "what": f.description or f.name, "bears on": label(f.name), "reliability": "",
                         "record": False})
    out = pd.DataFrame(rows, columns=["source", "what", "bears on", "reliability", "record"]).astype(object)
    out["status"] = pd.Series(["S: seen only in a secondary source quoting it" if seen_second_hand(src)
                               else "background: not used as a number here (not marked secondary)" if rec
                               else "V: not marked secondary, so seen in the named source"
                               for src, rec in zip(out["source"], out["record"])], index=out.index, dtype=object)
    return out.drop(columns="record")


def _secondary(sources: pd.DataFrame) -> int:
    """How many cited figures were seen only in a secondary source (0 for a case that cites none)."""
    return sum(1 for status in sources["status"] if str(status).startswith("S"))


def _cites_figures(sources: pd.DataFrame) -> bool:
    """Whether the case uses any cited (published or recorded) figure as a number."""
    return any(not str(status).startswith("background") for status in sources["status"])


def _horizons(decision) -> pd.DataFrame:
    """Each option's outcomes and the time span each chance was judged over."""
    rows = [{"option": o.name, "outcome": x.name, "horizon": x.horizon.strip()} for o in decision.options for x in o.outcomes]
    return pd.DataFrame(rows, columns=["option", "outcome", "horizon"])


def horizon_sentence(decision) -> str | None:
    """A warning when options are compared on an outcome judged over different time spans under
    different options (None otherwise: a short-lived harm of one option is no unfairness)."""
    if not any(w.loc[-1:] == ("horizon",) for w in decision.warnings(fits=False)):
        return None
    h = _horizons(decision)
    per_option = "; ".join(f"'{o}' over {_and(list(dict.fromkeys(g['horizon'])))}" for o, g in h.groupby("option", sort=False))
    return (f"The outcomes are judged over different time spans ({per_option}), and the comparison adds them as they "
            "stand: a chance over a longer span is naturally higher, so check that the options are compared fairly "
            "(each outcome's span is in the table of outcomes).")


def _warning_parts(w) -> dict:
    """A case warning for the page: what looks wrong, where in the file, what to do, and any YAML to copy."""
    fix, _, rest = w.fix.partition("\n")
    snippet, _, after = rest.rpartition("\n")
    return {"message": w.message[:1].upper() + w.message[1:], "line": w.line, "fix": fix,
            "snippet": snippet if rest else "", "after": after if rest else ""}


def _and(items: list[str]) -> str:
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# --- assembling ------------------------------------------------------------------------------------


def check_settings(draws, seed) -> None:
    """Refuse draws and seeds the report cannot use, before any work is done."""
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or not MIN_DRAWS <= draws <= MAX_DRAWS:
        raise DecideError(f"--draws must be a whole number from {MIN_DRAWS:,} (the value-of-information regressions need "
                          f"them) to {MAX_DRAWS:,} (beyond that the arrays outgrow an ordinary computer), got {draws!r}; "
                          f"the default is {DRAWS:,}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 2**63:
        raise DecideError(f"--seed must be a whole number of 0 or more, got {seed!r}; the default is {SEED}")


def build_report(decision, draws: int = DRAWS, seed: int = SEED, source: str = "case") -> CaseReport:
    """Simulate the case and compute everything the report shows (seeded: same seed, same report).

    Uses the shared defaults (decide.defaults), so the report shows the same numbers as
    ``decide compare`` with the same draws and seed.
    """
    check_settings(draws, seed)
    with one_blas_thread():
        return _build_report(decision, draws, seed, source)


def one_blas_thread():
    """Linear algebra on one thread while the report is built: its matrices are small (the
    regressions' designs are draws x a few dozen columns), and on a busy two-core machine a second
    OpenBLAS thread made them 20 to 50 times slower (0.04 s against 1-2 s for one decomposition)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def _build_report(decision, draws: int, seed: int, source: str) -> CaseReport:
    from decide import compare, information, robustness
    from decide.compare import harm_weight_switches as weight_switches
    from decide.simulate import simulate

    start = time.perf_counter()
    sim = simulate(decision, int(draws), seed=int(seed))
    summ = compare.summary(sim, interval=INTERVAL)
    tor = compare.tornado(sim)
    top = tor["quantity"].iloc[0] if len(tor) else sim.model.quantities[0]
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
    regret = robustness.scenario_regret(sim, decision.scenarios, max_draws=None)  # all draws: 'as judged' = the comparison
    # the two-way map: the two unknowns worth most to learn; if none is worth anything on its
    # own, the two the choice is most sensitive to
    ranked = evppi.loc[~evppi["group"] & (evppi["evppi"] > 0), "name"].tolist() if len(evppi) else []
    pair = (ranked + [q for q in tor.get("quantity", []) if q not in ranked])[:2]
    tw = robustness.two_way(sim, pair[0], pair[1], n=31) if len(pair) == 2 else None
    report = CaseReport(decision, sim, source, int(draws), int(seed), summ, compare.outcome_table(sim, interval=INTERVAL),
                        tor, thr, sw, acc, evppi, enq, _delay_harm_mean(decision.delay_harm_per_week), margins, regret, tw,
                        _sources(decision, lambda n: _describe(sim, n)), compare.lead(sim))
    report.sections = plain_summary(report)
    report.seconds = time.perf_counter() - start
    return report


def _looks(r: CaseReport) -> list[str]:
    """Which option looks best and how sure we are, or that the options cannot be told apart."""
    d, s, lead = r.decision, r.summary, r.lead
    best = r.preferred
    order = s["expected_value"].sort_values(ascending=False, kind="stable")
    pct = f"{s.attrs['interval']:.0%}"
    scale = scale_text(d.values)
    share, whole = _shares(s)
    shares = "; ".join(f"'{o}' {share[o]}" for o in order.index)
    if lead.is_tie:
        names = _and([f"'{o}'" for o in lead.tied])
        values = _and([f"{_num(s.loc[o, 'expected_value'])}" for o in lead.tied])
        if lead.se == 0 and lead.lead == 0:
            why = (f"have the same expected net value (benefits minus weighted harms, on {scale}) in every one of the "
                   f"{r.draws:,} possible worlds simulated ({values} points): nothing in the case tells them apart")
        else:
            why = (f"have expected net values (benefits minus weighted harms, on {scale}) of {values} points: the "
                   f"difference, {lead.lead:.2f} points, is within the simulation's own error (two standard errors, "
                   f"{2 * lead.se:.2f} points), so it could be chance")
        looks = [f"On these judgements, the options cannot be told apart: {names} {why}.",
                 f"They share the possible worlds in which each comes out best ({shares}). Neither can be called the "
                 "better choice on these numbers; what separates them has to come from something the case does not yet "
                 "state, or from the values and wishes of the people involved."]
    else:
        runner = order.index[1]
        p = float(s.loc[best, "probability_best"])
        others = "; ".join(f"'{o}' {share[o]}" for o in order.index[1:])
        from decide.review import whole_percent_text

        rest = whole_percent_text(100 - whole[best], 1 - p)  # the shown figures add up: 100 less the one shown for best
        looks = [
            (f"On these judgements, '{best}' looks best for the child: its expected net value (benefits minus weighted "
             f"harms, on {scale}) is {_num(s.loc[best, 'expected_value'])} points ({pct} interval "
             f"{_num(s.loc[best, 'lower'])} to {_num(s.loc[best, 'upper'])}), {_num(order.iloc[0] - order.iloc[1])} points "
             f"ahead of '{runner}'."),
            f"How sure can we be? '{best}' comes out best in {share[best]} of the {r.draws:,} possible worlds simulated; in "
            f"the words of the UK probability yardstick, {how_sure(whole[best] / 100)}. In the other {rest}, another option would "
            f"be better ({others}).",
            value_vs_best_sentence(r),
        ]
    if (s["expected_value"] < 0).all():
        looks.append("Every option carries more expected harm than benefit. That is not a reason to do nothing: "
                     "staying as things are is one of the options, with harms of its own.")
    horizons = horizon_sentence(d)
    if horizons:
        looks.append(horizons)
    return looks


def value_vs_best_sentence(r: CaseReport) -> str:
    """Why the option with the highest expected value need not be the one best in most possible worlds."""
    s = r.summary
    best = r.preferred
    most_often = str(s["probability_best"].idxmax())
    p, q = float(s.loc[best, "probability_best"]), float(s.loc[most_often, "probability_best"])
    if most_often != best and q > p:
        v = r.sim.dataset["expected_value"].values
        opts = list(r.sim.options)
        diff = v[:, opts.index(best)] - v[:, opts.index(most_often)]
        ahead = float(diff[diff > 0].mean()) if (diff > 0).any() else 0.0
        behind = float(-diff[diff < 0].mean()) if (diff < 0).any() else 0.0
        return (f"'{best}' has the highest expected value although '{most_often}' is best in more of the possible worlds "
                f"({_pct(q)} against {_pct(p)}): in the worlds where '{best}' is ahead of '{most_often}' it is ahead by "
                f"{ahead:.1f} points on average, and where it is behind, by {behind:.1f}, so on average '{best}' comes "
                "out ahead. Expected value weighs how much better an option is; the chance of being best counts only "
                "how often.")
    return (f"Expected value weighs how much better an option is on average; the chance of being best counts only how "
            f"often it comes out on top, not by how much. Here both favour '{best}'"
            + (f", although it is best in fewer than half of the possible worlds because the other "
               f"{_count(len(s) - 1, 'option')} share the rest." if p < 0.5 else "."))


def tornado_vs_lead_sentence(r: CaseReport) -> str | None:
    """Why the tornado chart's lead differs from the expected lead in the comparison."""
    if not len(r.tornado):
        return None
    t = r.tornado.attrs
    lead = r.lead
    where = (f"there '{t['preferred']}' leads '{t['runner_up']}' by {t['base_lead']:.1f} points"
             if t["base_lead"] > 0 else f"there '{t['preferred']}' and '{t['runner_up']}' are level")
    averaged = (f"'{lead.best}' leads '{lead.runner_up}' by {lead.lead:.1f} points" if not lead.is_tie
                else f"{_and([repr(o) for o in lead.tied])} cannot be told apart")
    same = (t["preferred"] == lead.best and t["runner_up"] == lead.runner_up and not lead.is_tie
            and f"{t['base_lead']:.1f}" == f"{lead.lead:.1f}")
    if same:
        return (f"The tornado chart moves one input at a time with every other input held at its average; {where}, which "
                "here matches the expected lead averaged over all the uncertainty at once (as in the comparison). The two "
                "can differ, because an option's value need not move in a straight line with its inputs.")
    return (f"The tornado chart moves one input at a time with every other input held at its average; {where}, while "
            f"averaged over all the uncertainty at once (as in the comparison) {averaged}. The two differ because an "
            "option's value does not move in a straight line with its inputs (a chance times a magnitude, shifted by "
            "odds ratios), so the value at the average inputs is not the average value.")


def weights_sentence(r: CaseReport) -> str | None:
    """Where, across harm weights, the option with the highest expected value is not the one most often best
    (the harm-weight figure and the acceptability curve then seem to disagree); None if they agree everywhere."""
    s, acc = r.summary, r.acceptability
    b, h = s["expected_benefit"].to_numpy(float), s["expected_harm"].to_numpy(float)
    rows = []
    for w in acc.index:
        by_value = str(s.index[int(np.argmax(b - w * h))])
        most_often = str(acc.loc[w].idxmax())
        if by_value != most_often and acc.loc[w, most_often] > acc.loc[w, by_value]:
            rows.append((float(w), by_value, most_often))
    if not rows:
        return None
    pairs = pd.Series([(a, c) for _, a, c in rows]).value_counts()
    by_value, most_often = pairs.index[0]
    ws = [w for w, a, c in rows if (a, c) == (by_value, most_often)]
    span = f"at a harm weight of {ws[0]:.2g}" if len(ws) == 1 else f"at harm weights from {min(ws):.2g} to {max(ws):.2g}"
    return (f"The two figures answer different questions: {span}, '{by_value}' has the highest expected value (the first "
            f"figure) while '{most_often}' is best in more of the possible worlds (the second). The first weighs how "
            "far ahead an option is; the second counts only how often it is ahead.")


def regret_sentence(r: CaseReport) -> str:
    """What expected regret and scenario regret each are, with this case's numbers for the preferred option."""
    best = r.preferred
    expected = float(r.summary.loc[best, "expected_regret"])
    as_judged = float(r.regret.regret.loc["as judged (current case)", best])
    return (f"Two kinds of regret appear in this report. Expected regret (in the comparison table) is how far an option "
            f"falls short of the best option in each simulated world, averaged over all of them: {expected:.2f} points for "
            f"'{best}'. Scenario regret (below) is how far an option's average value falls short of the best average "
            f"value in one stated view of the case: {as_judged:.2f} points for '{best}' as judged. Averaging before "
            "comparing hides the worlds in which another option wins, so scenario regret as judged is never larger "
            "than expected regret.")


def plain_summary(r: CaseReport) -> dict[str, list[str]]:
    """The report's first section: four questions, each answered in a few sentences."""
    d = r.decision
    best = r.preferred
    looks = _looks(r)

    change = []
    flips = r.tornado[(r.tornado["best_at_low"] != best) | (r.tornado["best_at_high"] != best)] if len(r.tornado) else r.tornado
    if len(flips):
        parts = []
        for _, row in flips.head(3).iterrows():
            at_low = row["best_at_low"] != best
            value, to = (row["low_value"], row["best_at_low"]) if at_low else (row["high_value"], row["best_at_high"])
            parts.append(f"{row['description']}: at {value:.3g} (the {'low' if at_low else 'high'} end of its judged "
                         f"range), '{to}' would be preferred")
        n = len(flips)
        change.append(f"{_count(n, 'input').capitalize()}, each moved on its own to the edge of its judged range (10th or "
                      f"90th percentile), would change the choice. For example, " + "; ".join(parts)
                      + (f"; and {_count(n - 3, 'other')} (see the tornado chart)" if n > 3 else "") + ".")
    elif len(r.tornado):
        change.append("No single input, moved on its own to the edge of its judged range (10th or 90th percentile), "
                      "changes the choice.")
    else:
        change.append("Every input in the case is a fixed number, so there is nothing uncertain to move.")
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
    elif len(r.tornado):
        lo_q, hi_q = thr.curve.index.min(), thr.curve.index.max()
        change.append(f"Even swept from {lo_q:.3g} to {hi_q:.3g}, the most influential input ({_describe(r.sim, q)}) "
                      f"does not change the choice on its own.")
    tornado_note = tornado_vs_lead_sentence(r)
    if tornado_note:
        change.append(tornado_note)
    low, high = d.values.harm_weight_range
    w = d.values.harm_weight
    if len(r.weight_switches):
        change.append(f"Values matter too: with harm weighed from {low:g} to {high:g} times benefit (the case uses {w:g}), "
                      "the preferred option changes: " + "; ".join(
                          f"at a harm weight of {x['harm_weight']:.2f} from '{x['from_option']}' to '{x['to_option']}'"
                          for _, x in r.weight_switches.iterrows()) + ".")
    elif r.lead.is_tie:
        change.append(f"However heavily harm is weighed against benefit, from {low:g} to {high:g} times (the case uses "
                      f"{w:g}), no option overtakes the ones that cannot be told apart.")
    else:
        change.append(f"However heavily harm is weighed against benefit, from {low:g} to {high:g} times (the case uses "
                      f"{w:g}), '{best}' keeps the highest expected value.")

    wait = []
    ev = r.evppi
    evpi = float(ev.attrs["evpi"])
    wait.append(f"If everything uncertain could be known before deciding, the choice would be better by {evpi:.2f} points "
                "on average (the expected value of perfect information). No enquiry can be worth more than that, "
                "and no enquiry removes all uncertainty.")
    singles = ev[~ev["group"]] if len(ev) else ev
    worth = singles[singles["evppi"] > 2 * singles["se"]] if len(singles) else singles
    if len(worth):
        top = worth.head(3)
        wait.append("The unknowns most worth finding out, each on its own: " + "; ".join(
            f"{_describe(r.sim, n)} ({v:.2f} points, {sh:.0%} of that)" for n, v, sh in
            zip(top["name"], top["evppi"], top["share_of_evpi"])) + ".")
    else:
        wait.append("No single unknown, learned on its own, is worth anything measurable: the choice would stay the same "
                    "whatever any one of them turned out to be."
                    + (" Only learning several things together could change it." if evpi > 0 else ""))
    if r.delay_harm_per_week is not None:
        if r.delay_harm_per_week > 0:
            wait.append(f"Waiting is not free: each week of drift is judged to cost the child about "
                        f"{r.delay_harm_per_week:.2f} points of harm, so a wait of {evpi / r.delay_harm_per_week:.1f} weeks "
                        "would use up even the value of perfect information.")
        else:
            wait.append("The case judges that a week of waiting costs the child nothing, which is rarely true; check it.")
    else:
        wait.append("The case does not say what a week of waiting costs the child, so the value of finding out cannot "
                    "be weighed against the harm of drift.")
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

#: Plain words for every column a table in the report shows (a reader never sees an identifier).
HEADERS = {
    "option": "option",
    "expected_value": "expected net value (points)",
    "lower": "{interval} interval: from",
    "upper": "to",
    "expected_benefit": "expected benefit (points)",
    "expected_harm": "expected harm, before weighting (points)",
    "probability_best": "chance of being best",
    "expected_regret": "expected regret: average shortfall from the best (points)",
    "uncertainty_sd": "spread from what we do not know (standard deviation, points)",
    "risk_sd": "further spread from chance for one child (standard deviation, points)",
    "outcome": "outcome",
    "kind": "harm or benefit",
    "horizon": "over",
    "chance": "chance",
    "chance_lower": "chance: {interval} interval from",
    "chance_upper": "to",
    "magnitude": "how serious or how valuable (points)",
    "contribution": "contribution to net value (points)",
    "description": "input",
    "low_value": "low value (10th percentile)",
    "high_value": "high value (90th percentile)",
    "lead_at_low": "lead at the low value (points)",
    "lead_at_high": "lead at the high value (points)",
    "best_at_low": "preferred at the low value",
    "best_at_high": "preferred at the high value",
    "unknown": "unknown",
    "evppi": "value of learning it first (points)",
    "se": "standard error (points)",
    "share_of_evpi": "share of the value of perfect information",
    "r2": "variation explained (R²)",
    "r2_loo": "variation explained, checked on left-out draws (R²)",
    "enquiry": "enquiry",
    "informs": "would tell us",
    "verdict": "verdict",
    "value": "value of finding out (points)",
    "weeks": "weeks it takes",
    "delay_cost": "expected harm of the wait (points)",
    "net_gain": "value less the harm of waiting (points)",
    "worth_weeks": "weeks of waiting it is worth",
    "probability_worth_waiting": "chance that waiting is worth it",
    "scope": "what the hidden factor shifts",
    "change": "which way",
    "odds_ratio": "size of the hidden shift needed (on the odds)",
    "chance_now": "chance now",
    "chance_at_switch": "chance at the switch",
    "switches_to": "then preferred",
    "scenario": "scenario",
    "best": "best in this scenario",
    "source": "source",
    "what": "what it says",
    "bears on": "bears on",
    "reliability": "reliability",
    "status": "status",
}
#: Short text columns kept on one line ('12 years', not '12' above 'years').
NOWRAP = {"horizon", "kind", "reliability", "change"}
#: Columns shown as percentages.
PERCENT = {"probability_best", "chance", "chance_lower", "chance_upper", "share_of_evpi", "probability_worth_waiting",
           "chance_now", "chance_at_switch"}


def _header(column: str, interval: str) -> str:
    return HEADERS.get(column, column).replace("{interval}", interval)


def _table_html(df: pd.DataFrame, digits: int = 2, interval: float = INTERVAL) -> str:
    """A table with plain-word headers, numbers right-aligned and words left-aligned.

    Column names are looked up in HEADERS (option names, used as columns in the scenario tables,
    are shown as they are); probabilities are shown as percentages; missing numbers as a dash.
    """
    from markupsafe import escape

    pct = f"{interval:.0%}"
    numeric = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) for c in df.columns]

    def cell(v, num, col):
        if num:
            if pd.isna(v) or not np.isfinite(v):
                return "–"
            if col in PERCENT:
                return f"{v:.0%}"
            return f"{v:.{digits}f}" if isinstance(v, float | np.floating) else str(v)
        return str(escape(v))

    def kind(num, col):
        return ("num" if num else "text") + (" nowrap" if col in NOWRAP else "")

    head = "".join(f'<th class="{"num" if n else "text"}">{escape(_header(str(c), pct))}</th>'
                   for c, n in zip(df.columns, numeric))
    body = "".join("<tr>" + "".join(f'<td class="{kind(n, c)}">{cell(v, n, c)}</td>'
                                    for v, n, c in zip(row, numeric, df.columns)) + "</tr>\n"
                   for row in df.itertuples(index=False))
    return f'<table class="data">\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody></table>'


def labelled_evppi(r: CaseReport) -> pd.DataFrame:
    """The EVPPI table with each unknown's description in place of its identifier (what the chart shows)."""
    ev = r.evppi.copy()
    if len(ev):
        # a number given exactly is not an unknown: nothing can be learned about it (H2 E8 listed them at 0.000)
        q, names = r.sim.quantity_draws(), list(r.sim.model.quantities)
        fixed = {n for j, n in enumerate(names) if q.shape[0] and np.ptp(q[:, j]) == 0}
        ev = ev[~(ev["name"].isin(fixed) & ~ev["group"].astype(bool))].reset_index(drop=True)
        ev["name"] = [_describe(r.sim, n) for n in ev["name"]]  # a group's own label is kept as it is
    return ev


def margin_rows(r: CaseReport, n: int = 15) -> pd.DataFrame:
    """The smallest robustness margins as a reader sees them: the shift as 'N times' (its direction is in
    'which way'), and chances only where one outcome is shifted (a whole option mixes harms and benefits)."""
    m = r.margins[np.isfinite(r.margins["margin"])].head(n)
    m = m[["scope", "option", "outcome", "change", "odds_ratio", "chance_now", "chance_at_switch", "switches_to"]].copy()
    m["odds_ratio"] = [_times(x) for x in m["odds_ratio"]]
    whole = (m["scope"] == "whole option").to_numpy()
    m.loc[whole, ["chance_now", "chance_at_switch"]] = np.nan
    return m


def outcome_rows(r: CaseReport) -> pd.DataFrame:
    """The outcome table with each outcome's horizon beside its chance."""
    h = _horizons(r.decision).drop_duplicates(["option", "outcome"])
    out = r.outcomes.merge(h, on=["option", "outcome"], how="left")
    return out[["option", "outcome", "kind", "horizon", "chance", "chance_lower", "chance_upper", "magnitude",
                "contribution"]]


def figures(r: CaseReport) -> dict[str, str]:
    """Every figure of the report as a PNG data URI (the plots draw the report's tables)."""
    from decide._html import figure_to_data_uri
    from decide.plots import decision as dp
    from decide.plots import information as ip

    import matplotlib

    from decide._html import FIGURE_DPI, quick_text

    # made at the resolution they are saved at, so the text layouts found while making them are
    # the ones used to crop and draw them (see decide._html.figure_to_data_uri)
    with matplotlib.rc_context({"figure.dpi": FIGURE_DPI}), quick_text():
        return _figures(r, figure_to_data_uri, dp, ip)


def _figures(r: CaseReport, figure_to_data_uri, dp, ip) -> dict[str, str]:
    d = r.decision
    low, high = d.values.harm_weight_range
    q = r.threshold.quantity
    mean_q = float(r.sim.quantity_draws()[:, r.sim.model.quantities.index(q)].mean())
    out = {
        "value": dp.plot_value(r.summary, r.sim.values_table()),
        "probability_best": dp.plot_probability_best(r.summary),
        "outcomes": dp.plot_outcomes(r.outcomes),
        "harm_weight": dp.plot_value_by_harm_weight(r.summary, (low, high), harm_weight=d.values.harm_weight,
                                                    switches=r.weight_switches),
        "acceptability": dp.plot_acceptability(r.acceptability, harm_weight=d.values.harm_weight),
        "robustness": ip.robustness_bars(r.margins).figure,
    }
    if len(r.tornado):
        out["tornado"] = dp.plot_tornado(r.tornado.head(TORNADO_ROWS))
        out["threshold"] = dp.plot_threshold(r.threshold, label=_describe(r.sim, q), marks={"judged average": mean_q})
    unknowns = labelled_evppi(r)
    if len(unknowns):
        out["evppi"] = ip.evppi_bars(unknowns, top=12).figure
    if len(r.enquiries):
        out["enquiries"] = ip.enquiry_bars(r.enquiries).figure
    if r.two_way is not None:
        out["two_way"] = ip.two_way_map(r.two_way, labels={n: _describe(r.sim, n) for n in (r.two_way.x, r.two_way.y)}).figure
    return {name: figure_to_data_uri(fig) for name, fig in out.items()}


def report_html(r: CaseReport, *, command: str | None = None, title: str | None = None) -> str:
    """The whole report as one HTML string (figures embedded as PNG data URIs; no network)."""
    from decide import __version__
    from decide._html import render

    d = r.decision
    s = r.summary
    interval = float(s.attrs["interval"])

    def table(df, digits=2):
        return _table_html(df, digits, interval)

    comparison = s[["expected_value", "lower", "upper", "expected_benefit", "expected_harm", "probability_best",
                    "expected_regret", "uncertainty_sd", "risk_sd"]].reset_index()
    tor = r.tornado.head(TORNADO_ROWS)[["description", "low_value", "high_value", "lead_at_low", "lead_at_high",
                                        "best_at_low", "best_at_high"]]
    ev = labelled_evppi(r)
    ev = ev[["name", "evppi", "se", "share_of_evpi", "r2", "r2_loo"]].rename(columns={"name": "unknown"}) if len(ev) else None
    if len(r.enquiries):
        enq = r.enquiries[["enquiry", "informs", "verdict", "value", "weeks", "delay_cost", "net_gain", "worth_weeks",
                           "probability_worth_waiting"]].copy()
        enq["informs"] = [_informs_text(r, x) for x in enq["informs"]]
    else:
        enq = None
    margins = margin_rows(r)
    regret = r.regret.regret.assign(best=r.regret.best_by_scenario).reset_index()
    scenario_values = r.regret.values.reset_index()
    options = [{"name": o.name, "description": o.description,
                "harms": [f"{x.name} (over {x.horizon})" for x in o.outcomes if x.kind == "harm"],
                "benefits": [f"{x.name} (over {x.horizon})" for x in o.outcomes if x.kind == "benefit"]} for o in d.options]
    known = [{"what": e.what, "source": e.source, "reliability": e.reliability,
              "bears_on": "; ".join(_describe(r.sim, n) for n in e.informs) or "(not used as a number)"} for e in d.known_at_time]
    delay = d.delay_harm_per_week
    evpi = float(r.evppi.attrs.get("evpi", 0.0))
    return render(
        "case_report.html",
        title=title or f"Case report: {Path(r.source).stem.replace('_', ' ')}",
        d=d, r=r, sections=r.sections, figures=figures(r), options=options, known=known, preferred=r.preferred,
        learned_later=d.learned_after, case_warnings=[_warning_parts(w) for w in d.warnings()],
        tied=r.lead.tied if r.lead.is_tie else [],
        interval_pct=f"{interval:.0%}", scale=scale_text(d.values),
        comparison_html=table(comparison), outcomes_html=table(outcome_rows(r)),
        horizon_note=horizon_sentence(d), value_vs_best=value_vs_best_sentence(r) if not r.lead.is_tie else None,
        tornado_note=tornado_vs_lead_sentence(r), regret_note=regret_sentence(r), weights_note=weights_sentence(r),
        tornado_html=table(tor) if len(tor) else None, evppi_html=table(ev, 3) if ev is not None else None,
        enquiries_html=table(enq) if enq is not None else None,
        enquiry_descriptions=[(e.name, e.description, "; ".join(_describe(r.sim, n) for n in e.informs), e.cases)
                              for e in d.enquiries],
        margins_html=table(margins) if len(margins) else None, regret_html=table(regret),
        scenario_values_html=table(scenario_values),
        scenarios=[(sc.name, sc.description) for sc in d.scenarios],
        sources_html=table(r.sources) if len(r.sources) else None, n_secondary=_secondary(r.sources),
        n_citations=len(r.sources), cites_figures=_cites_figures(r.sources),
        evpi=evpi, evpi_se=float(r.evppi.attrs.get("evpi_se", 0.0)),
        no_single_unknown_matters=not bool((r.evppi["evppi"] > 2 * r.evppi["se"]).any()) if len(r.evppi) else True,
        delay_text=("not stated in the case" if delay is None else f"{r.delay_harm_per_week:.2f} points per week on average"
                    + ("" if isinstance(delay, int | float) else " (a judgement: " + _judgement_text(delay) + ")")),
        threshold_quantity=_describe(r.sim, r.threshold.quantity),
        two_way_names=(_describe(r.sim, r.two_way.x), _describe(r.sim, r.two_way.y)) if r.two_way is not None else None,
        fragile=FRAGILE_ODDS, sturdy=STURDY_ODDS,
        command=command, version=__version__,
    )


def _informs_text(r: CaseReport, informs) -> str:
    names = informs if isinstance(informs, list | tuple) else [n.strip() for n in str(informs).split(",")]
    return "; ".join(_describe(r.sim, n) for n in names)


def _judgement_text(j) -> str:
    if j.low is not None:
        return f"low {j.low:g}, likely {j.likely:g}, high {j.high:g}"
    return str(j.model_dump(exclude_none=True, exclude_defaults=True))


def write_report(r: CaseReport, out, *, force: bool = False, **kw) -> Path:
    from decide._html import write_new

    return write_new(out, report_html(r, **kw), force=force)


# --- command line ----------------------------------------------------------------------------------


def cmd_report(args) -> int:
    from decide.files import plan_outputs
    from decide.frame import Decision

    case = Path(args.case)
    out = Path(args.output) if args.output else Path(case.stem + "_report.html")
    # every check before the minute of work, so a refusal leaves nothing behind
    (out,) = plan_outputs([out], inputs=[case], force=args.force)
    if out.suffix.lower() not in (".html", ".htm"):  # --force must not turn a key, a record or a table into a page
        raise DecideError(f"{out}: a report is an HTML page; give an output name ending in .html (e.g. report.html)")
    check_settings(args.draws, args.seed)
    decision = Decision.from_yaml(case)
    r = build_report(decision, draws=args.draws, seed=args.seed, source=str(case))
    command = "decide " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if len(sys.argv) > 2 else None
    from decide._html import without_property_lists

    with without_property_lists():  # the figures load matplotlib
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
    p.add_argument("--force", action="store_true", help="replace an existing output file (never the case file)")
    p.add_argument("--draws", type=int, default=DRAWS,
                   help=f"simulation draws (default {DRAWS}, as decide compare; from {MIN_DRAWS} to {MAX_DRAWS})")
    p.add_argument("--seed", type=int, default=SEED,
                   help=f"random seed; the same seed gives the same report (default {SEED}, as decide compare)")
    p.add_argument("--title", help="title of the report")
    p.set_defaults(func=_run)


def _run(args) -> int:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # library warnings would interleave with the summary
        return cmd_report(args)


__all__ = ["CaseReport", "build_report", "check_settings", "cmd_report", "figures", "horizon_sentence",
           "margin_sentence", "plain_summary", "regret_sentence", "register", "report_html", "scale_text",
           "tornado_vs_lead_sentence", "value_vs_best_sentence", "weights_sentence", "write_report"]
