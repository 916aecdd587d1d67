"""Frame the decision: the question, who decides, what was known, the options and their outcomes.

A decision can be written as a YAML case file (analysts) or built in Python (researchers);
both give the same validated :class:`Decision`. Validation happens here, at the boundary,
so later stages can trust what they are given.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import numbers
import re
import unicodedata
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, Union

import yaml
from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, ValidationError, field_validator,
                      model_validator)
from pydantic_core import PydanticCustomError

from decide.errors import CaseError, CaseWarning, Problem
from decide.judge import (LOW_LIKELY_HIGH_PROBS, NUMBER_LIMIT, Count, Judgement, Kind, Number, Positive, median_is_clearly,
                          support)

#: Text that spreadsheets and pandas write for a missing or impossible number: as a name it is
#: almost always a cell that lost its value, and it reads as a number that went wrong.
MISSING_WORDS = {"nan", "-nan", "inf", "-inf", "+inf", "infinity", "-infinity", "n/a", "#n/a", "na", "null", "none", "#value!",
                 "#div/0!", "#ref!", "#name?", "#num!"}


def _not_missing_word(text: str) -> str:
    if text.strip().lower() in MISSING_WORDS:
        raise PydanticCustomError(
            "missing_word", "'{text}' is what a spreadsheet writes for a missing or impossible number, not a name; "
            "give the name in words", {"text": text})
    hidden = next((ch for ch in text if _hidden(ch)), None)
    if hidden is not None:  # a terminal or a record would show another name (ESC, a bidi override, a line break)
        raise PydanticCustomError(
            "hidden_character", "the name holds the invisible or control character {code} ({what}); type the name again "
            "without it", {"code": f"U+{ord(hidden):04X}", "what": unicodedata.name(hidden, "a control character").lower()})
    return text


def _hidden(ch: str) -> bool:
    """Control, format (zero-width, bidi) and line/paragraph separator characters; the zero-width (non-)joiners some
    scripts spell words with are allowed."""
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") and ch not in "\u200c\u200d"


def _looks_as(name: str) -> str:
    """A name as a reader sees it: Unicode compatibility forms joined, letter case and invisible joiners ignored."""
    return " ".join(unicodedata.normalize("NFKC", name).replace("\u200c", "").replace("\u200d", "").casefold().split())


Name = Annotated[str, Field(min_length=1, max_length=120), AfterValidator(_not_missing_word)]

#: Tags of the forms an input may take; they appear in pydantic's error locations and are
#: dropped from the messages a person reads.
_FORM_TAGS = ("<name>", "<number>", "<judgement>")


def _form_of(value) -> str | None:
    """Which form the user wrote, so only that form's errors are reported (text is a quantity's
    name, a mapping a judgement, a number a number; yes/no reaches the number check, which refuses it)."""
    if isinstance(value, str):
        return "<name>"
    if isinstance(value, dict | Judgement):
        return "<judgement>"
    if isinstance(value, numbers.Real):
        return "<number>"
    return None


def _number_or_judgement(value) -> str | None:
    form = _form_of(value)
    return form if form != "<name>" else None


#: Where an input comes from: the name of a shared quantity, an inline judgement, or a number.
Input = Annotated[
    Union[Annotated[Name, Tag("<name>")], Annotated[Number, Tag("<number>")], Annotated[Judgement, Tag("<judgement>")]],
    Discriminator(_form_of, custom_error_type="input_form",
                  custom_error_message="give the name of a quantity, a number, or a judgement such as {low: 10, likely: 20, high: 35}"),
]
#: A number or a judgement (no shared quantity): an enquiry's wait, the harm of each week's delay.
NumberOrJudgement = Annotated[
    Union[Annotated[Number, Tag("<number>")], Annotated[Judgement, Tag("<judgement>")]],
    Discriminator(_number_or_judgement, custom_error_type="input_form",
                  custom_error_message="give a number, or a judgement such as {low: 2, likely: 4, high: 8}"),
]

#: Limits on a case file, so a hostile or broken file is refused in well under a second.
MAX_FILE_BYTES = 2_000_000
#: Nesting deeper than this is not a case file (the examples nest six levels).
MAX_DEPTH = 40
#: Aliases (*name) a case file may use, and the number of values it may hold once every alias
#: is expanded (an 8 KB "billion laughs" file expands to 10^9 values).
MAX_ALIASES = 200
MAX_EXPANDED_NODES = 200_000
#: Smallest odds ratio accepted (the largest is NUMBER_LIMIT): beyond these the simulation's
#: odds underflow or overflow, and no evidence supports such an effect.
MIN_ODDS_RATIO = 1e-6
#: Longest wait an enquiry may imply, in weeks (ten years).
MAX_WEEKS = 520


def _day(value):
    """A date is written YYYY-MM-DD; a bare number would otherwise be read as seconds since 1970."""
    if isinstance(value, bool | int | float):
        raise PydanticCustomError("date_not_number", "a number is not a date; give a date as YYYY-MM-DD")
    return value


Day = Annotated[dt.date, BeforeValidator(_day)]


# --- horizons: the time span a chance is judged over ----------------------------------------------

#: Length of each unit a horizon may be given in, in years (a year of 365.25 days, a month a twelfth of a year).
HORIZON_UNITS = {"day": 1 / 365.25, "week": 7 / 365.25, "month": 1 / 12, "year": 1.0}
#: How each unit may be written (singular, plural and the usual abbreviations).
_UNIT_SPELLINGS = {
    "day": ("d", "day", "days"),
    "week": ("w", "wk", "wks", "week", "weeks"),
    "month": ("m", "mo", "mos", "mth", "mths", "month", "months"),
    "year": ("y", "yr", "yrs", "year", "years"),
}
_UNIT_OF = {spelling: unit for unit, spellings in _UNIT_SPELLINGS.items() for spelling in spellings}
#: Numbers a horizon may give in words ("six months", "a year").
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
#: Longest horizon accepted, in years: a child's whole life and more; beyond it a span is a slip.
MAX_HORIZON_YEARS = 100
#: Two horizons this close (relative difference) are the same span written differently ("52 weeks", "1 year").
SAME_HORIZON = 0.01
HORIZON_FORMS = "give a horizon such as '2 years', '18 months' or '26 weeks' (a number, then days, weeks, months or years)"
_HORIZON = re.compile(r"^(?:(?:within|over|for)\s+)?(?P<number>\d+(?:\.\d+)?|\.\d+|[a-z]+)\s*-?\s*(?P<unit>[a-z]+)\.?$")


@dataclass(frozen=True)
class Horizon:
    """A time span as the case wrote it ('18 months') and its length in years (1.5), so spans
    written differently can be compared."""

    text: str
    number: float
    unit: str  # day, week, month or year
    years: float

    def __str__(self) -> str:
        return self.text

    def same_span(self, other: "Horizon") -> bool:
        return abs(self.years - other.years) <= SAME_HORIZON * max(self.years, other.years)


def parse_horizon(text: str) -> Horizon:
    """Read a horizon such as '2 years', '18 months', '26 wk' or 'six months'; ValueError if it is not one."""
    if not isinstance(text, str):
        raise ValueError(f"a horizon is text, not {type(text).__name__}; {HORIZON_FORMS}")
    clean = " ".join(text.strip().lower().split())
    m = _HORIZON.match(clean)
    unit = _UNIT_OF.get(m["unit"]) if m else None
    number_text = m["number"] if m else ""
    number = NUMBER_WORDS.get(number_text) if number_text.isalpha() else float(number_text) if m else None
    if unit is None or number is None:
        raise ValueError(f"'{text.strip()}' is not a time span decide can read; {HORIZON_FORMS}")
    years = number * HORIZON_UNITS[unit]
    if not 0 < years <= MAX_HORIZON_YEARS:
        raise ValueError(f"'{text.strip()}' is {'no time at all' if years == 0 else 'longer than a lifetime'}; a horizon lies "
                         f"above 0 and at most {MAX_HORIZON_YEARS} years; {HORIZON_FORMS}")
    return Horizon(text.strip(), float(number), unit, years)


def _horizon_text(text: str) -> str:
    try:
        parse_horizon(text)
    except ValueError as exc:
        raise PydanticCustomError("horizon", "{why}", {"why": str(exc)}) from None
    return text


class _Located(ValueError):
    """Problems found by a model-level check, each with the location of the field at fault
    (so the error names its line, not 'line 1, top level')."""

    def __init__(self, items: list[tuple[tuple, str, object]]):
        self.items = items
        super().__init__("; ".join(message for _, message, _ in items))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False)


class EvidenceItem(_Strict):
    """Something known on the day of the decision, with where it came from and how far to trust it.

    An item dated after the decision is refused unless marked ``learned_later`` (hindsight must not
    inform the analysis); a marked item is kept in the file and shown in the review, never used.
    """

    what: str = Field(description="what was known, in a sentence")
    source: str = Field(description="where it came from; say if it was seen only second-hand, e.g. '(seen in a secondary source)'")
    date: Day | None = Field(None, description="when it was written or learned (YYYY-MM-DD)")
    reliability: Literal["high", "medium", "low", "unknown"] = Field("unknown", description="how far to trust it")
    informs: list[Name] = Field(default_factory=list, description="quantities this evidence bears on")
    learned_later: bool = Field(False, description="true if the decision-makers learned this only after the decision: it "
                                "is kept in the file and shown in the review, but left out of the analysis (it may not "
                                "inform a quantity). An item dated after the decision must be marked so; an item dated "
                                "on or before it may be too (written then, but it reached them later)")


class Quantity(_Strict):
    """A named uncertain input that outcomes and options can share (so shared unknowns correlate)."""

    name: Name = Field(description="the name outcomes and factors use to share this quantity")
    kind: Kind = Field("probability", description="what the number is: a chance (0 to 1), an odds ratio, a magnitude on the value scale, or any other number")
    description: str = Field("", description="what the quantity is, in words")
    source: str | None = Field(None, description="where the judgement comes from")
    judgement: Judgement | None = Field(None, description="one judgement of the quantity")
    judgements: list[Judgement] | None = Field(None, description="several practitioners' judgements, pooled")

    @model_validator(mode="after")
    def _has_judgement(self) -> "Quantity":
        if (self.judgement is None) == (self.judgements is None):
            raise _Located([((("judgements",) if self.judgements is not None else ()),
                             "give either 'judgement' (one) or 'judgements' (several, pooled), not both or neither", None)])
        if self.judgements is not None and len(self.judgements) == 0:
            raise _Located([(("judgements",), "'judgements' is empty; give at least one judgement", None)])
        for j, judgement in enumerate(self.all_judgements):
            if judgement.verbal is not None and self.kind != "probability":
                raise _Located([(("judgement",) if self.judgement is not None else ("judgements", j),
                    f"a verbal likelihood ('{judgement.verbal}') describes a probability, but this quantity's kind is "
                    f"'{self.kind}'; use low/likely/high or a distribution instead", None)])
        return self

    @property
    def all_judgements(self) -> list[Judgement]:
        return [self.judgement] if self.judgement is not None else list(self.judgements)


class Outcome(_Strict):
    """A possible consequence of an option: a harm or a benefit, with a chance and a magnitude."""

    name: Name = Field(description="what might happen, in a few words")
    kind: Literal["harm", "benefit"] = Field(description="whether it is a harm or a benefit to the child")
    chance: Input = Field(description="probability it happens within the horizon")
    horizon: Annotated[str, AfterValidator(_horizon_text)] = Field(
        min_length=1, description="the time span the chance is judged over: a number and days, weeks, months or years, "
        "e.g. '2 years', '18 months', '26 weeks'; compare options over the same span")
    magnitude: Input = Field(description="how much it matters, on the decision's value scale")
    factors: list[Name] = Field(default_factory=list, description="risk/protective factors shifting the chance")
    description: str = Field("", description="more about the outcome, in words")
    source: str | None = Field(None, description="where the chance or magnitude comes from")

    @property
    def span(self) -> Horizon:
        """The horizon as a duration (the text as written, and its length in years)."""
        return parse_horizon(self.horizon)

    @property
    def horizon_years(self) -> float:
        return self.span.years


class Option(_Strict):
    """One course of action."""

    name: Name = Field(description="the course of action, in a few words")
    description: str = Field("", description="what the option involves")
    outcomes: list[Outcome] = Field(description="its possible harms and benefits (at least one)")

    @field_validator("outcomes")
    @classmethod
    def _some_outcomes(cls, v: list[Outcome]) -> list[Outcome]:
        if not v:
            raise ValueError("an option needs at least one outcome (a harm or a benefit); there is no safe option")
        names = [o.name for o in v]
        dups = _duplicates(names)
        if dups:
            i = _second(names, dups[0])
            raise _Located([((i, "name"), f"duplicate outcome name{'s' if len(dups) > 1 else ''} {_duplicate_text(names, dups)}; "
                             "each outcome needs its own name", None)])
        return v


class Factor(_Strict):
    """A risk or protective factor of this case, shifting a base rate by an uncertain odds ratio."""

    name: Name = Field(description="the factor, in a few words; outcomes list it under factors")
    kind: Literal["risk", "protective"] = Field(description="a risk factor raises the chance (odds ratio above 1), a protective factor lowers it (below 1)")
    odds_ratio: Input = Field(description="how much it multiplies the odds of the outcomes that list it (1 = no effect)")
    description: str = Field("", description="what the factor is and why it matters here")
    source: str | None = Field(None, description="where the odds ratio comes from")


class Values(_Strict):
    """How harms and benefits are weighed: a common scale and a contestable harm weight."""

    scale: str = Field("points: 0 = no effect, 100 = the most serious harm or greatest benefit for this child",
                       description="what the points of the value scale mean, in words")
    scale_min: Number | None = Field(0.0, description="lowest magnitude allowed; none for no limit")
    scale_max: Number | None = Field(100.0, description="highest magnitude allowed; none for no limit")
    harm_weight: Positive = Field(1.0, description="how many points of benefit one point of harm outweighs")
    harm_weight_range: tuple[Positive, Positive] = Field((0.25, 4.0), description="the lowest and highest harm weight "
                                                         "people could reasonably hold, for the robustness check")

    @model_validator(mode="after")
    def _ranges(self) -> "Values":
        if self.scale_max is not None and self.scale_min is not None and not self.scale_min < self.scale_max:
            raise _Located([(("scale_max",), f"need scale_min < scale_max, got {self.scale_min:g} and {self.scale_max:g}", None)])
        lo, hi = self.harm_weight_range
        if not 0 < lo < hi:
            raise _Located([(("harm_weight_range",), f"harm_weight_range needs 0 < low < high, got ({lo:g}, {hi:g})", None)])
        return self


def factor_input_name(factor: str) -> str:
    """The name under which a factor's odds ratio appears among the simulation's inputs."""
    return f"{factor}: odds ratio"


def inline_input_name(option: str, outcome: str, part: str) -> str:
    """The name of an inline judgement (part = 'chance' or 'magnitude') among the simulation's inputs."""
    return f"{option}: {outcome}: {part}"


