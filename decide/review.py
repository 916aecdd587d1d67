"""Review: judge a recorded decision against what later happened, without hindsight.

A review starts from the record alone. It re-runs the record's own analysis (same case, same
draws, same seed) and refuses to go on unless that reproduces the recorded numbers (exactly on
the same kind of computer; to the last digits on another), so every number in the review is one
the decision-makers could have seen on the day. Then it says:

* how likely the record said the outcome was (for the option carried out, and for the others);
* whether the chosen option was reasonable under the record's own distributions;
* what, known at the time, would have changed the choice (switch points of the inputs and of
  the harm weight, and how likely the record thought it was that an input lay beyond them);
* a checklist drawn from published risk principles (paraphrased, with sources).

The outcome is never used to update the record's numbers: that is the point. The review also says
which guarantee the record itself has (signed with a trusted key, or protected only against
accidental change); given trusted public keys, it refuses a record that is unsigned, signed by
another key, or changed since it was signed.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from decide.compare import harm_weight_switches as weight_switches  # noqa: F401 (used below and re-exported)
from decide.errors import DecideError
from decide.judge import UK_YARDSTICK
from decide.record import (
    NUMERIC_PACKAGES,
    Record,
    analysis_numbers,
    canonical_json,
    check_signature,
    installed_versions,
    load_record,
)

#: Conventions for the verdict on the choice (stated in every report, so a reader can disagree).
CLOSE_CALL_PROBABILITY_BEST = 0.2
#: How many inputs (largest one-way swing first) are searched for switch points.
SWITCH_INPUTS = 6

#: The checklist: each question paraphrases a published principle; the source is given with it.
PRINCIPLES = [
    ("judge-the-reasoning",
     "Is the decision being judged by the quality of the decision-making on what was known at the time, and not by "
     "how things turned out?",
     "College of Policing, Authorised Professional Practice: Risk, principle 4 (paraphrased); Munro (2019), Child & "
     "Family Social Work, adapting the principles to child protection"),
    ("good-decision-bad-outcome",
     "Has everyone involved accepted that harm can never be totally prevented: a sound decision can be followed by "
     "harm, and a decision is not shown to be right just because no harm followed?",
     "College of Policing, APP Risk, principle 4 (paraphrased)"),
    ("uncertainty-acknowledged",
     "Was uncertainty treated as unavoidable and stated openly (ranges, confidence), rather than hidden or treated "
     "as a failing?",
     "College of Policing, APP Risk, principle 1 (paraphrased): deciding under uncertainty is a core professional task"),
    ("what-was-known",
     "Is it clear what was known on the day, where it came from and how far it could be trusted, so that later "
     "knowledge is not read back into it?",
     "Munro (2019) on judging decisions by the information available at the time (paraphrased)"),
    ("every-option",
     "Were the harms and benefits of every option weighed, including leaving things as they were? (There is no "
     "option free of harm.)",
     "decide's own framing of a decision, not a published principle: no option is free of harm, so every option, "
     "including leaving things as they are, is weighed for its harms and its benefits"),
    ("would-have-changed",
     "Could anything that was knowable at the time, and reasonably obtainable, have changed the choice? (See the "
     "switch points above: would finding it out have been realistic, and worth the delay for the child?)",
     "Munro (2019), paraphrased: ask what was reasonably knowable, not what is known now"),
    ("learning-not-blame",
     "Does the review lead to learning for the organisation (what would help the next decision) rather than to "
     "finding someone to blame?",
     "Westrum (2004): in a generative culture failure leads to inquiry, not scapegoating; Munro (2019): a just and "
     "learning culture"),
]


@dataclass
class Review:
    """Everything in a review; the HTML report and the notebooks draw from these tables."""

    record: Record
    option: str  # the option carried out
    happened: list[str]
    not_happened: list[str]
    chances: pd.DataFrame  # how likely the record said each named outcome was, under every option that has it
    joint_chance: float  # the record's chance of exactly this combination, under the option carried out
    choice: dict  # verdict on the choice
    switches: pd.DataFrame  # what, known at the time, would have changed the choice
    weight_switches: pd.DataFrame  # harm weights at which the best option changes
    checklist: list[dict]
    reproduced: dict = field(default_factory=dict)  # which stored tables were reproduced
    notes: list[str] = field(default_factory=list)
    how_reproduced: str = "exactly"  # or "to within ... %" (re-computed on another kind of processor)
    guarantee: str = ""  # which protection the record has (signed and checked, or only against accidental change)

    @property
    def summary(self) -> pd.DataFrame:
        return self.record.table("summary")


# --- reproduction ---------------------------------------------------------------------------------


#: Fields of stored tables that are wording, not numbers: a newer wording of an input's label
#: must not make a record unreviewable.
PRESENTATION_FIELDS = {"description"}


#: How closely a re-run must match the record: every number within this share of its scale (1
#: for chances and shares, which lie between 0 and 1; otherwise the largest number recorded).
#: Processors differ in the last digits of floating-point arithmetic (numpy chooses its code by
#: processor), and a judgement fitted by an optimiser can then come out a hair different; on the
#: same kind of computer the numbers come back exactly. Anything larger means the analysis is not
#: the one recorded.
REPRODUCE_TOLERANCE = 1e-3


def _cells(value, path=()):
    """(column, value) for every number or text of a stored table, in order, leaving out wording
    (:data:`PRESENTATION_FIELDS`); rows of a list share their columns."""
    if isinstance(value, dict):
        for k in sorted(value):
            if k not in PRESENTATION_FIELDS:
                yield from _cells(value[k], (*path, k))
    elif isinstance(value, list):
        for item in value:
            yield from _cells(item, path)
    else:
        yield path, value


def _is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def largest_number(tables) -> float:
    """The largest absolute number in some stored tables: the scale of their points."""
    return max((abs(float(v)) for _, v in _cells(tables) if _is_number(v) and np.isfinite(v)), default=1.0)


def difference(new, old, scale: float | None = None) -> float:
    """How far a re-computed table is from the stored one: the largest difference of any number as a
    share of its scale (1 for columns of chances and shares, otherwise ``scale``, by default the
    largest number in the stored table); 0 when identical, infinity when any text, count of rows
    or column differs."""
    a, b = list(_cells(new)), list(_cells(old))
    if [p for p, _ in a] != [p for p, _ in b]:
        return float("inf")
    table_scale = largest_number(old) if scale is None else scale
    shares = {p for p, _ in b} - {p for p, v in b if not (_is_number(v) and 0 <= v <= 1)}
    worst = 0.0
    for (path, x), (_, y) in zip(a, b):
        if x == y:
            continue
        if not (_is_number(x) and _is_number(y) and np.isfinite(x) and np.isfinite(y)):
            return float("inf")
        worst = max(worst, abs(float(x) - float(y)) / max(1.0 if path in shares else table_scale, 1e-12))
    return worst


def reproduce(record: Record):
    """Re-run the record's analysis and check every stored number comes back; returns the simulation,
    which tables matched, notes for the reader, and how closely they matched ("exactly" or not).

    Same case, draws and seed give the same numbers with the same library versions: exactly on
    the same kind of computer, and within :data:`REPRODUCE_TOLERANCE` on another. If the numbers
    differ by more, the review is refused and the versions that differ are named.
    """
    s = record.settings
    numbers, sim = analysis_numbers(record.decision, s["draws"], s["seed"], s["interval"])
    numbers = json.loads(canonical_json(numbers))
    stored = record.content["analysis"]
    scale = largest_number([stored.get(key) for key in numbers])  # the tables compared, not the settings
    gaps = {key: difference(numbers[key], stored.get(key), scale) for key in numbers}
    matched = {key: gap <= REPRODUCE_TOLERANCE for key, gap in gaps.items()}
    now = installed_versions()
    differ = {k: (v, now.get(k)) for k, v in record.versions.items() if k in NUMERIC_PACKAGES and now.get(k) != v}
    notes = []
    if not all(matched.values()):
        bad = ", ".join(k for k, ok in matched.items() if not ok)
        if differ:
            pins = " ".join(f"{k}=={was}" for k, (was, _) in differ.items() if k != "decide")
            raise DecideError(
                f"{record.name}: re-running the record's analysis (seed {s['seed']}, {s['draws']} draws) does not give the "
                f"numbers it recorded ({bad} differ), and these installed versions differ from the record's: "
                + "; ".join(f"{k} {now_v} (record: {was})" for k, (was, now_v) in differ.items())
                + ". A review must use the numbers the decision-makers saw; install the recorded versions"
                + (f" (pip install {pins})" if pins else "") + " and review it again"
            )
        raise DecideError(
            f"{record.name}: re-running the record's analysis does not reproduce its numbers ({bad} differ) although the "
            "library versions match. This should not happen; please report it with the record file"
        )
    how = "exactly"
    if any(gaps.values()):
        key = max(gaps, key=gaps.get)
        pct = f"{gaps[key] * 100:.1g} %"
        how = f"to within {pct} (last-digit differences between processors)"
        notes.append(f"Re-computed on this computer, some numbers differ from the record's in their last digits (at most "
                     f"{pct} of their scale, in '{key}'), as arithmetic on different kinds of processor does; this "
                     f"review reports the record's own numbers.")
    if differ:
        notes.append("Installed versions differ from the record's ("
                     + "; ".join(f"{k} {now_v}, record {was}" for k, (was, now_v) in differ.items())
                     + f"), but every recorded number was reproduced {how}.")
    return sim, matched, notes, how


# --- the parts of a review -------------------------------------------------------------------------


def percent(p: float) -> str:
    """A share as a whole percentage, never '100%' for one that is not all nor '0%' for one that is not none."""
    return whole_percent_text(round(p * 100), p)


def whole_percents(shares: dict) -> dict:
    """Shares that add up to 1, as whole percentages that add up to 100 (largest remainders get the spare points),
    so a sentence's figures add up; each still follows :func:`percent`'s rule at 0 and 100."""
    scaled = {k: float(v) * 100 for k, v in shares.items()}
    whole = {k: int(np.floor(v)) for k, v in scaled.items()}
    spare = round(sum(scaled.values())) - sum(whole.values())
    for k in sorted(scaled, key=lambda k: whole[k] - scaled[k])[:max(spare, 0)]:  # largest remainder first (stable)
        whole[k] += 1
    return whole


def whole_percent_text(whole: int, p: float) -> str:
    """A whole percentage from :func:`whole_percents` as text, with :func:`percent`'s rule at 0 and 100."""
    return "over 99%" if whole >= 100 and p < 1 else "under 1%" if whole <= 0 and p > 0 else f"{whole}%"


