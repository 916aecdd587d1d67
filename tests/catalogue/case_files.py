"""Catalogue: case files (YAML) that are bad, hostile, or valid but odd.

Each bad case is the smallest valid case (or an example) with one thing changed, run through
`decide check`; each valid one through `decide check` and `decide compare --draws 500`.
"""

from __future__ import annotations

import copy
import re

from _shared import MINIMAL_CASE, dump, example
from hostile import Entry

ENTRIES: list[Entry] = []


def warm_up(folder) -> None:
    """Load preliz and the simulation before the clock starts: the first load takes 5-15 s on a
    busy machine, and the time limit is for the command, not for importing libraries."""
    from decide.judge import _preliz

    _preliz()
    import decide.compare  # noqa: F401
    import decide.simulate  # noqa: F401


def _case(change=None) -> str:
    data = copy.deepcopy(MINIMAL_CASE)
    if change is not None:
        change(data)
    return dump(data)


def _set(*path_and_value):
    *path, value = path_and_value

    def change(d):
        cur = d
        for k in path[:-1]:
            cur = cur[k]
        cur[path[-1]] = value

    return change


def _update(**fields):
    return lambda d: d.update(fields)


def refused(id_, klass, change_or_text, message, argv=("check", "case.yaml")):
    text = change_or_text if isinstance(change_or_text, str | bytes) else _case(change_or_text)
    ENTRIES.append(Entry(f"case/{id_}", klass, list(argv), "refused", {"case.yaml": text}, message=message, setup=warm_up))


def valid(id_, text, compare=True):
    files = {"case.yaml": text}
    ENTRIES.append(Entry(f"case/{id_}", "valid input", ["check", "case.yaml"], "valid", files, setup=warm_up))
    if compare:
        ENTRIES.append(Entry(f"case/{id_}-compare", "valid input", ["compare", "case.yaml", "--draws", "500"], "valid", files,
                             setup=warm_up))


HOME0 = ("options", 0, "outcomes", 0)  # chance: harm_rate (a quantity), magnitude 60
CARE0 = ("options", 1, "outcomes", 0)  # chance 0.3, magnitude 30
Q0 = ("quantities", 0)
NAN, INF = float("nan"), float("inf")
ENQUIRY = {"name": "assessment", "informs": ["harm_rate"], "weeks": 6}
SCENARIO = {"name": "worse", "quantities": {"harm_rate": 0.5}}

# --- non-finite numbers: every place a number goes -------------------------------------------------
NF = "non-finite number"
FINITE = r"finite number|NaN|not a number"
for where, path in {
    "chance": CARE0 + ("chance",),
    "magnitude": CARE0 + ("magnitude",),
    "low": Q0 + ("judgement", "low"),
    "likely": Q0 + ("judgement", "likely"),
    "high": Q0 + ("judgement", "high"),
}.items():
    for name, x in {"nan": NAN, "inf": INF, "neg-inf": -INF}.items():
        refused(f"{where}-{name}", NF, _set(*path, x), FINITE)
refused("value-nan", NF, _set(*CARE0, "magnitude", {"value": NAN}), FINITE)
refused("value-inf-chance", NF, _set(*CARE0, "chance", {"value": INF}), FINITE)
refused("quantile-value-nan", NF, _set(*Q0, "judgement", {"quantiles": {0.1: 0.2, 0.9: NAN}}), FINITE)
refused("quantile-level-nan", NF, _set(*Q0, "judgement", {"quantiles": {0.1: 0.2, NAN: 0.4}}), FINITE)
refused("params-nan", NF, _set(*Q0, "judgement", {"distribution": "Beta", "params": {"alpha": NAN, "beta": 3}}), FINITE)
refused("params-inf", NF, _set(*Q0, "judgement", {"distribution": "Beta", "params": {"alpha": 2, "beta": INF}}), FINITE)
refused("weight-nan", NF, _set(*Q0, "judgement", {"low": 0.2, "likely": 0.3, "high": 0.4, "weight": NAN}), FINITE)
refused("odds-ratio-inf", NF, lambda d: (d.update(factors=[{"name": "drugs", "kind": "risk", "odds_ratio": INF}]),
                                         d["options"][0]["outcomes"][0].update(factors=["drugs"])), FINITE)
refused("odds-ratio-nan", NF, lambda d: d.update(factors=[{"name": "drugs", "kind": "risk", "odds_ratio": NAN}]), FINITE)
refused("odds-ratio-judgement-inf", NF, lambda d: d.update(
    factors=[{"name": "drugs", "kind": "risk", "odds_ratio": {"low": 1.2, "likely": 2, "high": INF}}]), FINITE)