class Enquiry(_Strict):
    """Something that could be found out before deciding: an assessment, a drug test, a report.

    It is taken to settle the inputs it ``informs``: its value is the most that knowing them
    could be worth (EVPPI). With ``cases`` it is a study of that many similar cases bearing on one
    chance (EVSI). ``weeks`` is how long the decision would wait for it.
    """

    name: Name = Field(description="the enquiry, in a few words")
    informs: list[Name] = Field(min_length=1, description="quantities (or factors) the enquiry would settle")
    weeks: NumberOrJudgement = Field(description="how long the decision would wait for it, in weeks")
    cases: Count | None = Field(None, ge=1, le=1_000_000, description="for a study of further cases: how many (informs one rate)")
    description: str = Field("", description="what the enquiry would involve")

    @field_validator("weeks")
    @classmethod
    def _positive(cls, v):
        if isinstance(v, float | int) and not 0 < v <= MAX_WEEKS:
            raise ValueError(f"weeks must be above 0 and at most {MAX_WEEKS} (ten years), got {v:g}")
        return v


class Scenario(_Strict):
    """A stated view of the case: some inputs set to values, hidden odds ratios on outcomes, and
    perhaps another weight of harm against benefit. Everything not named stays uncertain."""

    name: Name = Field(description="the view of the case, in a few words")
    description: str = Field("", description="what this view supposes, in words")
    quantities: dict[str, Number] = Field(default_factory=dict, description="input name -> value in this scenario")
    odds_ratios: dict[str, Number] = Field(default_factory=dict, description="outcome name -> hidden odds ratio (every option with it)")
    harm_weight: Positive | None = Field(None, description="another weight of harm against benefit in this view (none: the case's own)")