def in_words(p: float) -> str:
    """A probability in the words of the UK PHIA probability yardstick (or between two of its bands)."""
    bands = [(lo, hi, term) for term, (lo, hi) in UK_YARDSTICK.items() if term != "probably"]
    for lo, hi, term in bands:
        if lo <= p <= hi:
            return f"'{term}' ({lo:.0%}–{hi:.0%})"
    below = max((b for b in bands if b[1] < p), key=lambda b: b[1])
    above = min((b for b in bands if b[0] > p), key=lambda b: b[0])
    return f"between '{below[2]}' and '{above[2]}' (in a deliberate gap of the yardstick)"


def _check_outcomes(record: Record, option: str, names: list[str], flag: str) -> None:
    import difflib

    have = [o.name for o in record.decision.option(option).outcomes]
    for n in names:
        if n not in have:
            close = difflib.get_close_matches(n, have, n=1, cutoff=0.5)
            raise DecideError(
                f"{flag} '{n}' is not an outcome the record listed for '{option}'"
                + (f" (did you mean '{close[0]}'?)" if close else "")
                + f"; its outcomes are: {'; '.join(have)}. An outcome nobody listed is itself a finding (it was an "
                  "unknown unknown): record it in the review meeting's own notes, rather than naming it here"
            )


def outcome_chances(record: Record, happened: list[str], not_happened: list[str], option: str) -> pd.DataFrame:
    """How likely the record said each named outcome was, under every option that listed it (the record's numbers)."""
    table = record.table("outcomes")
    rows = []
    for name in [*happened, *not_happened]:
        for _, r in table[table["outcome"] == name].iterrows():
            rows.append({"outcome": name, "happened": name in happened, "option": r["option"], "carried_out": r["option"] == option,
                         "kind": r["kind"], "chance": r["chance"], "chance_lower": r["chance_lower"],
                         "chance_upper": r["chance_upper"], "in_words": in_words(r["chance"])})
    out = pd.DataFrame(rows, columns=["outcome", "happened", "option", "carried_out", "kind", "chance", "chance_lower",
                                      "chance_upper", "in_words"])
    out.attrs.update(interval=record.settings["interval"])
    return out