refused("harm-weight-nan", NF, _update(values={"harm_weight": NAN}), FINITE)
refused("harm-weight-inf", NF, _update(values={"harm_weight": INF}), FINITE)
refused("harm-weight-range-nan", NF, _update(values={"harm_weight_range": [NAN, 4]}), FINITE)
refused("scale-min-nan", NF, _update(values={"scale_min": NAN}), FINITE)
refused("scale-max-inf", NF, _update(values={"scale_max": INF}), FINITE)
refused("delay-harm-nan", NF, _update(delay_harm_per_week=NAN), FINITE)
refused("delay-harm-judgement-inf", NF, _update(delay_harm_per_week={"low": 0.1, "likely": 0.2, "high": INF}), FINITE)
refused("weeks-nan", NF, _update(enquiries=[{**ENQUIRY, "weeks": NAN}]), FINITE)
refused("weeks-judgement-nan", NF, _update(enquiries=[{**ENQUIRY, "weeks": {"low": 2, "likely": NAN, "high": 8}}]), FINITE)
refused("scenario-value-nan", NF, _update(scenarios=[{"name": "worse", "quantities": {"harm_rate": NAN}}]), FINITE)
refused("scenario-odds-ratio-inf", NF, _update(scenarios=[{"name": "worse", "odds_ratios": {"harm": INF}}]), FINITE)
refused("scenario-harm-weight-nan", NF, _update(scenarios=[{**SCENARIO, "harm_weight": NAN}]), FINITE)
refused("nan-as-text-yaml", NF, _case().replace("magnitude: 30", "magnitude: .NaN"), FINITE)
refused("inf-as-text-yaml", NF, _case().replace("chance: 0.3", "chance: .Inf"), FINITE)

# --- wrong kind of value ----------------------------------------------------------------------------
WK = "wrong kind of value"
YESNO = r"yes/no.*give a number"
refused("chance-yes", WK, _case().replace("chance: 0.3", "chance: yes"), YESNO)
refused("chance-true", WK, _set(*CARE0, "chance", True), YESNO)
refused("magnitude-no", WK, _case().replace("magnitude: 30", "magnitude: no"), YESNO)
refused("odds-ratio-yes", WK, lambda d: d.update(factors=[{"name": "drugs", "kind": "risk", "odds_ratio": True}]), YESNO)
refused("low-true", WK, _set(*Q0, "judgement", "low", True), YESNO)
refused("weight-yes", WK, _set(*Q0, "judgement", {"low": 0.2, "likely": 0.3, "high": 0.4, "weight": True}), YESNO)
refused("harm-weight-yes", WK, _update(values={"harm_weight": True}), YESNO)
refused("scale-max-on", WK, _update(values={"scale_max": True}), YESNO)
refused("cases-yes", WK, _update(enquiries=[{**ENQUIRY, "cases": True}]), YESNO)
refused("weeks-yes", WK, _update(enquiries=[{**ENQUIRY, "weeks": True}]), YESNO)
refused("delay-harm-yes", WK, _update(delay_harm_per_week=True), YESNO)
refused("scenario-value-yes", WK, _update(scenarios=[{"name": "worse", "quantities": {"harm_rate": True}}]), YESNO)
refused("quantile-value-yes", WK, _set(*Q0, "judgement", {"quantiles": {0.1: 0.2, 0.9: True}}), YESNO)
refused("cases-fraction", WK, _update(enquiries=[{**ENQUIRY, "cases": 2.5}]), r"cases.*whole number")
refused("cases-text", WK, _update(enquiries=[{**ENQUIRY, "cases": "many"}]), r"cases.*whole number")
refused("verbal-magnitude", WK, _set(*CARE0, "magnitude", {"verbal": "likely"}), r"magnitude.*verbal likelihood.*describes a probability")
refused("verbal-odds-ratio", WK, lambda d: d.update(factors=[{"name": "drugs", "kind": "risk", "odds_ratio": {"verbal": "likely"}}]),
        r"odds_ratio.*verbal likelihood.*describes a probability")
refused("verbal-magnitude-quantity", WK, lambda d: d["quantities"].append(
    {"name": "severity", "kind": "magnitude", "judgement": {"verbal": "highly likely"}}), r"severity.*describes a probability")