class Decision(_Strict):
    """The question, the day it is decided, who decides, what was known and the options."""

    question: str = Field(min_length=1, description="the decision to be made, as a question")
    date: Day = Field(description="the day the decision is made (YYYY-MM-DD)")
    decided_by: list[Name] = Field(min_length=1, description="roles of the decision-makers")
    context: str = Field("", description="the background a reader needs, in a few sentences")
    known: list[EvidenceItem] = Field(default_factory=list, description="what was known at the time")
    quantities: list[Quantity] = Field(default_factory=list, description="named uncertain inputs, shared by every outcome that names them")
    factors: list[Factor] = Field(default_factory=list, description="this child's risk and protective factors")
    options: list[Option] = Field(min_length=2, description="the courses of action compared (at least two)")
    values: Values = Field(default_factory=Values, description="the value scale and how harm is weighed against benefit")
    enquiries: list[Enquiry] = Field(default_factory=list, description="what could be found out before deciding")
    delay_harm_per_week: NumberOrJudgement | None = Field(
        None, description="harm to the child of each week's delay (drift), in value points; a number or a judgement"
    )
    scenarios: list[Scenario] = Field(default_factory=list, description="stated views of the case for regret analysis")

    @model_validator(mode="after")
    def _references(self) -> "Decision":
        problems: list[tuple[tuple, str, object]] = []

        def add(loc: tuple, message: str, value=None) -> None:
            problems.append((loc, message, value))

        for field, names, what in (("options", [o.name for o in self.options], "option"),
                                   ("quantities", [q.name for q in self.quantities], "quantity"),
                                   ("factors", [f.name for f in self.factors], "factor"),
                                   ("enquiries", [e.name for e in self.enquiries], "enquiry"),
                                   ("scenarios", [s.name for s in self.scenarios], "scenario")):
            dups = _duplicates(names)
            if dups:
                i = _second(names, dups[0])
                add((field, i, "name"), f"duplicate {what} name{'s' if len(dups) > 1 else ''} {_duplicate_text(names, dups)}; "
                    f"each {what} needs its own name")
        for field, items, what in (("quantities", self.quantities, "quantity"), ("factors", self.factors, "factor")):
            for i, item in enumerate(items):
                scale = _verbal_scale_of(item.name)
                if scale:  # 'chance: remote chance' would then mean whatever this quantity holds (90 %, say)
                    add((field, i, "name"), f"'{item.name}' is a likelihood word of the {scale} scale, so 'chance: "
                        f"{item.name}' would read as that word whatever the {what} holds; name the {what} after what "
                        "it is (e.g. reabuse_after_return)")
        clash = {q.name for q in self.quantities} & {f.name for f in self.factors}
        if clash:
            i = next(i for i, f in enumerate(self.factors) if f.name in clash)
            add(("factors", i, "name"), f"names used for both a quantity and a factor: {sorted(clash)}; rename one of each")
        quantities = {q.name: q for q in self.quantities}
        factors = {f.name for f in self.factors}

        def check_ref(ref, loc: tuple, where: str, kind: Kind):
            if isinstance(ref, str):
                if ref not in quantities:
                    add(loc, f"{where} names quantity '{ref}', which is not defined"
                        + _suggest(ref, quantities) + "; add it under 'quantities' or give a judgement here"
                        + _number_as_text_hint(ref)
                        + (f" (to give a chance in words, write {{verbal: {ref}}})" if _verbal_scale_of(ref) else ""))
                elif quantities[ref].kind != kind:
                    add(loc, f"{where} needs a quantity of kind '{kind}' but '{ref}' is '{quantities[ref].kind}'")
            else:
                self._check_numbers(ref, kind, where, problems, loc)

        for i, q in enumerate(self.quantities):
            for j, judgement in enumerate(q.all_judgements):
                loc = ("quantities", i, "judgement") if q.judgement is not None else ("quantities", i, "judgements", j)
                self._check_numbers(judgement, q.kind, f"quantity '{q.name}'", problems, loc)
        for i, f in enumerate(self.factors):
            check_ref(f.odds_ratio, ("factors", i, "odds_ratio"), f"factor '{f.name}' odds_ratio", "odds_ratio")
        for i, opt in enumerate(self.options):
            for j, out in enumerate(opt.outcomes):
                where = f"option '{opt.name}', outcome '{out.name}'"
                loc = ("options", i, "outcomes", j)
                check_ref(out.chance, (*loc, "chance"), f"{where} chance", "probability")
                check_ref(out.magnitude, (*loc, "magnitude"), f"{where} magnitude", "magnitude")
                for k, f in enumerate(out.factors):
                    if f not in factors:
                        add((*loc, "factors", k), f"{where} names factor '{f}', which is not defined" + _suggest(f, factors))
        for i, e in enumerate(self.known):
            if e.date is not None and e.date > self.date and not e.learned_later:
                add(("known", i, "date"), f"this item is dated {e.date}, after the decision was made on {self.date}: what was "
                    "learned afterwards must not inform the decision (hindsight). If it was learned after the decision, "
                    "mark it 'learned_later: true' (it is then kept but left out of the analysis, and the review shows it as "
                    "learned later); if the date is wrong, correct it", str(e.date))
            if e.learned_later and e.informs:
                add(("known", i, "informs"), "this item was learned after the decision, so it cannot inform a quantity the "
                    "decision used; remove 'informs' from it (the review shows it as learned later)")
            for j, name in enumerate(e.informs):
                if name not in quantities:
                    add(("known", i, "informs", j),
                        f"evidence '{e.what[:40]}' informs '{name}', which is not a quantity" + _suggest(name, quantities))
        inputs = self.input_names()
        for i, e in enumerate(self.enquiries):
            for j, name in enumerate(e.informs):
                if self.resolve_input(name) is None:
                    add(("enquiries", i, "informs", j),
                        f"enquiry '{e.name}' informs '{name}', which is not a quantity or factor" + _suggest(name, inputs))
            if e.cases is not None and (len(e.informs) != 1 or self.input_kind(e.informs[0]) != "probability"):
                add(("enquiries", i, "cases"), f"enquiry '{e.name}' is a study of {e.cases} cases, so it must inform exactly one probability")
            if not isinstance(e.weeks, float | int):
                self._check_non_negative(e.weeks, f"enquiry '{e.name}' weeks", problems, ("enquiries", i, "weeks"))
        if self.delay_harm_per_week is not None:
            self._check_non_negative(self.delay_harm_per_week, "delay_harm_per_week", problems, ("delay_harm_per_week",))
        outcome_names = {out.name for o in self.options for out in o.outcomes}
        for i, sc in enumerate(self.scenarios):
            for name, value in sc.quantities.items():
                kind = self.input_kind(name)
                loc = ("scenarios", i, "quantities", name)
                if kind is None:
                    add(loc, f"scenario '{sc.name}' sets '{name}', which is not a quantity or factor" + _suggest(name, inputs))
                else:
                    self._check_numbers(value, kind, f"scenario '{sc.name}' value of '{name}'", problems, loc)
            for name, ratio in sc.odds_ratios.items():
                loc = ("scenarios", i, "odds_ratios", name)
                if name not in outcome_names:
                    add(loc, f"scenario '{sc.name}' shifts outcome '{name}', which no option has" + _suggest(name, outcome_names))
                if not MIN_ODDS_RATIO <= ratio <= NUMBER_LIMIT:
                    add(loc, f"scenario '{sc.name}' odds ratio for '{name}' is {ratio:g}; an odds ratio must be above 0, "
                        f"between {MIN_ODDS_RATIO:g} and {NUMBER_LIMIT:g} (1 = no effect)")
        if problems:
            raise _Located(problems)
        self._check_factor_directions()
        return self

    def _check_numbers(self, ref, kind: Kind, where: str, problems: list, loc: tuple = ()) -> None:
        numbers = [ref] if isinstance(ref, float | int) else ref.numbers()
        lo, hi = self.bounds(kind)
        if kind == "odds_ratio":
            lo, hi = MIN_ODDS_RATIO, NUMBER_LIMIT
        if not isinstance(ref, float | int) and ref.verbal is not None and kind != "probability":
            thing = {"magnitude": "a magnitude (how much it matters)", "odds_ratio": "an odds ratio"}.get(kind, "this number")
            problems.append((loc, f"{where}: a verbal likelihood ('{ref.verbal}') describes a probability, not "
                             f"{thing}; give a number or low/likely/high instead", None))
            return
        if not isinstance(ref, float | int) and ref.form == "distribution":
            s_lo, s_hi = support(ref.distribution, ref.params or {})
            b_lo, b_hi = self.bounds(kind)
            if s_lo < b_lo or (b_hi is not None and s_hi > b_hi):
                problems.append((loc,
                    f"{where}: a {ref.distribution} can take values from {s_lo:g} to {s_hi:g}, outside the range of a "
                    f"{kind.replace('_', ' ')} ({b_lo:g} to {b_hi if b_hi is not None else 'no limit'}); "
                    + {"probability": "use Beta (or low/likely/high, or a verbal term)", "odds_ratio": "use LogNormal or Gamma",
                       "magnitude": (f"use BetaScaled with lower {b_lo:g} and upper {b_hi:g}, or low/likely/high" if b_hi is not None
                                     else "use Gamma or LogNormal, or low/likely/high"), "number": ""}[kind], None))
        for x in numbers:
            if kind == "odds_ratio" and x == 0:
                problems.append((loc, f"{where}: an odds ratio of 0 is not allowed; use a small positive number "
                                 f"(at least {MIN_ODDS_RATIO:g})", x))
            elif x < lo or (hi is not None and x > hi):
                what = {
                    "probability": "a probability must lie between 0 and 1 (e.g. 0.4 for 40 %)",
                    "odds_ratio": f"an odds ratio must be above 0, between {MIN_ODDS_RATIO:g} and {NUMBER_LIMIT:g} (1 = no effect)",
                    "magnitude": f"a magnitude must lie on the value scale, from {lo:g} to {hi if hi is not None else 'no limit'}",
                    "number": "",
                }[kind]
                problems.append((loc, f"{where}: {x:g} is out of range; {what}", None))

    def _check_factor_directions(self) -> None:
        problems = []
        for i, f in enumerate(self.factors):
            if self._median_side(f.odds_ratio) == (1 if f.kind == "risk" else -1):
                continue  # plainly the right way, without fitting (which loads preliz)
            med = self.distribution_of(f.odds_ratio, "odds_ratio").median()
            if f.kind == "risk" and med < 1:
                problems.append((("factors", i, "kind"),
                    f"factor '{f.name}' is a risk factor but its odds ratio is centred at {med:.3g} (below 1); "
                    "risk factors raise the odds: give an odds ratio above 1, or mark it kind: protective", None))
            if f.kind == "protective" and med > 1:
                problems.append((("factors", i, "kind"),
                    f"factor '{f.name}' is protective but its odds ratio is centred at {med:.3g} (above 1); "
                    "protective factors lower the odds: give an odds ratio below 1, or mark it kind: risk", None))
        if problems:
            raise _Located(problems)

    def _median_side(self, ref) -> int | None:
        if isinstance(ref, str):
            q = self.quantity(ref)
            return median_is_clearly(q.all_judgements[0], q.kind, self.bounds(q.kind)) if len(q.all_judgements) == 1 else None
        return median_is_clearly(ref, "odds_ratio", self.bounds("odds_ratio"))

    def _check_non_negative(self, value, where: str, problems: list, loc: tuple = ()) -> None:
        if isinstance(value, float | int):
            if value < 0:
                problems.append((loc, f"{where}: {value:g} is negative; give a number of 0 or more", None))
            return
        if value.verbal is not None:
            problems.append((loc, f"{where}: a verbal likelihood ('{value.verbal}') describes a probability; give low/likely/high instead", None))
            return
        if any(x < 0 for x in value.numbers()):
            problems.append((loc, f"{where}: negative numbers are not allowed; give values of 0 or more", None))
        elif value.form == "distribution" and support(value.distribution, value.params or {})[0] < 0:
            problems.append((loc, f"{where}: a {value.distribution} can go below 0; use Gamma or LogNormal, or low/likely/high", None))

    # --- warnings: valid, but probably not what was meant ------------------------------------------

    @property
    def known_at_time(self) -> list[EvidenceItem]:
        """The evidence the decision-makers had on the day: every item not marked as learned later."""
        return [e for e in self.known if not e.learned_later]

    @property
    def learned_after(self) -> list[EvidenceItem]:
        """Items learned only after the decision: kept for the review, left out of the analysis."""
        return [e for e in self.known if e.learned_later]

    def warnings(self, fits: bool = True) -> list[CaseWarning]:
        """What in this valid case is probably not what its writer meant: outcomes compared over
        different horizons, factors no outcome uses, a harm weight outside its own range, and the
        same inline judgement written under several options (drawn independently, not shared).
        Each names its field and, for a case read from YAML, its line. ``fits``: also fit every
        judgement to see it is honoured (SciPy's optimiser: `decide check` leaves it to the commands
        that fit the judgements anyway, so checking a file stays quick)."""
        found = (self._horizon_warnings() + self._unused_factor_warnings() + self._harm_weight_warnings()
                 + self._repeated_judgement_warnings() + (self._misfit_warnings() if fits else [])
                 + self._negative_magnitude_warnings() + self._scale_text_warnings() + self._scenario_factor_warnings())
        root = _YAML_ROOTS.get(id(self))
        data = self.model_dump(mode="python") if found else {}
        out = []
        for loc, message, fix in found:
            node = _node_at(root, loc) if root is not None else None
            out.append(CaseWarning(_where(loc, data), message, fix, node.start_mark.line + 1 if node is not None else None, loc))
        return out

    def _horizon_warnings(self) -> list[tuple[tuple, str, str]]:
        """An outcome that several options share, judged over different spans under different options."""
        places: dict[str, list[tuple[int, int]]] = {}
        for i, o in enumerate(self.options):
            for j, x in enumerate(o.outcomes):
                places.setdefault(x.name, []).append((i, j))
        found = []
        for name, where in places.items():
            groups: list[list[tuple[int, int]]] = []  # places judged over the same span
            for i, j in where:
                span = self.options[i].outcomes[j].span
                group = next((g for g in groups if self.options[g[0][0]].outcomes[g[0][1]].span.same_span(span)), None)
                if group is None:
                    groups.append([(i, j)])
                else:
                    group.append((i, j))
            if len(groups) < 2:
                continue
            outcome = self.options[groups[0][0][0]].outcomes[groups[0][0][1]]
            groups.sort(key=lambda g: -self.options[g[0][0]].outcomes[g[0][1]].span.years)
            spans = [self.options[g[0][0]].outcomes[g[0][1]].horizon for g in groups]
            parts = [f"over {span} under {_quoted_and([self.options[i].name for i, _ in g])}" for span, g in zip(spans, groups)]
            i, j = groups[1][0]
            found.append((("options", i, "outcomes", j, "horizon"),
                          f"the {outcome.kind} '{name}' is judged {_and_text(parts, ' but ')}: a chance over a longer span "
                          "gives it more time to happen (or asks it to last longer), so the options' chances of it are not "
                          "comparable unless the span makes no difference to it",
                          f"judge it over the same span under every option (for example '{spans[-1]}' everywhere), or say in "
                          "its description why the spans differ"))
        return found

    def _unused_factor_warnings(self) -> list[tuple[tuple, str, str]]:
        used = {f for o in self.options for x in o.outcomes for f in x.factors}
        return [(("factors", i, "name"), f"factor '{f.name}' is defined but no outcome names it under its factors, so it "
                 "changes nothing", "add it to the factors of the outcomes it shifts, or remove it")
                for i, f in enumerate(self.factors) if f.name not in used]

    def _harm_weight_warnings(self) -> list[tuple[tuple, str, str]]:
        v = self.values
        lo, hi = v.harm_weight_range
        if lo <= v.harm_weight <= hi:
            return []
        return [(("values", "harm_weight"),
                 f"the harm weight {v.harm_weight:g} lies outside the range given for it ({lo:g} to {hi:g}); the "
                 "sensitivity analysis sweeps that range, so the weight chosen is not among those it checks",
                 f"widen the range to include {v.harm_weight:g}, or correct the weight")]

    def _scale_text_warnings(self) -> list[tuple[tuple, str, str]]:
        """The scale's words name other end points than its numbers ('points from 0 to 10' with scale_max 100): the
        report then reads every gap in points against the wrong range."""
        v = self.values
        said = [float(x) for x in re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])", v.scale)]
        if not said:
            return []
        ends = [(max(said), v.scale_max, "scale_max", "highest")]
        if len(said) > 1:
            ends.append((min(said), v.scale_min, "scale_min", "lowest"))
        found = []
        for text_end, number_end, field, which in ends:
            if number_end is not None and text_end != number_end:
                found.append((("values", field), f"the scale's words give {text_end:g} as the {which} point ('{v.scale}') "
                              f"but {field} is {number_end:g}; the report reads every difference in points against "
                              f"{field}", f"set {field}: {text_end:g}, or correct the words of 'scale'"))
        return found

    def _scenario_factor_warnings(self) -> list[tuple[tuple, str, str]]:
        """A scenario that sets a risk factor's odds ratio below 1 (or a protective one's above 1): the case itself
        refuses such an odds ratio, so the scenario probably has the direction the wrong way round."""
        kinds = {f.name: f.kind for f in self.factors}
        found = []
        for i, sc in enumerate(self.scenarios):
            for name, value in sc.quantities.items():
                kind = kinds.get(name)
                if (kind == "risk" and value < 1) or (kind == "protective" and value > 1):
                    side = "below" if kind == "risk" else "above"
                    found.append((("scenarios", i, "quantities", name),
                                  f"scenario '{sc.name}' sets the {kind} factor '{name}' to an odds ratio of {value:g}, "
                                  f"{side} 1, which turns it into a {'protective' if kind == 'risk' else 'risk'} factor; "
                                  "the case itself would refuse that odds ratio for it",
                                  f"give an odds ratio {'above' if kind == 'risk' else 'below'} 1 (1 means no effect), "
                                  "or check which factor the scenario means"))
        return found

    def _negative_magnitude_warnings(self) -> list[tuple[tuple, str, str]]:
        """A harm or benefit whose magnitude is (or may be) below 0: the sign comes from its kind, so a harm of -80
        adds 80 points of value, and the report would recommend the option for it."""
        found = []
        for i, o in enumerate(self.options):
            for j, x in enumerate(o.outcomes):
                m = x.magnitude
                numbers = [m] if isinstance(m, int | float) else m.numbers() if isinstance(m, Judgement) else []
                if isinstance(m, str):
                    q = next((q for q in self.quantities if q.name == m), None)
                    numbers = [v for jj in (q.all_judgements if q else []) for v in jj.numbers()]
                low = min(numbers, default=0)
                if low < 0:
                    other = "benefit" if x.kind == "harm" else "harm"
                    found.append((("options", i, "outcomes", j, "magnitude"),
                                  f"the {x.kind} '{x.name}' has a magnitude below 0 ({low:g}): a magnitude says how large "
                                  f"the {x.kind} is and its kind gives the sign, so this {x.kind} "
                                  f"{'adds' if x.kind == 'harm' else 'takes away'} value, as a {other} would",
                                  f"give the size as 0 or more (kind: {x.kind} already counts it as "
                                  f"{'bad' if x.kind == 'harm' else 'good'}), or make it kind: {other}"))
        return found

    def _misfit_warnings(self) -> list[tuple[tuple, str, str]]:
        """A low/likely/high (or quantiles) judgement the fitted distribution cannot honour: {0.3, 0.35, 0.9} is
        fitted as a Beta whose 10th/50th/90th percentiles are 0.20/0.50/0.80, and the analysis would use that, not the
        numbers written. Tolerance (5 % of the range, so skewed but honoured judgements pass): 0.05 on a chance, 5 % of the
        scale on a magnitude (of the largest number written
        when the scale is open), 10 % on an odds ratio or any other number."""
        places: list[tuple[tuple, Judgement, Kind]] = []
        for i, q in enumerate(self.quantities):
            if q.judgement is not None:
                places.append((("quantities", i, "judgement"), q.judgement, q.kind))
            for k, j in enumerate(q.judgements or []):
                places.append((("quantities", i, "judgements", k), j, q.kind))
        for i, o in enumerate(self.options):
            for j, x in enumerate(o.outcomes):
                for part, kind in (("chance", "probability"), ("magnitude", "magnitude")):
                    if isinstance(getattr(x, part), Judgement):
                        places.append((("options", i, "outcomes", j, part), getattr(x, part), kind))
        for i, f in enumerate(self.factors):
            if isinstance(f.odds_ratio, Judgement):
                places.append((("factors", i, "odds_ratio"), f.odds_ratio, "odds_ratio"))
        found = []
        for loc, judgement, kind in places:
            if judgement.low is not None:
                probs, stated, words = LOW_LIKELY_HIGH_PROBS, judgement.numbers(), "low / likely / high"
            elif judgement.quantiles is not None:
                probs, stated = zip(*sorted(judgement.quantiles.items()))
                words = "the quantiles"
            else:
                continue
            bounds = self.bounds(kind)
            try:
                fitted = [float(judgement.to_distribution(kind, bounds).ppf(p)) for p in probs]
            except Exception:  # noqa: BLE001 - a fit that fails is reported where the case is used, not as a warning
                continue
            if kind == "probability":
                off = [abs(a - b) > 0.05 for a, b in zip(fitted, stated)]
            elif kind == "magnitude":
                lo, hi = bounds
                span = (hi - lo) if hi is not None and math.isfinite(lo) else max(abs(v) for v in stated)
                off = [abs(a - b) > 0.05 * span for a, b in zip(fitted, stated)]
            else:
                off = [abs(a - b) > 0.1 * max(abs(b), 1e-12) for a, b in zip(fitted, stated)]
            if any(off):
                pct = " / ".join(f"{p * 100:g}th" for p in probs)
                found.append((loc, f"the fitted distribution cannot honour {words} as written: its {pct} percentiles "
                              f"are {' / '.join(f'{v:.3g}' for v in fitted)} where the judgement says "
                              f"{' / '.join(f'{v:g}' for v in stated)}, and the analysis uses the fitted one",
                              "check the numbers (likely is read as the median, low and high as the 10th and 90th "
                              "percentiles); if they are right, the family fitted here cannot take that shape: name a "
                              "distribution that can, with its params"))
        return found

    def _repeated_judgement_warnings(self) -> list[tuple[tuple, str, str]]:
        """The same inline judgement under two or more options: each is drawn on its own, so the
        options' uncertainty about it does not move together. Verbal terms are coarse, so the same
        term for different outcomes is taken as chance; for the same outcome it is flagged too."""
        groups: dict[tuple, list[tuple[int, int]]] = {}
        for i, o in enumerate(self.options):
            for j, x in enumerate(o.outcomes):
                for part in ("chance", "magnitude"):
                    ref = getattr(x, part)
                    if isinstance(ref, Judgement):
                        key = (part, ref.model_dump_json(), x.name if ref.verbal is not None else None)
                        groups.setdefault(key, []).append((i, j))
        found = []
        taken = {q.name for q in self.quantities} | {f.name for f in self.factors}
        for (part, _, _), where in groups.items():
            if len({i for i, _ in where}) < 2:
                continue
            first = self.options[where[0][0]].outcomes[where[0][1]]
            judgement = getattr(first, part)
            kind = "probability" if part == "chance" else "magnitude"
            name = (f"chance of {first.name}" if part == "chance" else f"{first.kind} of {first.name}")[:100]
            while name in taken:
                name += " (shared)"
            outcomes = {self.options[i].outcomes[j].name for i, j in where}
            listed = (f"for '{first.name}' under {_quoted_and([self.options[i].name for i, _ in where])}" if len(outcomes) == 1
                      else "under " + _and_text([f"'{self.options[i].name}' (for '{self.options[i].outcomes[j].name}')"
                                                 for i, j in where]))
            snippet = yaml.safe_dump([{"name": name, "kind": kind, "judgement": _plain_numbers(
                judgement.model_dump(exclude_defaults=True, exclude_none=True))}], sort_keys=False, allow_unicode=True,
                default_flow_style=None, width=1000)
            i, j = where[1]
            found.append((("options", i, "outcomes", j, part),
                          f"the same {part} judgement is written {listed}: each "
                          "copy is drawn on its own, so the options' uncertainty about it does not move together (in a "
                          "possible world where it is high for one option it may be low for another), which can make the "
                          "options look more or less different than they are",
                          "if it is one unknown, share one quantity: add this under quantities,\n"
                          + snippet.rstrip() + f"\nand write '{part}: {yaml.safe_dump(name, width=1000).removesuffix(chr(10) + '...' + chr(10)).strip()}' "
                          "in place of the judgement under each of those outcomes"))
        return found

    # --- helpers used by later stages ---------------------------------------------------------

    def input_names(self) -> list[str]:
        """Every uncertain input the simulation draws, by name: shared quantities, factors' odds
        ratios and inline judgements (named 'option: outcome: chance' / '... : magnitude')."""
        names = [q.name for q in self.quantities]
        names += [factor_input_name(f.name) for f in self.factors if not isinstance(f.odds_ratio, str)]
        for o in self.options:
            for out in o.outcomes:
                for part in ("chance", "magnitude"):
                    if not isinstance(getattr(out, part), str):
                        names.append(inline_input_name(o.name, out.name, part))
        return names

    def resolve_input(self, name: str) -> str | None:
        """The simulation input a user's name refers to: a quantity, a factor (its odds ratio) or
        an inline input name; None if there is none."""
        for f in self.factors:
            if name == f.name:
                return f.odds_ratio if isinstance(f.odds_ratio, str) else factor_input_name(f.name)
        return name if name in self.input_names() else None

    def input_kind(self, name: str) -> Kind | None:
        resolved = self.resolve_input(name)
        if resolved is None:
            return None
        for q in self.quantities:
            if q.name == resolved:
                return q.kind
        if resolved.endswith(": odds ratio"):
            return "odds_ratio"
        return "probability" if resolved.endswith(": chance") else "magnitude"

    def bounds(self, kind: Kind) -> tuple[float, float | None]:
        if kind == "probability":
            return (0.0, 1.0)
        if kind == "odds_ratio":
            return (0.0, None)
        if kind == "magnitude":
            lo = self.values.scale_min
            return (float("-inf") if lo is None else lo, self.values.scale_max)
        return (float("-inf"), None)

    def distribution_of(self, ref: Input, kind: Kind):
        """The distribution behind an input: a shared quantity, an inline judgement or a number."""
        from decide.judge import Fixed, pool

        if isinstance(ref, str):
            q = self.quantity(ref)
            dists = [j.to_distribution(q.kind, self.bounds(q.kind)) for j in q.all_judgements]
            return pool(dists, [j.weight for j in q.all_judgements])
        if isinstance(ref, float | int):
            return Fixed(ref)
        return ref.to_distribution(kind, self.bounds(kind))

    def quantity(self, name: str) -> Quantity:
        for q in self.quantities:
            if q.name == name:
                return q
        raise KeyError(f"no quantity named '{name}'" + _suggest(name, [q.name for q in self.quantities]))

    def option(self, name: str) -> Option:
        for o in self.options:
            if o.name == name:
                return o
        raise KeyError(f"no option named '{name}'" + _suggest(name, [o.name for o in self.options]))

    # --- reading and writing --------------------------------------------------------------------

    @classmethod
    def from_yaml(cls, path: str | Path) -> "Decision":
        """Read and validate a YAML case file. Never executes code from it (safe YAML only)."""
        path = Path(path)
        return cls.from_yaml_text(read_case_text(path), source=str(path))

    @classmethod
    def from_yaml_text(cls, text: str, source: str = "case") -> "Decision":
        data, root = _load_yaml(text, source)
        if not isinstance(data, dict):
            raise CaseError(
                [Problem("top level", type(data).__name__, "a case file must be a mapping with keys such as question, date, options")],
                source,
            )
        return cls.from_dict(data, source=source, _root=root)

    @classmethod
    def from_dict(cls, data: dict, source: str = "case", _root=None) -> "Decision":
        try:
            decision = cls.model_validate(data)
        except ValidationError as exc:
            raise CaseError(_problems(exc, data, _root), source) from None
        if _root is not None:
            _remember_yaml(decision, _root)
        return decision

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json", exclude_none=True), sort_keys=False, allow_unicode=True)