def joint_chance(sim, option: str, happened: list[str], not_happened: list[str]) -> float:
    """The record's chance that exactly these outcomes happened (and these did not), under one option.

    Given the chances, outcomes happen independently; the chances themselves are uncertain and may
    share inputs, so the joint chance is the average over draws of the product.
    """
    ds = sim.dataset
    c = ds["chance"].sel(option=option)
    p = np.ones(ds.sizes["draw"])
    for name in happened:
        p = p * c.sel(outcome=name).values
    for name in not_happened:
        p = p * (1 - c.sel(outcome=name).values)
    return float(p.mean())


def best_weights(summary: pd.DataFrame, option: str, low: float, high: float) -> tuple[float, float] | None:
    """The range of harm weights within [low, high] at which ``option`` has the highest expected value, if any."""
    sw = weight_switches(summary, low, high)
    edges = [low, *sw["harm_weight"], high]
    bests = [str(summary.index[int(np.argmax(summary["expected_benefit"] - low * summary["expected_harm"]))]), *sw["to_option"]]
    spans = [(edges[i], edges[i + 1]) for i, b in enumerate(bests) if b == option]
    return spans[0] if spans else None  # lines cross at most once, so an option is best on one interval at most


def judge_choice(record: Record, option: str, sim=None) -> dict:
    """Was the chosen option reasonable under the record's own distributions? A verdict with its reasons.

    Given the record's reproduced simulation ``sim``, options the report calls impossible to tell apart
    (decide.compare.lead: within two Monte Carlo standard errors, or equal in every draw) count as equally best,
    so the verdict cannot depend on the order the options were listed in."""
    summ = record.table("summary")
    w = record.settings["harm_weight"]
    low, high = record.settings["harm_weight_range"]
    ranked = summ["expected_value"].sort_values(ascending=False, kind="stable")
    best = str(ranked.index[0])
    row = summ.loc[option]
    span = best_weights(summ, option, low, high)
    lead = float(ranked.iloc[0] - row["expected_value"])
    tied = []
    if sim is not None:
        from decide.compare import lead as lead_of

        top = lead_of(sim)
        tied = [o for o in top.tied if o != option] if option in top.tied else []
    departs = option != best and not tied
    if not departs and tied:
        verdict = "reasonable"
        others = ", ".join(f"'{o}'" for o in tied[:-1]) + (" and " if len(tied) > 1 else "") + f"'{tied[-1]}'"
        same = all(np.array_equal(sim.dataset["expected_value"].sel(option=o).values,
                                  sim.dataset["expected_value"].sel(option=option).values) for o in tied)
        why = ("the same expected value in every one of the possible worlds" if same else
               f"expected values within the simulation's own error of each other ({row['expected_value']:.1f} against "
               f"{ranked.iloc[0]:.1f} points at harm weight {w:g})")
        because = (f"On the record's own numbers '{option}' cannot be told apart from {others}: they had {why}. "
                   f"Choosing any of them is supported by the record; what separates them has to come from something "
                   "the record does not state, which the reasons given on the day should say.")
    elif not departs:
        verdict = "reasonable"
        because = (f"On the record's own numbers '{option}' had the highest expected value ({row['expected_value']:.1f} "
                   f"points at harm weight {w:g}); it was best in {percent(row['probability_best'])} of the possible worlds.")
    elif span is not None:
        side = "lower" if span[1] <= w else "higher"
        verdict = f"defensible only at a {side} harm weight than the record used"
        because = (f"The team's choice departed from the record's own analysis: at the harm weight the record itself used "
                   f"({w:g}), '{best}' had the highest expected value, {lead:.1f} points above '{option}'. '{option}' would "
                   f"have had the highest expected value only with a harm weight between {span[0]:.2f} and {span[1]:.2f}, "
                   f"{side} than the record's {w:g} (it allowed {low:g} to {high:g}). How heavily harm is weighed against "
                   f"benefit is a contestable value, so the choice can be defended only if the team weighed harm "
                   f"{'less' if side == 'lower' else 'more'} heavily than its own record did; the reasons recorded on the "
                   "day should say so.")
    elif row["probability_best"] >= CLOSE_CALL_PROBABILITY_BEST:
        verdict = "a close call"
        because = (f"The team's choice departed from the record's own analysis: '{best}' had the highest expected value, "
                   f"{lead:.1f} points above '{option}', at every harm weight the record allowed ({low:g} to {high:g}); but "
                   f"'{option}' was best in {percent(row['probability_best'])} of the possible worlds, so the record's own "
                   "uncertainty left real room for it.")
    else:
        verdict = "not supported by the record"
        because = (f"The team's choice departed from the record's own analysis: '{best}' had the highest expected value at "
                   f"every harm weight the record allowed ({low:g} to {high:g}); '{option}' was {lead:.1f} points lower "
                   f"and best in only {percent(row['probability_best'])} of the possible worlds. The reasons given on the day "
                   "should explain what the analysis left out.")
    return {
        "verdict": verdict, "because": because, "option": option, "best": best, "tied_with": tied, "lead_of_best": lead,
        "departs": departs,
        "rank": int(list(ranked.index).index(option)) + 1, "of": len(ranked),
        "expected_value": float(row["expected_value"]), "lower": float(row["lower"]), "upper": float(row["upper"]),
        "probability_best": float(row["probability_best"]), "expected_regret": float(row["expected_regret"]),
        "best_weights": span, "harm_weight": w, "harm_weight_range": (low, high),
        "rule": (f"reasonable: the highest expected value at the harm weight the record used, or one that cannot be told "
                 f"apart from it (within two Monte Carlo standard errors); defensible only at a "
                 f"lower (or higher) harm weight: the highest at some other weight the record allowed, so the choice "
                 f"departs from the record's own analysis; a close call: best in at least "
                 f"{CLOSE_CALL_PROBABILITY_BEST:.0%} of the possible worlds although another option had the highest "
                 "expected value at every allowed weight; otherwise not supported by the record. These are conventions "
                 "of decide, not rules of law or practice."),
    }