refused("verbal-delay-harm", WK, _update(delay_harm_per_week={"verbal": "likely"}), r"delay_harm_per_week.*describes a probability")
refused("verbal-weeks", WK, _update(enquiries=[{**ENQUIRY, "weeks": {"verbal": "unlikely"}}]), r"weeks.*describes a probability")
refused("chance-list", WK, _set(*CARE0, "chance", [0.3, 0.4]), r"chance.*quantity, a number, or a judgement")
refused("magnitude-null", WK, _set(*CARE0, "magnitude", None), r"magnitude.*quantity, a number, or a judgement")
refused("chance-quoted-number", WK, _set(*CARE0, "chance", "0.3"), r"'0\.3'.*not defined.*without quotes")
refused("weeks-text", WK, _update(enquiries=[{**ENQUIRY, "weeks": "six"}]), r"weeks.*give a number, or a judgement")
refused("delay-harm-text", WK, _update(delay_harm_per_week="a lot"), r"delay_harm_per_week.*give a number")
refused("date-number", WK, _update(date=20260115), r"date.*not a date.*YYYY-MM-DD")
refused("date-words", WK, _update(date="last Tuesday"), r"date.*YYYY-MM-DD")
refused("date-with-time", WK, _case().replace("date: '2026-01-15'", "date: 2026-01-15 10:30:00"), r"date")
refused("options-text", WK, _update(options="home, care"), r"options.*list")
refused("question-list", WK, _update(question=["a", "b"]), r"question.*text")
refused("decided-by-text", WK, _update(decided_by="social worker"), r"decided_by.*list")
refused("horizon-mapping", WK, _set(*CARE0, "horizon", {"years": 1}), r"horizon.*text")
refused("outcomes-mapping", WK, _set("options", 0, "outcomes", {"name": "harm"}), r"outcomes.*list")
refused("quantiles-list", WK, _set(*Q0, "judgement", {"quantiles": [0.2, 0.4]}), r"quantiles")
refused("params-list", WK, _set(*Q0, "judgement", {"distribution": "Beta", "params": [2, 3]}), r"params")
refused("judgement-text", WK, _set(*Q0, "judgement", "about a third"), r"judgement")
refused("kind-misspelt", WK, _set(*CARE0, "kind", "harmful"), r"kind.*'harm' or 'benefit'")
refused("quantity-kind-unknown", WK, _set(*Q0, "kind", "percent"), r"kind.*'probability'")
refused("reliability-unknown", WK, _update(known=[{"what": "x", "source": "y", "reliability": "very"}]), r"reliability")
refused("verbal-number", WK, _set(*CARE0, "chance", {"verbal": 5}), r"verbal.*text")
refused("name-number", WK, _set("options", 1, "name", 7), r"name.*text")
refused("two-forms", WK, _set(*CARE0, "chance", {"verbal": "likely", "value": 0.3}), r"exactly one")
refused("no-form", WK, _set(*CARE0, "chance", {"by": "social worker"}), r"exactly one.*none")
refused("judgement-and-judgements", WK, _set(*Q0, "judgements", [{"value": 0.3}]), r"either 'judgement'.*or 'judgements'")
refused("judgements-empty", WK, lambda d: (d["quantities"][0].pop("judgement"), d["quantities"][0].update(judgements=[])),
        r"judgements.*empty")
refused("low-likely-high-incomplete", WK, _set(*Q0, "judgement", {"low": 0.2, "likely": 0.3}), r"all three")

# --- out of range -----------------------------------------------------------------------------------
OR = "out of range"
refused("chance-above-1", OR, _set(*CARE0, "chance", 1.5), r"1\.5.*between 0 and 1")
refused("chance-negative", OR, _set(*CARE0, "chance", -0.1), r"-0\.1.*between 0 and 1")
refused("value-chance-2", OR, _set(*CARE0, "chance", {"value": 2}), r"between 0 and 1")
refused("magnitude-above-scale", OR, _set(*CARE0, "magnitude", 150), r"150.*value scale")
refused("magnitude-negative", OR, _set(*CARE0, "magnitude", -5), r"-5.*value scale")
refused("magnitude-near-float-limit", OR, lambda d: (d.update(values={"scale_max": None}),
                                                    d["options"][1]["outcomes"][0].update(magnitude=1e307)),
        r"1,000,000")
refused("magnitudes-near-float-limit-judgement", OR, lambda d: (
    d.update(values={"scale_max": None}),
    d["options"][1]["outcomes"][0].update(magnitude={"low": 1e306, "likely": 1e307, "high": 1.5e307})), r"1,000,000")
refused("scale-max-huge", OR, _update(values={"scale_max": 1e300}), r"1,000,000")
refused("odds-ratio-zero", OR, lambda d: d.update(factors=[{"name": "drugs", "kind": "risk", "odds_ratio": 0}]),
        r"odds ratio of 0")
refused("odds-ratio-negative", OR, lambda d: d.update(factors=[{"name": "drugs", "kind": "risk", "odds_ratio": -2}]),
        r"-2.*odds ratio must be above 0")
refused("odds-ratio-tiny", OR, lambda d: d.update(factors=[{"name": "help", "kind": "protective", "odds_ratio": 1e-9}]),
        r"1e-09.*between 1e-06 and 1e\+06")
refused("odds-ratio-huge", OR, lambda d: d.update(factors=[{"name": "drugs", "kind": "risk", "odds_ratio": 5e6}]),
        r"1,000,000|between 1e-06 and 1e\+06")
refused("risk-factor-below-1", OR, lambda d: d.update(factors=[{"name": "drugs", "kind": "risk", "odds_ratio": 0.5}]),
        r"risk factor.*below 1")
refused("protective-factor-above-1", OR, lambda d: d.update(factors=[{"name": "help", "kind": "protective", "odds_ratio": 3}]),
        r"protective.*above 1")
refused("scenario-odds-ratio-zero", OR, _update(scenarios=[{"name": "worse", "odds_ratios": {"harm": 0}}]),
        r"scenario 'worse'.*odds ratio.*above 0")
refused("scenario-probability-2", OR, _update(scenarios=[{"name": "worse", "quantities": {"harm_rate": 2}}]),
        r"scenarios\[0\] \(worse\).quantities.harm_rate: 2 is out of range.*between 0 and 1")
