"""Frame the decision: the question, who decides, what was known, the options and their outcomes.

A decision can be written as a YAML case file (analysts) or built in Python (researchers);
both give the same validated :class:`Decision`. Validation happens here, at the boundary,
so later stages can trust what they are given.
"""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from decide.errors import CaseError, Problem
from decide.judge import Judgement, Kind

Name = Annotated[str, Field(min_length=1, max_length=120)]
#: Where an input comes from: the name of a shared quantity, an inline judgement, or a number.
Input = Name | float | Judgement


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class EvidenceItem(_Strict):
    """Something known on the day of the decision, with where it came from and how far to trust it."""

    what: str
    source: str
    date: dt.date | None = None
    reliability: Literal["high", "medium", "low", "unknown"] = "unknown"
    informs: list[Name] = Field(default_factory=list, description="quantities this evidence bears on")


class Quantity(_Strict):
    """A named uncertain input that outcomes and options can share (so shared unknowns correlate)."""

    name: Name
    kind: Kind = "probability"
    description: str = ""
    source: str | None = None
    judgement: Judgement | None = None
    judgements: list[Judgement] | None = Field(None, description="several practitioners' judgements, pooled")

    @model_validator(mode="after")
    def _has_judgement(self) -> "Quantity":
        if (self.judgement is None) == (self.judgements is None):
            raise ValueError("give either 'judgement' (one) or 'judgements' (several, pooled), not both or neither")
        if self.judgements is not None and len(self.judgements) == 0:
            raise ValueError("'judgements' is empty; give at least one judgement")
        for j in self.all_judgements:
            if j.verbal is not None and self.kind != "probability":
                raise ValueError(
                    f"a verbal likelihood ('{j.verbal}') describes a probability, but this quantity's kind is "
                    f"'{self.kind}'; use low/likely/high or a distribution instead"
                )
        return self

    @property
    def all_judgements(self) -> list[Judgement]:
        return [self.judgement] if self.judgement is not None else list(self.judgements)


class Outcome(_Strict):
    """A possible consequence of an option: a harm or a benefit, with a chance and a magnitude."""

    name: Name
    kind: Literal["harm", "benefit"]
    chance: Input = Field(description="probability it happens within the horizon")
    horizon: str = Field(min_length=1, description="e.g. '2 years'")
    magnitude: Input = Field(description="how much it matters, on the decision's value scale")
    factors: list[Name] = Field(default_factory=list, description="risk/protective factors shifting the chance")
    description: str = ""
    source: str | None = None


class Option(_Strict):
    """One course of action."""

    name: Name
    description: str = ""
    outcomes: list[Outcome]

    @field_validator("outcomes")
    @classmethod
    def _some_outcomes(cls, v: list[Outcome]) -> list[Outcome]:
        if not v:
            raise ValueError("an option needs at least one outcome (a harm or a benefit); there is no safe option")
        _no_duplicates([o.name for o in v], "outcome")
        return v


class Factor(_Strict):
    """A risk or protective factor of this case, shifting a base rate by an uncertain odds ratio."""

    name: Name
    kind: Literal["risk", "protective"]
    odds_ratio: Input
    description: str = ""
    source: str | None = None


class Values(_Strict):
    """How harms and benefits are weighed: a common scale and a contestable harm weight."""

    scale: str = "points: 0 = no effect, 100 = the most serious harm or greatest benefit for this child"
    scale_min: float | None = Field(0.0, description="lowest magnitude allowed; none for no limit")
    scale_max: float | None = Field(100.0, description="highest magnitude allowed; none for no limit")
    harm_weight: float = Field(1.0, gt=0, description="how many points of benefit one point of harm outweighs")
    harm_weight_range: tuple[float, float] = (0.25, 4.0)

    @model_validator(mode="after")
    def _ranges(self) -> "Values":
        if self.scale_max is not None and self.scale_min is not None and not self.scale_min < self.scale_max:
            raise ValueError(f"need scale_min < scale_max, got {self.scale_min:g} and {self.scale_max:g}")
        lo, hi = self.harm_weight_range
        if not 0 < lo < hi:
            raise ValueError(f"harm_weight_range needs 0 < low < high, got ({lo:g}, {hi:g})")
        return self


def factor_input_name(factor: str) -> str:
    """The name under which a factor's odds ratio appears among the simulation's inputs."""
    return f"{factor}: odds ratio"