def switch_meaning(chosen: str, below: str, above: str, middle: float, at: float, chance_beyond: float) -> str:
    """What one switch point says about the chosen option, in a sentence built from which side favours it.

    The record's middle value lies on one side of the switch; ``chance_beyond`` is the record's
    chance that the input lay on the other side. A small chance supports the choice only if the
    chosen option is the one favoured on the middle's side."""
    near, far = (below, above) if middle <= at else (above, below)
    side = f"{'above' if middle <= at else 'below'} {at:.3g}"
    if chosen == near:
        return (f"supports the choice as far as the record could tell: it gave a {chance_beyond:.0%} chance that this "
                f"input lay {side}, where '{far}' would have been preferred to '{chosen}'")
    if chosen == far:
        return (f"the chosen '{chosen}' is preferred only if this input lay {side}, and the record gave that a "
                f"{chance_beyond:.0%} chance; at its middle value ({middle:.3g}) '{near}' was preferred")
    return f"a switch between '{below}' and '{above}', neither of them the chosen '{chosen}'"


def input_switches(record: Record, sim, n: int = SWITCH_INPUTS, chosen: str | None = None) -> pd.DataFrame:
    """For the inputs that move the choice most: the value at which the preferred option switches, how likely
    the record thought it was that the input lay beyond it (everything from the record's own draws), and what
    that means for the ``chosen`` option (default: the record's)."""
    from decide.compare import threshold

    torn = record.table("tornado")
    q = sim.quantity_draws()
    rows = []
    for name in torn["quantity"].head(n):
        t = threshold(sim, name)
        j = sim.model.quantities.index(name)
        draws = q[:, j]
        for _, s in t.switches.iterrows():
            middle, at = float(np.median(draws)), float(s["value"])
            beyond = float(np.mean(draws > at) if middle <= at else np.mean(draws < at))
            rows.append({
                "quantity": name, "description": sim.model.labels.get(name, name),
                "record_middle": middle, "switch_at": at, "below": s["from_option"], "above": s["to_option"],
                "record_chance_beyond": beyond,
                "meaning": switch_meaning(chosen or record.chosen, s["from_option"], s["to_option"], middle, at, beyond),
            })
    return pd.DataFrame(rows, columns=["quantity", "description", "record_middle", "switch_at", "below", "above",
                                       "record_chance_beyond", "meaning"])