refused("scenario-harm-weight-zero", OR, _update(scenarios=[{**SCENARIO, "harm_weight": 0}]), r"harm_weight.*greater than 0")
refused("harm-weight-zero", OR, _update(values={"harm_weight": 0}), r"harm_weight.*greater than 0")
refused("harm-weight-negative", OR, _update(values={"harm_weight": -1}), r"harm_weight.*greater than 0")
refused("harm-weight-range-reversed", OR, _update(values={"harm_weight_range": [4, 0.25]}), r"0 < low < high")
refused("scale-reversed", OR, _update(values={"scale_min": 100, "scale_max": 0}), r"scale_min < scale_max")
refused("weeks-zero", OR, _update(enquiries=[{**ENQUIRY, "weeks": 0}]), r"weeks.*above 0")
refused("weeks-negative", OR, _update(enquiries=[{**ENQUIRY, "weeks": -3}]), r"weeks.*above 0")
refused("weeks-decades", OR, _update(enquiries=[{**ENQUIRY, "weeks": 10000}]), r"weeks.*at most 520")
refused("weeks-judgement-negative", OR, _update(enquiries=[{**ENQUIRY, "weeks": {"low": -2, "likely": 4, "high": 8}}]),
        r"weeks.*negative")
refused("delay-harm-negative", OR, _update(delay_harm_per_week=-1), r"delay_harm_per_week.*0 or more")
refused("cases-zero", OR, _update(enquiries=[{**ENQUIRY, "cases": 0}]), r"cases.*greater than or equal to 1")
refused("cases-billion", OR, _update(enquiries=[{**ENQUIRY, "cases": 10**9}]), r"cases.*less than or equal")
refused("quantile-level-above-1", OR, _set(*Q0, "judgement", {"quantiles": {0.1: 0.2, 1.5: 0.4}}), r"strictly between 0 and 1")
refused("quantiles-decreasing", OR, _set(*Q0, "judgement", {"quantiles": {0.1: 0.5, 0.9: 0.2}}), r"must increase")
refused("one-quantile", OR, _set(*Q0, "judgement", {"quantiles": {0.5: 0.3}}), r"at least two quantiles")
refused("low-above-high", OR, _set(*Q0, "judgement", {"low": 0.4, "likely": 0.3, "high": 0.2}), r"low < likely < high")
refused("beta-negative-alpha", OR, _set(*Q0, "judgement", {"distribution": "Beta", "params": {"alpha": -1, "beta": 3}}),
        r"alpha.*not valid")
refused("beta-missing-param", OR, _set(*Q0, "judgement", {"distribution": "Beta", "params": {"alpha": 2}}), r"Beta.*not valid")
refused("normal-for-probability", OR, _set(*Q0, "judgement", {"distribution": "Normal", "params": {"mu": 0.3, "sigma": 0.1}}),
        r"outside the range of a probability")
for c in (2, -5):  # H2 D6: check said valid, then compare crashed in numpy ("mode > right")
    refused(f"triangular-c-{c}", OR, _set(*Q0, "judgement", {"distribution": "Triangular", "params": {"lower": 0, "c": c, "upper": 1}}),
            rf"judgement: Triangular.*c={c} \(its peak\) must lie between lower=0 and upper=1")
refused("weight-zero", OR, _set(*Q0, "judgement", {"low": 0.2, "likely": 0.3, "high": 0.4, "weight": 0}), r"weight.*greater than 0")
refused("param-huge", OR, _set(*Q0, "judgement", {"distribution": "Beta", "params": {"alpha": 1e300, "beta": 3}}), r"1,000,000")
refused("one-option", OR, lambda d: d["options"].pop(), r"options.*at least 2")
refused("no-outcomes", OR, _set("options", 1, "outcomes", []), r"at least one outcome")
refused("decided-by-empty", OR, _update(decided_by=[]), r"decided_by.*at least 1")
refused("question-empty", OR, _update(question=""), r"question.*at least 1")
refused("name-too-long", OR, _set("options", 1, "name", "x" * 500), r"name.*at most 120")
refused("study-on-magnitude", OR, lambda d: (d["quantities"].append({"name": "severity", "kind": "magnitude", "judgement": {"value": 50}}),
                                             d.update(enquiries=[{**ENQUIRY, "informs": ["severity"], "cases": 30}])),
        r"study of 30 cases.*one probability")
refused("wrong-kind-of-quantity", OR, _set(*HOME0, "magnitude", "harm_rate"), r"kind 'magnitude'.*'probability'")

# --- unknown names ----------------------------------------------------------------------------------
UN = "unknown name"
refused("missing-quantity", UN, _set(*HOME0, "chance", "harm_rat"), r"'harm_rat'.*not defined.*did you mean 'harm_rate'")
refused("missing-factor", UN, _set(*HOME0, "factors", ["drugs"]), r"factor 'drugs'.*not defined")
refused("misspelt-field", UN, _set(*CARE0, "chanse", 0.3), r"unknown field 'chanse'.*did you mean 'chance'")
refused("unknown-top-level", UN, _update(opitons=[]), r"unknown field 'opitons'.*did you mean 'options'")
refused("unknown-judgement-field", UN, _set(*Q0, "judgement", "mode", 0.3), r"unknown field 'mode'")
refused("missing-field", UN, lambda d: d.pop("date"), r"date.*add this field")
refused("enquiry-unknown", UN, _update(enquiries=[{**ENQUIRY, "informs": ["harm_rat"]}]), r"enquiry 'assessment'.*'harm_rat'")
refused("scenario-unknown-quantity", UN, _update(scenarios=[{"name": "worse", "quantities": {"harmrate": 0.5}}]),
        r"scenario 'worse' sets 'harmrate'")