def inline_input_name(option: str, outcome: str, part: str) -> str:
    """The name of an inline judgement (part = 'chance' or 'magnitude') among the simulation's inputs."""
    return f"{option}: {outcome}: {part}"


class Enquiry(_Strict):
    """Something that could be found out before deciding: an assessment, a drug test, a report.

    It is taken to settle the inputs it ``informs`` (its value is then their EVPPI, the most it
    could be worth); with ``cases`` it is a study of that many similar cases bearing on one rate
    (its value is the EVSI). ``weeks`` is how long the decision would wait for it.
    """

    name: Name
    informs: list[Name] = Field(min_length=1, description="quantities (or factors) the enquiry would settle")
    weeks: float | Judgement = Field(description="how long the decision would wait for it, in weeks")
    cases: int | None = Field(None, ge=1, description="for a study of further cases: how many (informs one rate)")
    description: str = ""

    @field_validator("weeks")
    @classmethod
    def _positive(cls, v):
        if isinstance(v, float | int) and v <= 0:
            raise ValueError(f"weeks must be above 0, got {v:g}")
        return v


class Scenario(_Strict):
    """A stated view of the case: some inputs set to values, hidden odds ratios on outcomes, and
    perhaps another weight of harm against benefit. Everything not named stays uncertain."""

    name: Name
    description: str = ""
    quantities: dict[str, float] = Field(default_factory=dict, description="input name -> value in this scenario")
    odds_ratios: dict[str, float] = Field(default_factory=dict, description="outcome name -> hidden odds ratio (every option with it)")
    harm_weight: float | None = Field(None, gt=0)