def checklist(record: Record, choice: dict, switches: pd.DataFrame, how_reproduced: str = "exactly") -> list[dict]:
    """The principles as questions, each with what the record itself shows (the reviewers answer the rest)."""
    d = record.decision
    known = d.known_at_time
    later = len(d.learned_after)
    rated = sum(e.reliability != "unknown" for e in known)
    sourced = sum(bool(e.source.strip()) for e in known)
    no_harm = [o.name for o in d.options if not any(x.kind == "harm" for x in o.outcomes)]
    no_benefit = [o.name for o in d.options if not any(x.kind == "benefit" for x in o.outcomes)]
    reason = record.content["chosen"]["reason"].strip()
    shows = {
        "judge-the-reasoning": (f"This review uses only the record, written on {record.content['recorded_at'][:10]} for a "
                                f"decision of {record.content['decided_on']}; its numbers were re-computed and matched {how_reproduced}."),
        "good-decision-bad-outcome": (f"The record put a chance on each outcome before it happened (shown above, beside "
                                      f"what happened). Verdict on the choice: {choice['verdict']}."),
        "uncertainty-acknowledged": (f"{len(d.quantities)} shared inputs were stated as distributions; the chosen option's "
                                     f"expected value ran from {choice['lower']:.1f} to {choice['upper']:.1f} points "
                                     f"({record.settings['interval']:.0%} interval)."),
        "what-was-known": (f"{len(known)} items of evidence were recorded; {sourced} with a source and {rated} with a "
                           "reliability rating." + (" None was recorded: the review cannot tell what was known." if not known else "")
                           + (f" {later} more {'were' if later != 1 else 'was'} learned only after the decision and left out "
                              "of its analysis (listed apart)." if later else "")),
        "every-option": (f"{len(d.options)} options were weighed."
                         + (f" Options listed with no harm: {'; '.join(no_harm)}." if no_harm else " Every option had a harm listed.")
                         + (f" Options listed with no benefit: {'; '.join(no_benefit)}." if no_benefit else " Every option had a benefit listed.")),
        "would-have-changed": (f"{len(switches)} switch point(s) found among the inputs that move the choice most."
                               if len(switches) else
                               "Every input was given as a fixed number, so there was nothing uncertain to move."
                               if record.table("tornado").empty else
                               "No input, moved alone within its plausible range, would have changed the choice."),
        "learning-not-blame": ("Reasons recorded on the day: " + (f"“{reason}”" if reason else "none were recorded") + "."),
    }
    return [{"key": k, "question": q, "source": s, "record_shows": shows[k]} for k, q, s in PRINCIPLES]