refused("scenario-unknown-outcome", UN, _update(scenarios=[{"name": "worse", "odds_ratios": {"harms": 2}}]),
        r"'harms'.*no option has.*did you mean 'harm'")
refused("known-informs-unknown", UN, _update(known=[{"what": "a study", "source": "x", "informs": ["harm_rat"]}]),
        r"informs 'harm_rat'.*not a quantity")
refused("unknown-distribution", UN, _set(*Q0, "judgement", {"distribution": "Betta", "params": {"alpha": 2, "beta": 3}}),
        r"unknown distribution 'Betta'")
refused("unknown-verbal", UN, _set(*CARE0, "chance", {"verbal": "quite likely"}), r"'quite likely'.*not a term")
refused("unknown-scale", UN, _set(*CARE0, "chance", {"verbal": "likely", "scale": "nato"}), r"scale.*'uk_yardstick'")
refused("duplicate-option", UN, _set("options", 1, "name", "home"), r"line \d+.*duplicate option name")
# H2 C1: names a reader cannot tell apart were accepted (a record's chosen option then ambiguous)
refused("duplicate-option-letter-case", UN, _set("options", 1, "name", "Home"),
        r"options\[1\] \(Home\)\.name: duplicate option name \['home' and 'Home' \(they differ only in letter case")
refused("duplicate-option-unicode-form", UN, lambda d: (d["options"][0].update(name="caf\u00e9"), d["options"][1].update(name="cafe\u0301")),
        r"duplicate option name .*differ only in letter case or Unicode form")
refused("duplicate-quantity-letter-case", UN, lambda d: d["quantities"].append({**copy.deepcopy(d["quantities"][0]), "name": "Harm_Rate"}),
        r"duplicate quantity name \['harm_rate' and 'Harm_Rate'")
# H2 C3 (and C1's zero-width space): control, format and bidi characters in a name reach the terminal and the record
for id_, name, code in [("zero-width-space", "ho\u200bme", "U\\+200B"), ("escape", "\x1b[31mcare\x1b[0m", "U\\+001B"),
                        ("bidi-override", "\u202eemoh", "U\\+202E"), ("newline", "care\nHighest expected value: home", "U\\+000A")]:
    refused(f"name-hidden-{id_}", "unicode", _set("options", 1, "name", name),
            rf"options\[1\] \([^\n\x1b\u202e\u2028]*\)\.name: the name holds the invisible or control character {code}")
refused("name-hidden-line-separator-escaped", "unicode", _case().replace("name: care", 'name: "care\\u2028home"'),
        r"options\[1\] \(care\\u2028home\)\.name: the name holds the invisible or control character U\+2028")