class Decision(_Strict):
    """The question, the day it is decided, who decides, what was known and the options."""

    question: str = Field(min_length=1)
    date: dt.date
    decided_by: list[str] = Field(min_length=1, description="roles of the decision-makers")
    context: str = ""
    known: list[EvidenceItem] = Field(default_factory=list, description="what was known at the time")
    quantities: list[Quantity] = Field(default_factory=list)
    factors: list[Factor] = Field(default_factory=list)
    options: list[Option] = Field(min_length=2)
    values: Values = Field(default_factory=Values)
    enquiries: list[Enquiry] = Field(default_factory=list, description="what could be found out before deciding")
    delay_harm_per_week: float | Judgement | None = Field(
        None, description="harm to the child of each week's delay (drift), in value points; a number or a judgement"
    )
    scenarios: list[Scenario] = Field(default_factory=list, description="stated views of the case for regret analysis")

    @model_validator(mode="after")
    def _references(self) -> "Decision":
        problems: list[str] = []
        _no_duplicates([o.name for o in self.options], "option")
        _no_duplicates([q.name for q in self.quantities], "quantity")
        _no_duplicates([f.name for f in self.factors], "factor")
        clash = {q.name for q in self.quantities} & {f.name for f in self.factors}
        if clash:
            raise ValueError(f"names used for both a quantity and a factor: {sorted(clash)}; rename one of each")
        quantities = {q.name: q for q in self.quantities}
        factors = {f.name for f in self.factors}

        def check_ref(ref, where: str, kind: Kind):
            if isinstance(ref, str):
                if ref not in quantities:
                    problems.append(
                        f"{where} names quantity '{ref}', which is not defined"
                        + _suggest(ref, quantities)
                        + "; add it under 'quantities' or give a judgement here"
                    )
                elif quantities[ref].kind != kind:
                    problems.append(f"{where} needs a quantity of kind '{kind}' but '{ref}' is '{quantities[ref].kind}'")
            else:
                self._check_numbers(ref, kind, where, problems)

        for q in self.quantities:
            for j in q.all_judgements:
                self._check_numbers(j, q.kind, f"quantity '{q.name}'", problems)
        for f in self.factors:
            check_ref(f.odds_ratio, f"factor '{f.name}' odds_ratio", "odds_ratio")
        for opt in self.options:
            for out in opt.outcomes:
                where = f"option '{opt.name}', outcome '{out.name}'"
                check_ref(out.chance, f"{where} chance", "probability")
                check_ref(out.magnitude, f"{where} magnitude", "magnitude")
                for f in out.factors:
                    if f not in factors:
                        problems.append(f"{where} names factor '{f}', which is not defined" + _suggest(f, factors))
        for e in self.known:
            for name in e.informs:
                if name not in quantities:
                    problems.append(f"evidence '{e.what[:40]}' informs '{name}', which is not a quantity" + _suggest(name, quantities))
        inputs = self.input_names()
        _no_duplicates([e.name for e in self.enquiries], "enquiry")
        _no_duplicates([s.name for s in self.scenarios], "scenario")
        for e in self.enquiries:
            for name in e.informs:
                if self.resolve_input(name) is None:
                    problems.append(f"enquiry '{e.name}' informs '{name}', which is not a quantity or factor" + _suggest(name, inputs))
            if e.cases is not None and (len(e.informs) != 1 or self.input_kind(e.informs[0]) != "probability"):
                problems.append(f"enquiry '{e.name}' is a study of {e.cases} cases, so it must inform exactly one probability")
            if not isinstance(e.weeks, float | int):
                self._check_non_negative(e.weeks, f"enquiry '{e.name}' weeks", problems)
        if self.delay_harm_per_week is not None:
            self._check_non_negative(self.delay_harm_per_week, "delay_harm_per_week", problems)
        outcome_names = {out.name for o in self.options for out in o.outcomes}
        for sc in self.scenarios:
            for name, value in sc.quantities.items():
                kind = self.input_kind(name)
                if kind is None:
                    problems.append(f"scenario '{sc.name}' sets '{name}', which is not a quantity or factor" + _suggest(name, inputs))
                else:
                    self._check_numbers(value, kind, f"scenario '{sc.name}' value of '{name}'", problems)
            for name, ratio in sc.odds_ratios.items():
                if name not in outcome_names:
                    problems.append(f"scenario '{sc.name}' shifts outcome '{name}', which no option has" + _suggest(name, outcome_names))
                if ratio <= 0:
                    problems.append(f"scenario '{sc.name}' odds ratio for '{name}' is {ratio:g}; an odds ratio must be above 0")
        if problems:
            raise ValueError("; ".join(problems))
        self._check_factor_directions()
        return self

    def _check_numbers(self, ref, kind: Kind, where: str, problems: list[str]) -> None:
        numbers = [ref] if isinstance(ref, float | int) else ref.numbers()
        lo, hi = self.bounds(kind)
        if not isinstance(ref, float | int) and ref.form == "distribution":
            s_lo, s_hi = ref.to_distribution(kind, (lo, hi)).support
            if s_lo < lo or (hi is not None and s_hi > hi):
                problems.append(
                    f"{where}: a {ref.distribution} can take values from {s_lo:g} to {s_hi:g}, outside the range of a "
                    f"{kind.replace('_', ' ')} ({lo:g} to {hi if hi is not None else 'no limit'}); "
                    + {"probability": "use Beta (or low/likely/high, or a verbal term)", "odds_ratio": "use LogNormal or Gamma",
                       "magnitude": (f"use BetaScaled with lower {lo:g} and upper {hi:g}, or low/likely/high" if hi is not None
                                     else "use Gamma or LogNormal, or low/likely/high"), "number": ""}[kind]
                )
        for x in numbers:
            if x < lo or (hi is not None and x > hi):
                what = {
                    "probability": "a probability must lie between 0 and 1 (e.g. 0.4 for 40 %)",
                    "odds_ratio": "an odds ratio must be above 0 (1 = no effect)",
                    "magnitude": f"a magnitude must lie on the value scale, from {lo:g} to {hi if hi is not None else 'no limit'}",
                    "number": "",
                }[kind]
                problems.append(f"{where}: {x:g} is out of range; {what}")
        if kind == "odds_ratio" and any(x == 0 for x in numbers):
            problems.append(f"{where}: an odds ratio of 0 is not allowed; use a small positive number")

    def _check_factor_directions(self) -> None:
        for f in self.factors:
            med = self.distribution_of(f.odds_ratio, "odds_ratio").median()
            if f.kind == "risk" and med < 1:
                raise ValueError(
                    f"factor '{f.name}' is a risk factor but its odds ratio is centred at {med:.3g} (below 1); "
                    "risk factors raise the odds: give an odds ratio above 1, or mark it kind: protective"
                )
            if f.kind == "protective" and med > 1:
                raise ValueError(
                    f"factor '{f.name}' is protective but its odds ratio is centred at {med:.3g} (above 1); "
                    "protective factors lower the odds: give an odds ratio below 1, or mark it kind: risk"
                )

    def _check_non_negative(self, value, where: str, problems: list[str]) -> None:
        if isinstance(value, float | int):
            if value < 0:
                problems.append(f"{where}: {value:g} is negative; give a number of 0 or more")
            return
        if value.verbal is not None:
            problems.append(f"{where}: a verbal likelihood ('{value.verbal}') describes a probability; give low/likely/high instead")
            return
        if any(x < 0 for x in value.numbers()):
            problems.append(f"{where}: negative numbers are not allowed; give values of 0 or more")
        elif value.form == "distribution" and value.to_distribution("number", (0.0, None)).support[0] < 0:
            problems.append(f"{where}: a {value.distribution} can go below 0; use Gamma or LogNormal, or low/likely/high")

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
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CaseError([Problem("file", str(path), "no such file; check the path")], str(path)) from None
        except UnicodeDecodeError as exc:
            raise CaseError([Problem("file", None, f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8")], str(path)) from None
        return cls.from_yaml_text(text, source=str(path))

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
            return cls.model_validate(data)
        except ValidationError as exc:
            raise CaseError(_problems(exc, data, _root), source) from None

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json", exclude_none=True), sort_keys=False, allow_unicode=True)


# --- helpers -------------------------------------------------------------------------------------


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


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML that also refuses duplicate keys (which plain YAML silently overwrites)."""


def _construct_mapping(loader, node, deep=False):
    keys = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in keys:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}' (the second would silently replace the first)", key_node.start_mark
            )
        keys.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _load_yaml(text: str, source: str):
    try:
        root = yaml.compose(text, Loader=_UniqueKeyLoader)
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        if "duplicate key" in str(exc.problem):
            msg = exc.problem + "; remove or rename one of them"
            raise CaseError([Problem("mapping", None, msg, line)], source) from None
        tag = exc.problem.split("tag")[-1].strip() if exc.problem else ""
        raise CaseError(
            [Problem("YAML tag", tag, "tags that build Python objects are not allowed; a case file holds plain data only (text, numbers, lists, mappings)", line)],
            source,
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise CaseError(
            [Problem("YAML", None, f"malformed YAML: {problem}; check indentation, colons and quotes near this line", line)],
            source,
        ) from None
    if data is None:
        raise CaseError([Problem("file", None, "the file is empty; start from one of the examples in data/cases/")], source)
    return data, root


def _node_at(root, loc):
    """The YAML node at a location, or the deepest one that exists (for a missing field: its parent)."""
    node = root
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            child = node.value[key]
        else:
            child = None
        if child is None:
            return node
        node = child
    return node


def _where(loc, data) -> str:
    """A readable path such as options[0] (return home).outcomes[1] (re-abuse).chance."""
    parts, cur = [], data
    for key in loc:
        if isinstance(key, int):
            parts[-1] = f"{parts[-1]}[{key}]" if parts else f"[{key}]"
            try:
                cur = cur[key]
                if isinstance(cur, dict) and "name" in cur:
                    parts[-1] += f" ({cur['name']})"
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
}


def _problems(exc: ValidationError, data, root) -> list[Problem]:
    """Turn pydantic's errors into one readable problem per field, dropping union noise."""
    problems, seen = [], set()
    errors = exc.errors(include_url=False)
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
        loc = [x for x in loc if not (isinstance(x, str) and x.startswith("function-"))]
        where = _where(loc, data)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            field = loc[-1]
            parent = _value_at(data, loc[:-1])
            allowed = _allowed_fields(parent, loc)
            msg = f"unknown field '{field}'" + _suggest(str(field), allowed) + (
                f"; allowed here: {', '.join(sorted(allowed))}" if allowed else ""
            )
        else:
            hint = _FIELD_HINTS.get(err["type"])
            if hint:
                msg = f"{msg}; {hint}"
        node = _node_at(root, loc) if root is not None else None
        line = node.start_mark.line + 1 if node is not None else None
        value = err.get("input") if err["type"] not in ("missing",) else None
        if isinstance(value, dict) and err["type"] != "extra_forbidden":
            value = None  # the whole mapping is too much to echo back
        key = (where, msg)
        if key not in seen:
            seen.add(key)
            problems.append(Problem(where, value, msg, line))
    return problems


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