# --- helpers -------------------------------------------------------------------------------------

#: The YAML a Decision was read from (by id, dropped with the Decision), so warnings can name lines.
#: Held outside the model so that a case read from YAML still equals the same case built in Python.
_YAML_ROOTS: dict[int, object] = {}


def _remember_yaml(decision: "Decision", root) -> None:
    key = id(decision)
    _YAML_ROOTS[key] = root
    weakref.finalize(decision, _YAML_ROOTS.pop, key, None)


def _and_text(items: list[str], last: str = " and ") -> str:
    items = [str(x) for x in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + last + items[-1]


def _quoted_and(names: list[str]) -> str:
    return _and_text([f"'{n}'" for n in names])


def _plain_numbers(value):
    """Whole numbers shown as 15, not 15.0, in YAML written for a person to copy."""
    if isinstance(value, dict):
        return {k: _plain_numbers(v) for k, v in value.items()}
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _number_as_text_hint(ref: str) -> str:
    """Why a number became a quantity's name: quoted, or an exponent YAML 1.1 reads as text ('3e-1' needs a dot)."""
    if not _is_number_text(ref):
        return ""
    if re.fullmatch(r"[-+]?\d+[eE][-+]?\d+", ref.strip()):
        return f" (YAML reads {ref.strip()} as text, as its exponent has no dot: write {float(ref):g})"
    return " (to give a number, write it without quotes)"


def _is_number_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _verbal_scale_of(name: str) -> str | None:
    """The verbal scale (uk_yardstick, icd203) a name is a likelihood term of, if any ('remote_chance' counts)."""
    from decide.judge import SCALES

    looks = _looks_as(name.replace("_", " "))
    return next((scale for scale, terms in SCALES.items() if any(_looks_as(t) == looks for t in terms)), None)


def _duplicates(names: list[str]) -> list[str]:
    """Names that look the same as an earlier one (same letters up to case and Unicode form), as written the second time."""
    seen, dups = {}, []
    for n in names:
        looks = _looks_as(n)
        if looks in seen and n not in dups:
            dups.append(n)
        seen.setdefault(looks, n)
    return dups


def _second(names: list[str], dup: str) -> int:
    """Where a duplicate name appears the second time (it may be spelt differently from the first)."""
    looks = _looks_as(dup)
    first = next(i for i, n in enumerate(names) if _looks_as(n) == looks)
    return next(i for i, n in enumerate(names) if i > first and _looks_as(n) == looks)


def _duplicate_text(names: list[str], dups: list[str]) -> str:
    """The duplicate names, with the earlier spelling when they differ only in case or Unicode form."""
    out = []
    for d in dups:
        first = next(n for n in names if _looks_as(n) == _looks_as(d))
        out.append(repr(d) if first == d else f"{first!r} and {d!r} (they differ only in letter case or Unicode form)")
    return "[" + ", ".join(out) + "]"


def _no_duplicates(names: list[str], what: str) -> None:
    seen, dups = set(), []
    for n in names:
        if n in seen:
            dups.append(n)
        seen.add(n)
    if dups:
        raise ValueError(f"duplicate {what} name{'s' if len(dups) > 1 else ''} {sorted(set(dups))}; each {what} needs its own name")


def _suggest(name: str, choices) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def read_case_text(path: Path) -> str:
    """The text of a case file, refusing what is not one: a folder, a device, an unreadable,
    huge, binary or non-UTF-8 file. Reads at most MAX_FILE_BYTES + 1 bytes."""

    def refuse(message: str, value=None):
        raise CaseError([Problem("file", value, message)], str(path))

    try:
        if not path.exists():
            refuse("no such file; check the path", str(path))
        if path.is_dir():
            refuse("this is a folder, not a case file; give the path of a .yaml file inside it")
        if not path.is_file():
            refuse("this is not an ordinary file (a device or pipe?); give the path of a .yaml case file")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            refuse(f"the file is {size / 1e6:.1f} MB; a case file may be at most {MAX_FILE_BYTES / 1e6:g} MB "
                   "(the examples in data/cases/ are under 10 kB)")
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except PermissionError:
        refuse("cannot read this file: permission denied; check that you may read it (e.g. chmod u+r)")
    except OSError as exc:
        refuse(f"cannot read this file ({exc.strerror or exc}); check the path")
    if len(raw) > MAX_FILE_BYTES:
        refuse(f"the file is larger than {MAX_FILE_BYTES / 1e6:g} MB, the most a case file may be")
    if b"\x00" in raw[:8192]:
        refuse("this is a binary file, not a YAML case file; give a text file like those in data/cases/")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        refuse(f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8")


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML that also refuses duplicate keys (which plain YAML silently overwrites), keys
    that are lists or mappings, impossible dates, nesting deeper than MAX_DEPTH and too many
    aliases (counted while composing, before anything is expanded)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Hostile(f"more than {MAX_ALIASES} aliases (*name); a case file needs only a few",
                               self.peek_event().start_mark)
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Hostile(f"nested more than {MAX_DEPTH} levels deep; a case file needs fewer than 10",
                           self.peek_event().start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Hostile(yaml.YAMLError):
    """A file built to exhaust the reader (an alias bomb, extreme nesting)."""

    def __init__(self, problem: str, mark):
        self.problem, self.problem_mark = problem, mark
        super().__init__(problem)


def _key_as_read(key):
    """A key as the case's fields read it: text without surrounding spaces, a number written as text as that number."""
    if isinstance(key, bool) or not isinstance(key, str | int | float):
        return key
    if isinstance(key, str):
        key = key.strip()
        try:
            return float(key)
        except ValueError:
            return key
    return float(key)


def _construct_mapping(loader, node, deep=False):
    keys = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # '<<: *base' copies another mapping's keys; its own keys may override them
        if isinstance(key_node, yaml.MappingNode | yaml.SequenceNode):
            raise yaml.constructor.ConstructorError(
                None, None, "a list or mapping is used as a key; a key must be a plain word such as 'name'", key_node.start_mark
            )
        key = loader.construct_object(key_node, deep=deep)
        same = _key_as_read(key)  # 'harm_rate ' is harm_rate and "0.5" is 0.5 once the case is read
        if same in keys:
            first = keys[same]
            def shown(k):
                return f"'{k}'" if isinstance(k, str) else f"{k} (a number)"

            twice = "" if first == key else f", once as {shown(first)} and once as {shown(key)}"
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{str(key).strip()}' (written twice{twice}; the second would silently replace "
                f"the first)", key_node.start_mark
            )
        keys[same] = key
    _note_fields(loader, node.value)
    return loader.construct_mapping(node, deep=deep)


def _note_fields(loader, pairs) -> None:
    """Remember which key each plain value (or list item) sits under, so a value YAML cannot read is named by its field."""
    fields = loader.__dict__.setdefault("_field_of", {})
    for k, v in pairs:
        if isinstance(v, yaml.ScalarNode):
            fields[id(v)] = str(k.value)
        elif isinstance(v, yaml.SequenceNode):
            fields.update((id(item), f"{k.value}[{i}]") for i, item in enumerate(v.value))


class _Unreadable(yaml.constructor.ConstructorError):
    """A plain value YAML cannot read as its tag says (or would silently read as another number): refused by line."""

    def __init__(self, loader, node, message: str):
        self.field = loader.__dict__.get("_field_of", {}).get(id(node))
        super().__init__(None, None, message, node.start_mark)


def _tagged(name: str):
    """A constructor for !!bool/!!int/!!float that refuses, with the line, a value its tag cannot read
    (PyYAML's own raise KeyError/ValueError: a traceback)."""
    base = getattr(yaml.SafeLoader, f"construct_yaml_{name}")

    def construct(loader, node):
        try:
            value = base(loader, node)
        except (KeyError, ValueError, TypeError, AttributeError, OverflowError):
            raise _Unreadable(loader, node, f"the tag !!{name} cannot read '{node.value}'; remove the tag and write "
                              f"the value plainly") from None
        if name != "bool" and (why := _rebased(str(node.value), value)):
            raise _Unreadable(loader, node, why)
        return value

    return construct


def _rebased(written: str, value) -> str | None:
    """Why a number is refused when YAML 1.1 would read it in another base than the one people write in: '010' is
    octal 8, '1:30' is base-60 90, '0x1E' is 30, '3_0' is 30 (YAML 1.2 reads '010' as 10 and '1:30' as text)."""
    digits = written.strip().lstrip("+-")
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    if ":" in digits:
        return f"YAML reads '{written}' as the base-60 (clock) number {shown}; write the number in plain digits ({shown} if you meant that)"
    if digits[:2].lower() in ("0x", "0b"):
        base = "hexadecimal" if digits[1] in "xX" else "binary"
        return f"YAML reads '{written}' as the {base} number {shown}; write it in plain decimal digits: {shown}"
    if len(digits) > 1 and digits[0] == "0" and digits[1].isdigit() and isinstance(value, int):
        decimal = written.strip()[: len(written.strip()) - len(digits)] + (digits.replace("_", "").lstrip("0") or "0")
        return (f"YAML reads '{written}' as the octal number {shown} (because of the leading zero); write {decimal} "
                f"(or {shown}) without the leading zero")
    if "_" in digits:
        return f"YAML reads '{written}' as {shown}, dropping the '_'; write the number without it: {shown}"
    return None


def _construct_date(loader, node):
    """YAML dates, with a plain message for impossible ones (2026-02-30) instead of a traceback."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError, AttributeError):  # AttributeError: '!!timestamp soon' matches no date at all
        raise yaml.constructor.ConstructorError(
            None, None, f"'{node.value}' is not a date: {_why_not_a_date(node.value)}; give a date as YYYY-MM-DD",
            node.start_mark,
        ) from None


def _why_not_a_date(text: str) -> str:
    import calendar

    m = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if not m:
        return "not a day of the calendar"
    year, month, day = map(int, m.groups())
    if year < 1:
        return "there is no year 0"
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    days = calendar.monthrange(year, month)[1]
    if day > days or day < 1:
        return f"{calendar.month_name[month]} has {days} days in {year}"
    return "not a day of the calendar"


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_date)
for _tag in ("bool", "int", "float"):
    _UniqueKeyLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _tagged(_tag))


def _refuse_tag(loader, node):
    """Binary data, sets and ordered pairs are not what any field of a case holds (pydantic would
    quietly turn bytes into text and a set, in no fixed order, into a list)."""
    raise yaml.constructor.ConstructorError(
        None, None, f"the tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not allowed", node.start_mark
    )


for _tag in ("binary", "set", "omap", "pairs"):
    _UniqueKeyLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refuse_tag)

if getattr(yaml, "__with_libyaml__", False):
    class _FastUniqueKeyLoader(yaml.CSafeLoader):
        """The same rules with libyaml's parser and composer, ten times faster (a 2 MB file is
        read in about a second rather than ten). Depth and aliases are checked beforehand by
        _prescan, since libyaml's composer cannot count them as it goes."""

    for _tag, _constructor in _UniqueKeyLoader.yaml_constructors.items():
        _FastUniqueKeyLoader.add_constructor(_tag, _constructor)
    _LOADER = _FastUniqueKeyLoader
else:
    _LOADER = _UniqueKeyLoader


def _prescan(text: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH and more than MAX_ALIASES aliases from the stream of
    parser events (flat, nothing built), before any node is composed."""
    depth = aliases = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Hostile(f"nested more than {MAX_DEPTH} levels deep; a case file needs fewer than 10", event.start_mark)
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise _Hostile(f"more than {MAX_ALIASES} aliases (*name); a case file needs only a few", event.start_mark)


def _expanded_size(root, limit: int) -> int:
    """How many values the document holds once every alias is expanded, counted without
    expanding (each node's size is computed once). Stops counting above limit."""
    sizes: dict[int, int] = {}
    order, stack = [], [root]
    while stack:  # every distinct node, parents before children
        node = stack.pop()
        if id(node) in sizes:
            continue
        sizes[id(node)] = 0
        order.append(node)
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(x for pair in node.value for x in pair)
    for node in reversed(order):  # children first (the graph has no cycles)
        size = 1
        if isinstance(node, yaml.SequenceNode):
            size += sum(sizes[id(c)] for c in node.value)
        elif isinstance(node, yaml.MappingNode):
            size += sum(sizes[id(k)] + sizes[id(v)] for k, v in node.value)
        sizes[id(node)] = min(size, limit + 1)
    return sizes[id(root)]


#: Characters YAML reads as a line break that editors and grep show inside one line: a key after one is hidden.
_HIDDEN_BREAKS = {"\u2028": "LINE SEPARATOR", "\u2029": "PARAGRAPH SEPARATOR", "\u0085": "NEXT LINE (NEL)"}


def _load_yaml(text: str, source: str):
    if len(text) > MAX_FILE_BYTES:
        raise CaseError([Problem("file", None, f"the text is longer than {MAX_FILE_BYTES / 1e6:g} MB, the most a case file may be")], source)
    at = min((i for i in (text.find(ch) for ch in _HIDDEN_BREAKS) if i >= 0), default=-1)
    if at >= 0:
        line = text.count("\n", 0, at) + 1
        raise CaseError([Problem("file", None, f"the line holds a U+{ord(text[at]):04X} {_HIDDEN_BREAKS[text[at]]}, which YAML "
                                 "reads as a line break although editors show one line (it can hide a setting); save "
                                 "the file with ordinary line breaks", line)], source)
    loader = None
    try:
        _prescan(text)
        loader = _LOADER(text)
        root = loader.get_single_node()
        if root is not None and _expanded_size(root, MAX_EXPANDED_NODES) > MAX_EXPANDED_NODES:
            raise _Hostile(f"its aliases expand to more than {MAX_EXPANDED_NODES:,} values (an 'alias bomb'); "
                           "write the values out instead of repeating aliases", root.start_mark)
        data = loader.construct_document(root) if root is not None else None
    except _Hostile as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise CaseError([Problem("YAML", None, f"refused: {exc.problem}", line)], source) from None
    except _Unreadable as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise CaseError([Problem(exc.field or "YAML", None, exc.problem, line)], source) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or ""
        if "duplicate key" in problem:
            raise CaseError([Problem("mapping", None, problem + "; remove or rename one of them", line)], source) from None
        if "as a key" in problem or "is not a date" in problem:
            raise CaseError([Problem("YAML", None, problem, line)], source) from None
        if problem.endswith("is not allowed"):
            raise CaseError([Problem("YAML tag", None, problem + "; a case file holds plain data only (text, numbers, "
                                     "lists, mappings)", line)], source) from None
        if "for merging" in problem:  # '<<: 5': a merge key names another mapping, not a value
            raise CaseError([Problem("YAML", None, "'<<' merges the keys of another mapping into this one (write "
                                     "'<<: *name', name being an anchor '&name' on a mapping); it cannot merge a single "
                                     "value: remove the '<<' line or point it at a mapping", line)], source) from None
        named = re.search(r"the tag '([^']*)'", problem)
        tag = named[1].replace("tag:yaml.org,2002:", "!!") if named else problem.split("tag")[-1].strip()
        if tag == "!!merge":
            raise CaseError([Problem("YAML tag", None, "the tag !!merge is not allowed on a value; a case file holds "
                                     "plain data only: remove the tag", line)], source) from None
        raise CaseError(
            [Problem("YAML tag", tag, "tags that build Python objects are not allowed; a case file holds plain data only (text, numbers, lists, mappings)", line)],
            source,
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        first = getattr(exc, "context_mark", None)
        if "duplicate anchor" in (getattr(exc, "context", None) or "") and mark is not None and first is not None:
            found = re.match(r"&([^\s,\]}]+)", text.splitlines()[mark.line][mark.column:]) if mark.line < len(text.splitlines()) else None
            name = f"&{found[1]}" if found else "anchor"
            raise CaseError([Problem("YAML", None, f"the anchor {name} is defined twice (lines {first.line + 1} and {line}); "
                                     "give the second another name", line)], source) from None
        raise CaseError(
            [Problem("YAML", None, f"malformed YAML: {problem}; check indentation, colons and quotes near this line", line)],
            source,
        ) from None
    except RecursionError:
        raise CaseError([Problem("YAML", None, f"nested too deeply; a case file needs fewer than {MAX_DEPTH} levels")], source) from None
    finally:
        if loader is not None:
            loader.dispose()
    if data is None:
        raise CaseError([Problem("file", None, "the file is empty; start from one of the examples in data/cases/")], source)
    return data, root


def _lookup(mapping, key, depth: int = 0):
    """The (key node, value node) of a key in a YAML mapping, following '<<: *base' merges; None if absent."""
    for k, v in mapping.value:
        if k.tag != "tag:yaml.org,2002:merge" and (k.value == key or not isinstance(key, str) and k.value == str(key)):
            return k, v
    for k, v in mapping.value:
        if k.tag == "tag:yaml.org,2002:merge" and depth < MAX_DEPTH:
            for base in v.value if isinstance(v, yaml.SequenceNode) else [v]:
                found = _lookup(base, key, depth + 1) if isinstance(base, yaml.MappingNode) else None
                if found:
                    return found
    return None


def _node_at(root, loc):
    """The YAML node whose line is the one at fault for a location: the key of a field (so a block
    value, which starts on the next line, is blamed on its key's line), the item of a list, or for a
    missing field the deepest part that exists (its parent). None for a field missing at the top level."""
    node, handle = root, root
    for depth, key in enumerate(loc):
        if isinstance(node, yaml.MappingNode):
            found = _lookup(node, key)
            if found is None:
                return None if depth == 0 else handle
            handle, node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
            handle = node = node.value[key]
        else:
            return handle
    return handle


def _where(loc, data) -> str:
    """A readable path such as options[0] (return home).outcomes[1] (re-abuse).chance."""
    parts, cur = [], data
    for key in loc:
        if isinstance(key, int):
            parts[-1] = f"{parts[-1]}[{key}]" if parts else f"[{key}]"
            try:
                cur = cur[key]
                if isinstance(cur, dict) and isinstance(cur.get("name"), str):  # not '(False)' for an unquoted no
                    name = str(cur["name"])  # hidden characters shown as escapes, never sent to the terminal as they are
                    shown = "".join(ch.encode("unicode_escape").decode("ascii") if _hidden(ch) else ch for ch in name)
                    parts[-1] += f" ({shown})"
            except (IndexError, KeyError, TypeError):
                cur = None
        else:
            parts.append(str(key))
            cur = cur.get(key) if isinstance(cur, dict) else None
    return ".".join(parts) or "top level"


_FIELD_HINTS = {
    "float_parsing": "give a number",
    "float_type": "give a number",
    "date_from_datetime_parsing": "give a date as YYYY-MM-DD",
    "date_parsing": "give a date as YYYY-MM-DD",
    "date_type": "give a date as YYYY-MM-DD",
    "string_type": "give text",
    "list_type": "give a list (lines starting with '- ')",
    "literal_error": "",
    "missing": "add this field",
    "too_short": "",
    "finite_number": "NaN and infinity are not numbers a decision can use; give a finite number",
    "int_from_float": "give a whole number",
    "int_parsing": "give a whole number",
    "int_type": "give a whole number",
    "dict_type": "give a mapping (lines of 'key: value')",
    "model_type": "give a mapping (lines of 'key: value')",
    "date_not_number": "",
    "bool_not_number": "",
    "input_form": "",
    "missing_word": "",
}


#: The start of a model-level message that repeats the field its location already names.
_REPEATED_WHERE = re.compile(
    r"^(option '[^']*', outcome '[^']*' (chance|magnitude)|quantity '[^']*'|factor '[^']*' odds_ratio"
    r"|scenario '[^']*' value of '[^']*'|enquiry '[^']*' weeks|delay_harm_per_week)(: | (?=names |needs ))"
)

#: Most problems listed for one file: a file with thousands of errors is the wrong file, and
#: listing them all (each with a suggestion) would take longer than reading it.
MAX_PROBLEMS = 25


def _problems(exc: ValidationError, data, root) -> list[Problem]:
    """Turn pydantic's errors into one readable problem per field, dropping union noise."""
    problems, seen = [], set()
    errors = []
    for err in exc.errors(include_url=False):
        located = (err.get("ctx") or {}).get("error")
        if err["type"] == "value_error" and isinstance(located, _Located):
            prefix = tuple(err["loc"])
            errors += [{"type": "located", "loc": prefix + tuple(loc), "msg": _REPEATED_WHERE.sub("", message), "input": value}
                       for loc, message, value in located.items]
        else:
            errors.append(err)
    # For fields typed "quantity name | number | judgement", pydantic reports one error per branch.
    # Keep the branch matching what the user wrote (text -> name, number -> float, mapping -> judgement).
    for err in errors:
        loc = list(err["loc"])
        branch = next((x for x in loc if x in ("str", "constrained-str", "float", "Judgement", "int")), None)
        if branch is not None:
            i = loc.index(branch)
            value = _value_at(data, loc[:i])
            wanted = {str: "str", bool: "float", int: "float", float: "float", dict: "Judgement"}.get(type(value))
            if wanted != branch.replace("constrained-", "") and not (branch == "int" and wanted == "float"):
                continue
            loc = loc[:i] + loc[i + 1 :]
        loc = [x for x in loc if not (isinstance(x, str) and (x.startswith("function-") or x in _FORM_TAGS))]
        where = _where(loc, data)
        msg = err["msg"].removeprefix("Value error, ").replace("Input should be", "should be")
        if err["type"] == "extra_forbidden":
            field = loc[-1]
            parent = _value_at(data, loc[:-1])
            allowed = _allowed_fields(parent, loc)
            msg = f"unknown field '{field}'" + _suggest(str(field), allowed) + (
                f"; allowed here: {', '.join(sorted(allowed))}" if allowed else ""
            )
        else:
            hint = _FIELD_HINTS.get(err["type"])
            if err["type"] in ("less_than_equal", "greater_than_equal") and NUMBER_LIMIT in (err.get("ctx") or {}).values():
                hint = f"numbers in a case file lie between {-NUMBER_LIMIT:,.0f} and {NUMBER_LIMIT:,.0f}"
            if hint:
                msg = f"{msg}; {hint}"
        node = _node_at(root, loc) if root is not None else None
        line = node.start_mark.line + 1 if node is not None else None
        if err["type"] == "string_type":
            msg += _unquoted_hint(_value_node(root, loc) if root is not None else None)
        value = err.get("input") if err["type"] not in ("missing",) else None
        if isinstance(value, dict) and err["type"] != "extra_forbidden":
            value = None  # the whole mapping is too much to echo back
        if isinstance(value, bool):
            value = "yes" if value else "no"  # as the user wrote it, not Python's True
        elif isinstance(value, dt.date):
            value = value.isoformat()  # not datetime.date(2026, 1, 1)
        key = (where, msg)
        if key not in seen:
            seen.add(key)
            problems.append(Problem(where, value, msg, line))
            if len(problems) == MAX_PROBLEMS:
                more = len(errors) - errors.index(err) - 1
                if more:
                    problems.append(Problem("and more", None, f"{more} further errors not listed; fix these first"))
                break
    return problems


def _value_node(root, loc):
    """The YAML node of the value at loc (not its key), or None."""
    node = root
    for key in loc:
        if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
            node = node.value[key]
        elif isinstance(node, yaml.MappingNode):
            found = _lookup(node, key)
            if found is None:
                return None
            node = found[1]
        else:
            return None
    return node


def _unquoted_hint(node) -> str:
    """What YAML made of an unquoted word where text was wanted (no -> a no, 2026 -> a number), and the fix."""
    if not isinstance(node, yaml.ScalarNode) or node.style not in (None, ""):  # plain (libyaml says "")
        return ""
    what = {"tag:yaml.org,2002:bool": "yes/no", "tag:yaml.org,2002:null": "nothing (empty)",
            "tag:yaml.org,2002:int": "a number", "tag:yaml.org,2002:float": "a number",
            "tag:yaml.org,2002:timestamp": "a date"}.get(node.tag)
    raw = node.value if node.value != "" else "~"
    return f": YAML reads the unquoted {raw} as {what}, not text; put it in quotes, e.g. '{raw}'" if what else ""


def _value_at(data, loc):
    cur = data
    for key in loc:
        try:
            cur = cur[key]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def _allowed_fields(parent, loc) -> list[str]:
    keys = [k for k in loc if isinstance(k, str)]
    model = Decision
    table = {
        "known": EvidenceItem, "quantities": Quantity, "factors": Factor, "options": Option,
        "outcomes": Outcome, "values": Values, "judgement": Judgement, "judgements": Judgement,
        "chance": Judgement, "magnitude": Judgement, "odds_ratio": Judgement,
        "enquiries": Enquiry, "scenarios": Scenario, "weeks": Judgement, "delay_harm_per_week": Judgement,
    }
    for k in keys[:-1]:
        model = table.get(k, model)
    return list(model.model_fields)