valid("name-with-zero-width-non-joiner", _case(_set("options", 1, "name", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645")), compare=False)
# H2 C4: a quantity named with a likelihood word made 'chance: remote chance' mean 90 %
refused("quantity-named-remote-chance", UN, lambda d: (d["quantities"][0].update(name="remote chance"),
                                                       d["options"][0]["outcomes"][0].update(chance="remote chance")),
        r"quantities\[0\] \(remote chance\)\.name: 'remote chance' is a likelihood word of the uk_yardstick scale.*name the quantity after")
refused("factor-named-likely", UN, _update(factors=[{"name": "Likely", "kind": "risk", "odds_ratio": 1.5}]),
        r"factors\[0\] \(Likely\)\.name: 'Likely' is a likelihood word")
refused("chance-as-bare-word", UN, _set(*CARE0, "chance", "likely"), r"names quantity 'likely'.*write \{verbal: likely\}")
# H2 C2: a line separator hid a whole key (values: {harm_weight: 4}) inside what editors and grep show as the question line
for id_, ch in [("line-separator", "\u2028"), ("paragraph-separator", "\u2029"), ("next-line", "\u0085")]:
    refused(f"hidden-line-break-{id_}", "unicode", _case().replace("question: Which option?",
                                                                  f"question: Which option?{ch}values: {{harm_weight: 4}}"),
            rf"line 1, file: the line holds a U\+{ord(ch):04X} .*save the file with ordinary line breaks")
# H2 E6: an unquoted no / null / ~ / 2026 as a name: the message showed '(False)' as its name and gave no fix
for id_, word, what in [("no", "no", "yes/no"), ("null", "null", r"nothing \(empty\)"), ("tilde", "~", r"nothing \(empty\)"),
                        ("year", "2026", "a number")]:
    refused(f"name-unquoted-{id_}", WK, _case().replace("name: care", f"name: {word}"),
            rf"line 20, options\[1\]\.name: .*YAML reads the unquoted {re.escape(word)} as {what}, not text; put it in quotes, "
            rf"e\.g\. '{re.escape(word)}'")
# H2 E4: 'chance: 3e-1' (YAML 1.1 needs a dot in an exponent) was told to 'write it without quotes', which it was
refused("chance-exponent-without-dot", WK, _case().replace("chance: 0.3", "chance: 3e-1"),
        r"names quantity '3e-1'.*YAML reads 3e-1 as text, as its exponent has no dot: write 0\.3\)")
# H2 E2, E3: the wrong reason for '<<: 5' and '!!merge 0.3' (the second mangled), 'second occurrence' for an anchor defined twice
refused("merge-a-single-value", "malformed YAML", _case().replace("magnitude: 30", "magnitude: 30\n    <<: 5"),
        r"'<<' merges the keys of another mapping.*cannot merge a single value")
refused("merge-tag-on-a-value", "malformed YAML", _case().replace("chance: 0.3", "chance: !!merge 0.3"), r"the tag !!merge is not allowed on a value")
refused("anchor-defined-twice", "malformed YAML", _case().replace("magnitude: 60", "magnitude: &size 60").replace("magnitude: 30", "magnitude: &size 30"),
        r"line 26, YAML: the anchor &size is defined twice \(lines 19 and 26\); give the second another name")
refused("duplicate-quantity", UN, lambda d: d["quantities"].append(copy.deepcopy(d["quantities"][0])), r"duplicate quantity")
refused("duplicate-outcome", UN, lambda d: d["options"][0]["outcomes"].append(copy.deepcopy(d["options"][0]["outcomes"][0])),
        r"duplicate outcome")
refused("quantity-and-factor-same-name", UN, lambda d: d.update(
    factors=[{"name": "harm_rate", "kind": "risk", "odds_ratio": 2}]), r"both a quantity and a factor")

# --- malformed YAML ---------------------------------------------------------------------------------
MY = "malformed YAML"
MINIMAL = _case()
refused("bad-indent", MY, "question: x\noptions:\n  - name: a\n   outcomes: []\n", r"line 4.*malformed YAML")
refused("unclosed-bracket", MY, "question: x\ndecided_by: [social worker\n", r"malformed YAML")
refused("unclosed-quote", MY, 'question: "Which option?\ndate: 2026-01-15\n', r"malformed YAML")
refused("tab-indent", MY, "question: x\noptions:\n\t- name: a\n", r"malformed YAML")
# H2 A5: keys that differ only as written (a trailing space, a number in quotes) are one key once read: the later won
refused("duplicate-key-quantile-quoted", MY, _set(*Q0, "judgement", {"quantiles": {0.1: 0.2, 0.5: 0.3, "0.5": 0.35, 0.9: 0.4}}),
        r"duplicate key '0.5' \(written twice, once as 0.5 \(a number\) and once as '0.5'")
refused("duplicate-key-scenario-space", MY, _update(scenarios=[{"name": "worse", "quantities": {"harm_rate": 0.5, "harm_rate ": 0.9}}]),
        r"duplicate key 'harm_rate' \(written twice, once as 'harm_rate' and once as 'harm_rate '")
refused("duplicate-key-field-space", MY, MINIMAL.replace("question: Which option?", "question: Which option?\n'question ': Other?"),
        r"line 2, .*duplicate key 'question'")
refused("duplicate-key", MY, "question: a\nquestion: b\n", r"duplicate key 'question'.*line 2|line 2.*duplicate key 'question'")
refused("list-as-key", MY, MINIMAL + "? [a, b]\n: 1\n", r"list or mapping is used as a key")
refused("mapping-as-key", MY, MINIMAL + "? {a: 1}\n: 1\n", r"list or mapping is used as a key")
refused("date-feb-30", MY, MINIMAL.replace("date: '2026-01-15'", "date: 2026-02-30"),
        r"not a date: February has 28 days in 2026.*YYYY-MM-DD")
refused("date-month-13", MY, MINIMAL.replace("date: '2026-01-15'", "date: 2026-13-01"), r"not a date.*no month 13")
refused("date-year-0", MY, MINIMAL.replace("date: '2026-01-15'", "date: 0000-01-01"), r"not a date.*no year 0")
refused("known-date-feb-29", MY, MINIMAL + "known:\n  - {what: x, source: y, date: 2025-02-29}\n", r"February has 28 days in 2025")
refused("two-documents", MY, MINIMAL + "---\nquestion: again\n", r"malformed YAML.*another document")
refused("top-level-list", MY, "- a\n- b\n", r"top level.*mapping")
refused("top-level-text", MY, "just some words\n", r"top level.*mapping")
refused("comments-only", MY, "# nothing here\n", r"empty")
refused("empty-file", MY, "", r"empty")
refused("whitespace-only", MY, "   \n\n  \n", r"empty")
refused("truncated-example", MY, example("data/cases/return_home.yaml")[:3000], r"problem")
refused("truncated-mid-token", MY, MINIMAL[: MINIMAL.index("kind: probability") + 7], r"problem")
refused("colon-in-text", MY, "question: Which: option\n", r"malformed YAML")
refused("undefined-alias", MY, "question: *nothing\n", r"malformed YAML.*alias")
refused("latin1", MY, "question: caf\xe9\n".encode("latin-1"), r"not UTF-8")
refused("utf16", MY, MINIMAL.encode("utf-16"), r"binary|UTF-8")
refused("binary", MY, bytes(range(256)) * 8, r"binary")

# --- hostile YAML -----------------------------------------------------------------------------------
HY = "hostile YAML"
BOMB = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)
) + "question: *i\n"
refused("alias-bomb", HY, BOMB, r"refused.*alias", )
refused("alias-bomb-in-context", HY, BOMB.replace("question: *i\n", "") + MINIMAL.replace("decided_by:", "context: *i\ndecided_by:"),
        r"refused.*alias")
refused("many-aliases", HY, "x: &x 1\nitems: [" + ", ".join(["*x"] * 300) + "]\n", r"more than 200 aliases")
refused("deep-brackets", HY, "question: " + "[" * 20000 + "]" * 20000 + "\n", r"nested more than")
refused("deep-mappings", HY, "".join("  " * i + f"k{i}:\n" for i in range(100)) + "  " * 100 + "x\n", r"nested more than")
refused("huge-file", HY, MINIMAL + "context: " + "x" * 2_100_000 + "\n", r"at most 2 MB")
refused("python-object-tag", HY, "question: !!python/object/apply:os.system ['echo hacked']\n", r"not allowed.*plain data")
refused("python-name-tag", HY, "question: !!python/name:os.system\n", r"not allowed")
refused("unknown-tag", HY, "question: !secret x\n", r"not allowed")
refused("binary-tag", HY, MINIMAL.replace("question: Which option?", "question: !!binary aGVsbG8="), r"!!binary is not allowed")
refused("set-tag", HY, MINIMAL.replace("decided_by:\n- social worker", "decided_by: !!set {social worker, manager}"), r"!!set is not allowed")
# H2 D4: a tag on a value it cannot convert gave a traceback (KeyError, ValueError, AttributeError)
for id_, written, field in [("bool", "chance: !!bool 0.3", "chance"), ("float", 'chance: !!float "30%"', "chance"),
                            ("int", 'magnitude: !!int "x"', "magnitude"), ("int-in-list", "- !!int social", "decided_by[0]"),
                            ("float-huge-int", "magnitude: !!int 1e999", "magnitude")]:
    old = {"chance": "chance: 0.3", "magnitude": "magnitude: 30", "decided_by[0]": "- social worker"}[field]
    refused(f"{id_}-tag-unreadable", HY, MINIMAL.replace(old, written),
            rf"line \d+, {re.escape(field)}: the tag !!\w+ cannot read '.*'; remove the tag")
# H2 A2: YAML 1.1 reads these in another base, silently (010 is 8, 1:30 is 90): refused, naming the line and the value
for id_, written, read in [("octal", "010", "the octal number 8 .*write 10 \\(or 8\\)"), ("octal-padded-score", "070", "octal number 56"),
                           ("base-60", "1:30", "base-60 \\(clock\\) number 90"), ("base-60-float", "1:30.5", "base-60.*90.5"),
                           ("hexadecimal", "0x1E", "hexadecimal number 30"), ("binary", '!!int "0b11110"', "binary number 30"),
                           ("underscore", "3_0", "as 30, dropping the '_'")]:
    refused(f"number-{id_}", WK, MINIMAL.replace("magnitude: 30", f"magnitude: {written}"),
            rf"line 26, magnitude: YAML reads .*{read}")
refused("number-octal-in-list", WK, _case(_update(values={"harm_weight_range": [1, 4]})).replace("- 4", "- 04"),
        r"harm_weight_range\[1\]: YAML reads '04' as the octal number 4.*write 4")
valid("number-decimal-with-leading-zero", MINIMAL.replace("chance: 0.3", "chance: 00.3").replace("magnitude: 30", "magnitude: 030.0"))
refused("timestamp-tag-unreadable", HY, MINIMAL.replace("date: '2026-01-15'", 'date: !!timestamp "soon"'),
        r"line 2, .*'soon' is not a date.*YYYY-MM-DD")
refused("omap-tag", HY, MINIMAL.replace("question: Which option?", "question: !!omap [a: 1]"), r"!!omap is not allowed")
refused("long-line-of-keys", HY, "question: x\n" + "".join(f"k{i}: {i}\n" for i in range(20000)), r"unknown field")
refused("nul-in-text", HY, MINIMAL.replace("Which option?", "Which\x00option?"), r"binary")

# --- missing or unreadable files ------------------------------------------------------------------
MU = "missing or unreadable file"
ENTRIES += [
    Entry("case/missing-file", MU, ["check", "nope.yaml"], "refused", {}, message="no such file"),
    Entry("case/folder", MU, ["check", "cases"], "refused", {"cases/a.yaml": MINIMAL}, message="folder"),
    Entry("case/device", MU, ["check", "/dev/null"], "refused", {}, message="not an ordinary file"),
    Entry("case/compare-missing-file", MU, ["compare", "nope.yaml", "--draws", "500"], "refused", {}, message="no such file"),
    Entry("case/compare-folder", MU, ["compare", ".", "--draws", "500"], "refused", {}, message="folder"),
    Entry("case/compare-binary", MU, ["compare", "case.yaml"], "refused", {"case.yaml": b"\x00\x01\x02" * 100}, message="binary"),
    Entry("case/compare-empty", MU, ["compare", "case.yaml"], "refused", {"case.yaml": ""}, message="empty"),
]

# --- refused by compare too (not only check) --------------------------------------------------------
for name, change, message in (
    ("chance-nan", _set(*CARE0, "chance", NAN), FINITE),
    ("chance-yes", _set(*CARE0, "chance", True), YESNO),
    ("verbal-magnitude", _set(*CARE0, "magnitude", {"verbal": "likely"}), r"describes a probability"),
    ("odds-ratio-inf", lambda d: d.update(factors=[{"name": "drugs", "kind": "risk", "odds_ratio": INF}]), FINITE),
    ("value-nan", _set(*CARE0, "magnitude", {"value": NAN}), FINITE),
    ("quantile-nan", _set(*Q0, "judgement", {"quantiles": {0.1: 0.2, 0.9: NAN}}), FINITE),
    ("scale-overflow", lambda d: (d.update(values={"scale_max": None}), d["options"][1]["outcomes"][0].update(magnitude=1e307)),
     r"1,000,000"),
):
    refused(f"compare-{name}", "non-finite number" if "nan" in name or "inf" in name else WK, change, message,
            argv=("compare", "case.yaml", "--draws", "500"))
refused("compare-alias-bomb", HY, BOMB, r"alias", argv=("compare", "case.yaml", "--draws", "500"))

# --- valid but odd ----------------------------------------------------------------------------------
valid("minimal", MINIMAL)
valid("merge-key", dump({k: v for k, v in MINIMAL_CASE.items() if k != "options"}) + (
    "options:\n"
    "  - name: home\n    outcomes:\n      - &out {name: harm, kind: harm, chance: harm_rate, horizon: 1 year, magnitude: 60}\n"
    "  - name: care\n    outcomes:\n      - <<: *out\n        name: moves\n        chance: 0.3\n        magnitude: 30\n"))
valid("unicode-names", _case(lambda d: (d["options"][0].update(name="retour à la maison 🏠"),
                                        d["options"][1].update(name="Pflegefamilie – ß"))))
valid("formula-like-names", _case(lambda d: (d["options"][0].update(name="=HYPERLINK(\"http://x\")"),
                                             d["options"][1].update(name="+care"))), compare=False)
valid("crlf-line-endings", MINIMAL.replace("\n", "\r\n"), compare=False)
valid("utf8-bom", "\ufeff" + MINIMAL, compare=False)
valid("anchors-reused", MINIMAL.replace("magnitude: 60", "magnitude: &size 60").replace("magnitude: 30", "magnitude: *size"),
      compare=False)
valid("scale-unbounded", _case(lambda d: d.update(values={"scale_max": None, "scale_min": None})), compare=False)
valid("big-but-sane-magnitudes", _case(lambda d: (d.update(values={"scale_max": None}),
                                                  d["options"][1]["outcomes"][0].update(magnitude=900_000))), compare=True)
valid("return-home-example", example("data/cases/return_home.yaml"), compare=False)
valid("permanence-example", example("data/cases/permanence.yaml"), compare=False)
valid("leap-day", MINIMAL.replace("date: '2026-01-15'", "date: 2028-02-29"), compare=False)
valid("quoted-date", MINIMAL.replace("date: '2026-01-15'", "date: \"2026-01-15\""), compare=False)
refused("option-named-nan", WK, _set("options", 1, "name", "nan"), r"missing or impossible number")
refused("quantity-named-inf", WK, lambda d: (d["quantities"][0].update(name="inf"), d["options"][0]["outcomes"][0].update(chance="inf")),
        r"missing or impossible number")
refused("decided-by-nan", WK, _update(decided_by=["nan"]), r"decided_by.*missing or impossible number")

# --- horizons and hindsight (issue 13) ------------------------------------------------------------
HS = "hindsight"
refused("horizon-unreadable", WK, _set(*CARE0, "horizon", "until adulthood"), r"horizon.*'until adulthood'.*'2 years', '18 months'")
refused("horizon-no-unit", WK, _set(*CARE0, "horizon", "2"), r"horizon.*'2' is not a time span")
refused("horizon-zero", OR, _set(*CARE0, "horizon", "0 months"), r"horizon.*no time at all")
refused("horizon-beyond-a-lifetime", OR, _set(*CARE0, "horizon", "200 years"), r"horizon.*longer than a lifetime")
LATER = {"what": "found out in March", "source": "police report", "date": "2026-03-20"}
refused("known-after-the-decision", HS, _update(known=[LATER]), r"known\[0\]\.date.*dated 2026-03-20, after the decision.*learned_later: true")
refused("learned-later-informs", HS, _update(known=[{**LATER, "learned_later": True, "informs": ["harm_rate"]}]),
        r"known\[0\]\.informs.*cannot inform a quantity")
valid("learned-later", _case(_update(known=[{**LATER, "learned_later": True}])))
valid("horizons-in-other-units", _case(lambda d: (d["options"][0]["outcomes"][0].update(horizon="18 months"),
                                                  d["options"][1]["outcomes"][0].update(horizon="26 wks"))), compare=True)
valid("warnings-only", _case(lambda d: (d.update(factors=[{"name": "drugs", "kind": "risk", "odds_ratio": 1.5}],
                                                 values={"harm_weight": 9}),
                                        d["options"][1]["outcomes"].append({**d["options"][0]["outcomes"][0], "horizon": "5 years"}))))