def review(record: Record | str | os.PathLike, happened: list[str] | str = (), *, not_happened=(),
           option: str | None = None, trust=None) -> Review:
    """Review a record against what later happened (outcomes that happened, and optionally ones that did not).

    ``trust``: public keys (paths, or :class:`decide.signing.PublicKey`) whose signatures are trusted; given
    any, a record that is unsigned, signed by another key or changed since signing is refused."""
    from decide.signing import PublicKey, load_public_key

    trusted = [k if isinstance(k, PublicKey) else load_public_key(k) for k in (trust or [])]
    if not isinstance(record, Record):
        record = load_record(record)
    guarantee = check_signature(record, trusted)
    happened = [happened] if isinstance(happened, str) else list(happened)
    not_happened = [not_happened] if isinstance(not_happened, str) else list(not_happened)
    option = option or record.chosen
    options = [o.name for o in record.decision.options]
    if option not in options:
        raise DecideError(f"--option '{option}' is not an option of the recorded case; options: {'; '.join(options)}")
    if not happened and not not_happened:
        raise DecideError("say what happened: name at least one outcome with --outcome (or --not-happened)")
    both = set(happened) & set(not_happened)
    if both:
        raise DecideError(f"{sorted(both)} named as both happened and not happened; name each outcome once")
    _check_outcomes(record, option, happened, "--outcome")
    _check_outcomes(record, option, not_happened, "--not-happened")
    sim, matched, notes, how = reproduce(record)
    choice = judge_choice(record, option, sim)
    if option != record.chosen:
        notes.append(f"The record says '{record.chosen}' was chosen, but '{option}' was carried out; this review judges "
                     f"'{option}'.")
    switches = input_switches(record, sim, chosen=option)
    low, high = record.settings["harm_weight_range"]
    return Review(
        record=record, option=option, happened=happened, not_happened=not_happened,
        chances=outcome_chances(record, happened, not_happened, option),
        joint_chance=joint_chance(sim, option, happened, not_happened),
        choice=choice, switches=switches, weight_switches=weight_switches(record.table("summary"), low, high),
        checklist=checklist(record, choice, switches, how), reproduced=matched, notes=notes, how_reproduced=how,
        guarantee=guarantee,
    )


def plain_summary(rv: Review) -> list[str]:
    """The review in sentences, most important first."""
    rec = rv.record
    c = rv.choice
    out = [f"On {rec.content['decided_on']}, {', '.join(rec.content['decided_by'])} chose '{rv.option}'. This review uses "
           f"only what was recorded that day; the record's numbers were re-computed from its case and seed and matched {rv.how_reproduced}.",
           rv.guarantee]
    mine = rv.chances[rv.chances["carried_out"]]
    for _, r in mine.iterrows():
        verb = "happened" if r["happened"] else "did not happen"
        out.append(f"'{r['outcome']}' {verb}. The record put its chance under '{r['option']}' at {r['chance']:.0%} "
                   f"({rec.settings['interval']:.0%} interval {r['chance_lower']:.0%}–{r['chance_upper']:.0%}), "
                   f"{in_words(r['chance'])} on the UK probability yardstick.")
        others = rv.chances[(rv.chances["outcome"] == r["outcome"]) & ~rv.chances["carried_out"]]
        if len(others):
            out.append("Under the other options it was not zero either: " + "; ".join(
                f"'{o['option']}' {o['chance']:.0%}" for _, o in others.iterrows()) + ".")
    if len(rv.happened) + len(rv.not_happened) > 1:
        out.append(f"The record's chance of exactly this combination of outcomes was {rv.joint_chance:.1%}.")
    out.append(f"Was the choice reasonable on what was known? {c['verdict'].capitalize()}. {c['because']}")
    if len(rv.switches):
        top = rv.switches.iloc[0]
        side = "above" if top["switch_at"] > top["record_middle"] else "below"
        far = top["above"] if side == "above" else top["below"]
        lead = ("What would have changed it: for example, if" if far != rv.option else
                "What would have favoured it more clearly: if")
        out.append(f"{lead} {top['description']} had been {side} {top['switch_at']:.3g} (the record's middle value was "
                   f"{top['record_middle']:.3g}, and it gave that a {top['record_chance_beyond']:.0%} chance), "
                   f"'{far}' would have been preferred.")
    out.append("A single outcome cannot show whether a chance was judged well: a 30 % chance happens three times in ten. "
               "Only many records, compared with what happened, can check how well chances are judged.")
    return out


#: Plain headings for the review's tables wherever a person reads them (notebooks), in place of column names.
HEADINGS = {
    "option": "option", "expected_value": "expected net value (points)", "lower": "interval: low end",
    "upper": "interval: high end", "expected_benefit": "expected benefit", "expected_harm": "expected harm",
    "probability_best": "chance it was the best option", "expected_regret": "expected regret (average shortfall from the best)",
    "outcome": "outcome", "chance": "chance (average)", "chance_lower": "interval: low end", "chance_upper": "interval: high end",
    "in_words": "in words (UK yardstick)", "description": "input", "record_middle": "record's middle value",
    "switch_at": "switch at", "below": "best below", "above": "best above",
    "record_chance_beyond": "record's chance it lay beyond", "meaning": "what it says about the choice",
}


def for_reading(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Some columns of a review table under plain headings (the index, if named, too): for people, not code."""
    out = table[columns].rename(columns=HEADINGS)
    if out.index.name in HEADINGS:
        out.index.name = HEADINGS[out.index.name]
    return out


# --- report -----------------------------------------------------------------------------------------


def known_in_words(record: Record) -> list[dict]:
    """The evidence known on the day, each with the inputs it bears on named by their descriptions, not identifiers
    (items learned after the decision are left out: see learned_later_items)."""
    words = dict(zip(record.table("tornado")["quantity"], record.table("tornado")["description"]))
    for q in record.content["case"].get("quantities", []):
        words.setdefault(q["name"], q.get("description") or q["name"].replace("_", " "))
    return [{**e, "informs": [words.get(n, n.replace("_", " ")) for n in e.get("informs", [])]}
            for e in record.content["case"]["known"] if not e.get("learned_later")]


def learned_later_items(record: Record) -> list[dict]:
    """Evidence the case marks as learned only after the decision: shown apart, as not available at the time."""
    return [e for e in record.content["case"]["known"] if e.get("learned_later")]


def report_html(rv: Review, *, command: str | None = None, title: str | None = None) -> str:
    """The review as one self-contained HTML page (figures embedded)."""
    from decide import __version__
    from decide._html import figure_to_data_uri, render
    from decide.plots import decision as dplots
    from decide.plots import training as tplots

    rec = rv.record
    summ = rec.table("summary")
    low, high = rec.settings["harm_weight_range"]
    figures = {
        "chances": figure_to_data_uri(tplots.plot_outcome_chances(rv.chances)),
        "value": figure_to_data_uri(tplots.plot_choice(summ, rv.option)),
        "weights": figure_to_data_uri(dplots.plot_value_by_harm_weight(summ, (low, high), rec.settings["harm_weight"],
                                                                       switches=rv.weight_switches)),
    }
    shown = summ[["expected_value", "lower", "upper", "expected_benefit", "expected_harm", "probability_best",
                  "expected_regret"]].reset_index()  # the template names each column in plain words
    return render(
        "review.html",
        title=title or f"Review of a recorded decision: {rec.content['case_name'].replace('_', ' ')} ({rec.content['decided_on']})",
        rv=rv, rec=rec, summary=plain_summary(rv), figures=figures,
        summary_rows=shown.to_dict(orient="records"),
        known=known_in_words(rec), learned_later=learned_later_items(rec),
        horizons={(o["name"], x["name"]): x["horizon"] for o in rec.content["case"]["options"] for x in o["outcomes"]},
        switches=rv.switches.to_dict(orient="records"),
        weight_switches=rv.weight_switches.to_dict(orient="records"),
        versions_now=installed_versions(), interval_pct=f"{rec.settings['interval']:.0%}",
        command=command, version=__version__,
    )


def write_review(rv: Review, out, *, force: bool = False, **kw) -> Path:
    from decide._html import write_new

    return write_new(out, report_html(rv, **kw), force=force)


def cmd_review(args) -> int:
    from decide.files import plan_outputs
    from decide.signing import load_public_key

    out = Path(args.output)
    if out.suffix.lower() not in (".html", ".htm"):
        raise DecideError(f"{out}: a review is an HTML page; give an output name ending in .html (e.g. review.html)")
    plan_outputs([out], inputs=[args.record, *(args.trust or [])], force=args.force)  # before anything is computed
    trusted = [load_public_key(k) for k in args.trust or []]
    rv = review(args.record, args.outcome or [], not_happened=args.not_happened or [], option=args.option, trust=trusted)
    command = "decide " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if len(sys.argv) > 2 else None
    path = write_review(rv, out, force=args.force, command=command)
    for line in plain_summary(rv)[1:]:
        print("- " + line)
    print(f"wrote {path}")
    return 0


def register(subparsers) -> None:
    help_text = "review a recorded decision against what later happened, without hindsight (HTML)"
    p = subparsers.add_parser("review", help=help_text, description=help_text + ". Example: decide review "
                              "records/return_home_2026-10-05_ab12cd34ef56.json --outcome 're-abuse or neglect' "
                              "--trust team.key.pub -o review.html")
    p.add_argument("record", help="a record file written by `decide record` (CASE_DATE_HASH.json)")
    p.add_argument("--outcome", action="append", metavar="NAME",
                   help="an outcome (as named in the case) that happened; repeat for several")
    p.add_argument("--not-happened", action="append", metavar="NAME", help="an outcome that did not happen; repeatable")
    p.add_argument("--option", help="the option actually carried out (default: the one the record says was chosen)")
    p.add_argument("--trust", nargs="+", action="extend", metavar="PUBKEY",
                   help="public key file(s) (KEYFILE.pub) whose signatures are trusted: refuse the record unless one of "
                        "them signed it and it is unchanged since")
    p.add_argument("-o", "--output", required=True, help="the HTML review to write, a name ending .html (never an input such as the record)")
    p.add_argument("--force", action="store_true", help="replace an existing output file (never an input)")
    p.set_defaults(func=cmd_review)
