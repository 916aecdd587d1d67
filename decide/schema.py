"""A JSON Schema for case files, made from the validation models so it cannot drift from them.

Editors that read YAML schemas (VS Code with the YAML extension, and any editor using
yaml-language-server) check and complete a case file as it is typed when its first line is
``# yaml-language-server: $schema=<path to the schema>``. The schema says what it can say
statically: field names, types, required fields, allowed words, fixed number ranges. What needs
the whole case (names that refer to each other, a factor's direction, magnitudes on the case's
own scale) is left to ``decide check``; :data:`NOT_IN_SCHEMA` lists it for the reference.

Importing this module is cheap (the models are imported when a schema is made), so registering
its commands does not slow ``decide --help``.
"""

from __future__ import annotations

import copy
import json

#: Identifies the schema (a name, not an address: nothing is downloaded).
SCHEMA_ID = "urn:decide:case-file"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: Where the schema and the reference are kept in the project, relative to its root.
SCHEMA_PATH = "docs/case-file.schema.json"
REFERENCE_PATH = "docs/case-file.md"

#: What decide check refuses that no JSON Schema can express (each needs more than one field).
NOT_IN_SCHEMA = (
    "that a name used for a chance, magnitude, odds ratio, factor, enquiry or scenario is defined in the case, "
    "and is a quantity of the right kind",
    "that names are not repeated (two options, quantities, factors, enquiries or scenarios with one name, or a "
    "quantity and a factor with one name)",
    "that magnitudes lie on the case's own value scale (from scale_min to scale_max, 0 to 100 unless changed)",
    "that a risk factor's odds ratio is centred above 1 and a protective factor's below 1",
    "that low < likely < high, that quantiles increase with their levels, and that scale_min < scale_max",
    "that a named distribution's parameters are valid for it, and that it cannot take impossible values "
    "(a chance below 0 or above 1, a negative wait)",
    "that a study enquiry (with cases) informs exactly one probability",
    "that a horizon is a time span decide can read (such as '2 years' or '18 months')",
    "that an item under known dated after the decision is marked learned_later, and then informs nothing",
    "verbal terms written in capitals or with extra spaces: decide accepts 'Highly  Likely', the schema "
    "only the lower-case terms listed",
)

#: Judgement fields that make up each of the five forms of a judgement.
FORMS = {
    "verbal": ("verbal",),
    "low/likely/high": ("low", "likely", "high"),
    "quantiles": ("quantiles",),
    "distribution": ("distribution", "params"),
    "value": ("value",),
}

#: Pydantic writes these constraint names where the standard names belong.
_RENAME = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def case_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a case file, post-processed for editors."""
    from decide.frame import Decision

    schema = _standard(Decision.model_json_schema(mode="validation"))
    defs = schema["$defs"]
    _judgement(defs)
    _inputs(defs)
    from decide.judge import NUMBER_LIMIT

    _delay(schema["properties"]["delay_harm_per_week"], {"minimum": 0, "maximum": NUMBER_LIMIT})
    pattern = horizon_pattern()
    if pattern:
        defs["Outcome"]["properties"]["horizon"]["pattern"] = pattern
        from decide import frame

        # yaml-language-server shows this instead of the pattern itself.
        forms = getattr(frame, "HORIZON_FORMS", "give a horizon such as '2 years'")
        defs["Outcome"]["properties"]["horizon"]["patternErrorMessage"] = forms[:1].upper() + forms[1:]
    out = {
        "$schema": DIALECT,
        "$id": SCHEMA_ID,
        "title": "decide case file",
        "description": "A decision about a child, its options and their outcomes, written for the decide tool. "
        f"The full reference is {REFERENCE_PATH} in the decide project; `decide check FILE` checks what this schema "
        "cannot (names that refer to each other, magnitudes on the case's own scale).",
    }
    out.update({k: v for k, v in schema.items() if k not in ("title", "description")})
    out["description"] = schema.get("description", "") + "\n\n" + out["description"]
    out["description"] = out["description"].strip()
    return out


def schema_text() -> str:
    """The schema as written to a file: stable key order, so the committed copy can be compared."""
    return json.dumps(case_schema(), indent=2, ensure_ascii=False) + "\n"


def _standard(node):
    """Standard keyword names, recursively."""
    if isinstance(node, dict):
        return {_RENAME.get(k, k) if not isinstance(v, dict | list) else k: _standard(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_standard(x) for x in node]
    return node


def _judgement(defs: dict) -> None:
    """Exactly one form per judgement; verbal terms, scales and distributions as lists an editor offers."""
    from decide.judge import CONFIDENCE_MASS, DISTRIBUTIONS, SCALE_SOURCES, SCALES

    j = defs["Judgement"]
    props = j["properties"]
    all_terms = list(dict.fromkeys(t for terms in SCALES.values() for t in terms))

    def band(term: str) -> str:
        return "; ".join(f"{SCALE_SOURCES[s].split(' probability')[0]}: {lo:.0%} to {hi:.0%}"
                         for s, terms in SCALES.items() for t, (lo, hi) in terms.items() if t == term)

    verbal = {"type": "string", "enum": all_terms, "enumDescriptions": [band(t) for t in all_terms],
              "markdownEnumDescriptions": [band(t) for t in all_terms]}
    props["verbal"] = {"anyOf": [verbal, {"type": "null"}], "default": None, "title": "Verbal",
                       **{k: props["verbal"][k] for k in ("description",) if k in props["verbal"]}}
    props["confidence"]["enumDescriptions"] = [
        f"{mass:.0%} of the distribution lies inside the term's band" for mass in
        (CONFIDENCE_MASS[c] for c in props["confidence"]["enum"])]
    props["confidence"]["markdownEnumDescriptions"] = props["confidence"]["enumDescriptions"]
    props["scale"]["enumDescriptions"] = [SCALE_SOURCES[s] for s in props["scale"]["enum"]]
    props["scale"]["markdownEnumDescriptions"] = props["scale"]["enumDescriptions"]
    props["distribution"] = {"anyOf": [{"type": "string", "enum": list(DISTRIBUTIONS)}, {"type": "null"}],
                             "default": None, "title": "Distribution",
                             **{k: props["distribution"][k] for k in ("description",) if k in props["distribution"]}}
    quantiles = props["quantiles"]["anyOf"][0]
    quantiles["propertyNames"] = {"pattern": r"^0?\.[0-9]*[1-9][0-9]*$",
                                  "description": "a level strictly between 0 and 1, such as 0.1 or 0.9"}
    # The terms of the scale named (uk_yardstick unless scale says otherwise).
    j["if"] = {"properties": {"scale": {"const": "icd203"}}, "required": ["scale"]}
    j["then"] = {"properties": {"verbal": {"enum": [*SCALES["icd203"], None]}}}
    j["else"] = {"properties": {"verbal": {"enum": [*SCALES["uk_yardstick"], None]}}}
    # Exactly one form: each branch gives its own fields and none of another form's (a field
    # written as null counts as not given, as decide reads it).
    branches = []
    for form, fields in FORMS.items():
        others = [f for g, fs in FORMS.items() if g != form for f in fs]
        branches.append({"title": form, **_given(fields), "not": {"anyOf": [_given([f]) for f in others]}})
    j["oneOf"] = branches


def _given(fields) -> dict:
    """The fields are present and not null."""
    return {"required": list(fields), "properties": {f: {"not": {"type": "null"}} for f in fields}}


def _bounded(numbers: dict, verbal: bool = True, title: str = "", description: str = "") -> dict:
    """A judgement whose numbers lie in a fixed range (and, unless verbal, with no verbal term)."""
    part = {"properties": {f: {"anyOf": [{"type": "number", **numbers}, {"type": "null"}]} for f in ("low", "likely", "high", "value")}}
    part["properties"]["quantiles"] = {"anyOf": [{"type": "object", "additionalProperties": {"type": "number", **numbers}},
                                                 {"type": "null"}]}
    if not verbal:
        part["not"] = _given(["verbal"])
    return {"title": title, "description": description, "allOf": [{"$ref": "#/$defs/Judgement"}, part]}


def _inputs(defs: dict) -> None:
    """Name / number / judgement inputs: the forms an editor can tell apart, with the ranges each
    field has whatever the rest of the case says."""
    from decide.frame import MAX_WEEKS, MIN_ODDS_RATIO
    from decide.judge import NUMBER_LIMIT

    probability = {"minimum": 0, "maximum": 1}
    odds = {"minimum": MIN_ODDS_RATIO, "maximum": NUMBER_LIMIT}
    non_negative = {"minimum": 0, "maximum": NUMBER_LIMIT}
    defs["ProbabilityJudgement"] = _bounded(probability, True, "judgement of a chance",
                                            "numbers between 0 and 1, or a verbal term")
    defs["OddsRatioJudgement"] = _bounded(odds, False, "judgement of an odds ratio",
                                          f"numbers above 0 (from {MIN_ODDS_RATIO:g}); 1 means no effect")
    defs["MagnitudeJudgement"] = _bounded({}, False, "judgement of a magnitude", "numbers on the case's value scale")
    defs["NonNegativeJudgement"] = _bounded(non_negative, False, "judgement of a wait or a harm per week", "numbers of 0 or more")
    name = {"type": "string", "minLength": 1, "maxLength": 120, "title": "name of a shared quantity",
            "description": "the name of a quantity listed under quantities (shared wherever it is named)"}

    def input_of(prop: dict, numbers: dict, judgement: str, named: bool = True) -> None:
        branches = [name] if named else []
        branches.append({"type": "number", **numbers, "title": "a number known exactly"})
        branches.append({"$ref": f"#/$defs/{judgement}", "title": "a judgement (drawn on its own)"})
        for key in ("oneOf", "anyOf"):
            prop.pop(key, None)
        prop["oneOf"] = branches

    outcome = defs["Outcome"]["properties"]
    input_of(outcome["chance"], probability, "ProbabilityJudgement")
    input_of(outcome["magnitude"], {"minimum": -NUMBER_LIMIT, "maximum": NUMBER_LIMIT}, "MagnitudeJudgement")
    input_of(defs["Factor"]["properties"]["odds_ratio"], odds, "OddsRatioJudgement")
    input_of(defs["Enquiry"]["properties"]["weeks"], {"exclusiveMinimum": 0, "maximum": MAX_WEEKS}, "NonNegativeJudgement",
             named=False)
    defs["Scenario"]["properties"]["odds_ratios"]["additionalProperties"] = {"type": "number", **odds}
    # A quantity's judgements follow its kind: chances between 0 and 1; verbal terms only for chances.
    q = defs["Quantity"]
    by_kind = {"probability": "ProbabilityJudgement", "odds_ratio": "OddsRatioJudgement",
               "magnitude": "MagnitudeJudgement", "number": "NonVerbal"}
    defs["NonVerbal"] = _bounded({}, False, "judgement of a number", "any form but a verbal term")
    rules = []
    for kind, ref in by_kind.items():
        cond = {"properties": {"kind": {"const": kind}}}
        if kind != "probability":
            cond["required"] = ["kind"]
        rules.append({"if": cond, "then": {"properties": {
            "judgement": {"anyOf": [{"$ref": f"#/$defs/{ref}"}, {"type": "null"}]},
            "judgements": {"anyOf": [{"type": "array", "items": {"$ref": f"#/$defs/{ref}"}}, {"type": "null"}]}}}})
    q["allOf"] = rules
    q["oneOf"] = [{"title": "one judgement", **_given(["judgement"]), "not": _given(["judgements"])},
                  {"title": "several judgements, pooled", **_given(["judgements"]), "not": _given(["judgement"])}]
    q["properties"]["judgements"]["anyOf"][0]["minItems"] = 1
    # Checked by a validator rather than declared, so not in pydantic's schema.
    defs["Option"]["properties"]["outcomes"]["minItems"] = 1


def horizon_pattern() -> str:
    """The horizons decide reads (frame.parse_horizon), as a regular expression an editor can check
    (any capitals, as decide reads them; the length limits are left to decide check)."""
    import re

    from decide import frame

    units, words = frame._UNIT_OF, frame.NUMBER_WORDS

    def any_case(word: str) -> str:
        return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)

    def either(items) -> str:
        return "|".join(any_case(w) for w in sorted(items, key=len, reverse=True))

    number = rf"[0-9]+(?:\.[0-9]+)?|\.[0-9]+|{either(words)}"
    return rf"^\s*(?:(?:{either(('within', 'over', 'for'))})\s+)?(?:{number})\s*-?\s*(?:{either(units)})\.?\s*$"


def _delay(prop: dict, numbers: dict) -> None:
    for key in ("oneOf", "anyOf"):
        prop.pop(key, None)
    prop["anyOf"] = [{"type": "number", **numbers, "title": "a number of points"},
                     {"$ref": "#/$defs/NonNegativeJudgement"}, {"type": "null"}]



# --- the reference -----------------------------------------------------------------------------

#: Headings of the parts of a case, by model; a model added later gets a heading from where it sits.
TITLES = {
    "Decision": "The case (top level)",
    "EvidenceItem": "Each item under `known`",
    "Quantity": "Each entry under `quantities`",
    "Factor": "Each entry under `factors`",
    "Option": "Each entry under `options`",
    "Outcome": "Each entry under an option's `outcomes`",
    "Values": "`values`",
    "Enquiry": "Each entry under `enquiries`",
    "Scenario": "Each entry under `scenarios`",
    "Judgement": "A judgement (under `judgement`, `judgements`, or in place of a number)",
}


def models() -> dict[str, type]:
    """Every model a case file is made of, by name, top level first (read from the models
    themselves, so a model added to the case appears here without being listed)."""
    from pydantic import BaseModel

    from decide.frame import Decision

    found: dict[str, type] = {}

    def visit(model) -> None:
        if model.__name__ in found:
            return
        found[model.__name__] = model
        for field in model.model_fields.values():
            for sub in _classes(field.annotation):
                if isinstance(sub, type) and issubclass(sub, BaseModel):
                    visit(sub)

    visit(Decision)
    return found


def _classes(annotation):
    import typing

    yield annotation
    for arg in typing.get_args(annotation):
        yield from _classes(arg)
    meta = getattr(annotation, "__metadata__", ())
    for m in meta:
        yield from _classes(getattr(m, "annotation", None)) if hasattr(m, "annotation") else ()


def _starter_examples() -> dict[tuple[str, str], object]:
    """The first value of each model's field in the starter case (which `decide new` writes and the
    tests check), so every example in the reference is part of a valid case."""
    import yaml

    from decide.starter import starter_text

    data = yaml.safe_load(starter_text())
    raw = _raw_schema()
    out: dict[tuple[str, str], object] = {}

    def walk(value, model: str) -> None:
        props = (raw["$defs"].get(model) or raw)["properties"] if model != "Decision" else raw["properties"]
        for key, v in value.items():
            out.setdefault((model, key), v)
            refs = _refs(props.get(key, {}))
            for item in (v if isinstance(v, list) else [v]):
                if isinstance(item, dict) and refs:
                    walk(item, refs[0])

    walk(data, "Decision")
    return out


@__import__("functools").cache
def _raw_schema() -> dict:
    from decide.frame import Decision

    return _standard(Decision.model_json_schema(mode="validation"))


def _refs(node) -> list[str]:
    """The models a field's values may be (direct references, through lists and unions)."""
    if isinstance(node, dict):
        found = [node["$ref"].rsplit("/", 1)[-1]] if "$ref" in node else []
        for key in ("items", "anyOf", "oneOf", "allOf", "additionalProperties"):
            sub = node.get(key)
            for s in sub if isinstance(sub, list) else [sub]:
                found += _refs(s)
        return found
    return []


def _kind_of(node: dict, defs: dict) -> str:
    """A field's type in words."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return "a judgement" if "Judgement" in name else "mapping (see its table)"
    for key in ("oneOf", "anyOf"):
        if key in node:
            parts = [p for p in node[key] if p.get("type") != "null"]
            words = list(dict.fromkeys(_kind_of(p, defs) if "title" not in p or "$ref" in p else p["title"] for p in parts))
            return " or ".join(words) if len(words) < 3 else ", ".join(words[:-1]) + " or " + words[-1]
    t = node.get("type")
    if "enum" in node:
        return "one of the words listed"
    if t == "string":
        return "date (YYYY-MM-DD)" if node.get("format") == "date" else "text"
    if t == "number":
        return "number"
    if t == "integer":
        return "whole number"
    if t == "boolean":
        return "true or false"
    if t == "array":
        if "prefixItems" in node:
            return f"pair of numbers [low, high]" if len(node["prefixItems"]) == 2 else "list"
        item = _kind_of(node.get("items", {}), defs)
        return "list of " + ({"text": "texts", "a judgement": "judgements", "mapping (see its table)": "mappings (see their table)"}
                             .get(item, item))
    if t == "object":
        return "mapping of " + ("levels to numbers" if "propertyNames" in node else "names to numbers")
    return "any"


def _limits(node: dict) -> str:
    """A field's valid values in words: listed words, number ranges, lengths."""
    parts = []
    for key in ("oneOf", "anyOf"):
        for p in node.get(key, []):
            if p.get("type") not in ("null", "string") and "$ref" not in p:
                text = _limits(p)
                if text:
                    parts.append(text)
    if "enum" in node:
        parts.append(", ".join(f"`{x}`" for x in node["enum"] if x is not None))
    lo = node.get("minimum", node.get("exclusiveMinimum"))
    hi = node.get("maximum", node.get("exclusiveMaximum"))
    if lo is not None or hi is not None:
        a = "above" if "exclusiveMinimum" in node else "from"
        lo_s, hi_s = (_num(x) if x is not None else None for x in (lo, hi))
        if lo is not None and hi is not None:
            parts.append(f"{a} {lo_s} to {hi_s}" if a == "from" else f"above {lo_s}, at most {hi_s}")
        elif lo is not None:
            parts.append(f"{a} {lo_s}" if a == "above" else f"{lo_s} or more")
        else:
            parts.append(f"at most {hi_s}")
    if "maxLength" in node:
        parts.append(f"{node.get('minLength', 0)} to {node['maxLength']} characters")
    elif node.get("minLength"):
        parts.append("not empty")
    if "prefixItems" in node:
        parts.append("two numbers, each above 0, low below high")
    elif "minItems" in node:
        parts.append(f"at least {node['minItems']}")
    return "; ".join(dict.fromkeys(parts))


def _num(x: float) -> str:
    """A limit as a person writes it: 1,000,000 and 0.000001, not 1e+06 and 1e-06."""
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:.10f}".rstrip("0")


def _default(field) -> str:
    if field.is_required():
        return "**required**"
    value = field.get_default(call_default_factory=True)
    if value is None or value == "" or value == [] or value == {}:
        return "none"
    if hasattr(type(value), "model_fields"):
        return "the defaults listed there"
    if isinstance(value, tuple):
        return "[" + ", ".join(f"{x:g}" for x in value) + "]"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float):
        return f"{value:g}"
    return f"`{value}`"


def _example(key: str, value) -> str:
    import yaml

    if isinstance(value, list) and value and isinstance(value[0], dict):
        first = yaml.safe_dump({key: value[:1]}, default_flow_style=True, width=10_000, allow_unicode=True,
                               sort_keys=False).strip()[1:-1]
        return f"`{first[:-1]}, ...]`" if len(first) <= 120 else "see its table"
    if isinstance(value, dict) and len(str(value)) > 110:
        return "see its table"
    text = yaml.safe_dump({key: value}, default_flow_style=True, width=10_000, allow_unicode=True, sort_keys=False).strip()
    text = text[1:-1] if text.startswith("{") and text.endswith("}") else text
    text = text.replace("\n", " ")
    if len(text) > 100:
        text = text[:97].rstrip() + "..."
    return f"`{text}`"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _horizon_lines(defs: dict) -> list[str]:
    """What a horizon is and the forms decide reads, from the horizon reader itself when there is one."""
    from decide import frame

    horizon = defs["Outcome"]["properties"].get("horizon", {})
    lines = [f"Each outcome has a `horizon`: the time within which its chance is judged "
             f"({_cell(horizon.get('description', ''))}). A chance means nothing without it: 'breaks down within 1 year' "
             "and 'within 5 years' are different chances. Judge every option's harms and benefits over the same "
             "horizon where you can, so their chances can be compared."]
    parse = getattr(frame, "parse_horizon", None)
    if parse is None:
        lines += ["", "A horizon is text, such as '2 years'; it is shown with the outcome but not used in the calculation."]
        return lines
    spellings = getattr(frame, "_UNIT_SPELLINGS", {})
    words = [w for w in getattr(frame, "NUMBER_WORDS", {}) if w not in ("a", "an")]
    lines += ["", "decide reads a horizon as a number and a unit of time, and compares horizons by their length:", "",
              "| Unit | May be written |", "|---|---|"]
    for unit, forms in spellings.items():
        lines.append(f"| {unit} | {', '.join(f'`{f}`' for f in forms)} |")
    examples = [e for e in ("2 years", "18 months", "26 weeks", "1.5 yr", "six months", "within a year") if _reads(parse, e)]
    lines += ["", "For example " + ", ".join(f"'{e}' ({parse(e).years:.2g} year{'s' if parse(e).years != 1 else ''})"
                                          for e in examples) + "."]
    if words:
        lines.append(f"Numbers may be written as words from {words[0]} to {words[-1]} (and 'a' or 'an' for one).")
    most = getattr(frame, "MAX_HORIZON_YEARS", None)
    if most:
        lines.append(f"A horizon lies above 0 and at most {most:g} years.")
    return lines


def _reads(parse, text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def reference_text() -> str:
    """The case-file reference (Markdown), made from the models, the scales and the starter case."""
    from decide.frame import MAX_WEEKS, MIN_ODDS_RATIO
    from decide.judge import CONFIDENCE_MASS, DISTRIBUTIONS, LOW_LIKELY_HIGH_PROBS, NUMBER_LIMIT, SCALE_SOURCES, SCALES

    schema = case_schema()
    defs = schema["$defs"]
    examples = _starter_examples()
    found = models()
    lines: list[str] = []
    add = lines.append
    add("# Writing a case file")
    add("")
    add("<!-- Made by `decide reference` from the case-file models in decide/frame.py and decide/judge.py. "
        "Do not edit by hand: change the models and run `decide reference -o docs/case-file.md --force`. -->")
    add("")
    add("A case file describes one decision about a child: the question, who decides and when, what was known, "
        "the options, and for each option the harms and benefits that might follow, how likely each is and how much "
        "it would matter. It is a YAML file: lines of `field: value`, lists as lines starting with `- `, and "
        "indentation to show what belongs to what. Text after `#` is a comment.")
    add("")
    add("## Start here")
    add("")
    add("- `decide new my_case.yaml` writes a starting case with every part below filled in with a made-up example "
        "and a comment on each. Change it into your case.")
    add("- `decide check my_case.yaml` checks the file and names the line of anything wrong.")
    add(f"- Editors that read YAML schemas (such as VS Code with its YAML extension) check and complete the file as "
        f"you type when its first line names the schema: `# yaml-language-server: $schema=PATH` where PATH leads "
        f"from the case file to {SCHEMA_PATH} (for example `../../{SCHEMA_PATH}` from data/cases/). "
        "`decide schema -o case-file.schema.json` writes the schema anywhere you like.")
    add("")
    add("## The parts of a case file")
    add("")
    add("Each table lists a part's fields: what each is, its type, whether it must be given (or what it is when left "
        "out), the values it may take, and an example from the starting case that `decide new` writes.")
    for name, model in found.items():
        add("")
        add(f"### {TITLES.get(name, name)}")
        add("")
        doc = " ".join((model.__doc__ or "").split())
        if doc:
            add(doc)
            add("")
        props = (defs.get(name) or {}).get("properties") if name != "Decision" else schema["properties"]
        add("| Field | What it is | Type | Required or default | Valid values | Example |")
        add("|---|---|---|---|---|---|")
        for fname, field in model.model_fields.items():
            node = props.get(fname, {})
            ex = examples.get((name, fname))
            add("| " + " | ".join(_cell(x) for x in (
                f"`{fname}`", field.description or "", _kind_of(node, defs), _default(field), _limits(node) or "any",
                _example(fname, ex) if ex is not None else "not in the starting case")) + " |")
    # Judgements
    add("")
    add("## The five forms of a judgement")
    add("")
    add("A judgement is one person's statement about an uncertain number. Give exactly one of these forms "
        "(with `by`, `weight` and `rationale` if you wish):")
    add("")
    lo_p, mid_p, hi_p = LOW_LIKELY_HIGH_PROBS
    form_text = {
        "verbal": ("a likelihood term from a published scale, with a confidence (chances only)",
                   "{verbal: likely, confidence: medium}"),
        "low/likely/high": (f"three numbers: the value it is {1 - lo_p:.0%} sure to be above (the {lo_p * 100:g}th "
                            f"percentile), the middle value (the median), and the value it is {hi_p:.0%} sure to be "
                            f"below (the {hi_p * 100:g}th percentile)", "{low: 0.2, likely: 0.35, high: 0.55}"),
        "quantiles": ("levels between 0 and 1 with the value at each (at least two)",
                      "{quantiles: {0.1: 0.035, 0.5: 0.057, 0.9: 0.09}}"),
        "distribution": (f"a named distribution with its parameters, as the preliz library names them: "
                         f"{', '.join(DISTRIBUTIONS)}", "{distribution: Beta, params: {alpha: 83, beta: 97}}"),
        "value": ("a number known exactly", "{value: 10}"),
    }
    add("| Form | Fields | What to give | Example |")
    add("|---|---|---|---|")
    for form, fields in FORMS.items():
        what, example = form_text[form]
        add(f"| {form} | {', '.join(f'`{f}`' for f in fields)} | {_cell(what)} | `{example}` |")
    add("")
    add("Where a chance, magnitude or odds ratio is asked for, a plain number (`chance: 0.5`) means the number is "
        "known exactly, like `{value: 0.5}`. The numbers are fitted to a distribution of the right kind: a chance to "
        "a Beta (between 0 and 1), an odds ratio to a LogNormal (above 0), a magnitude to a Beta stretched over the "
        "value scale (a Gamma or a Normal when the scale has no upper limit).")
    add("")
    add("Several practitioners' judgements of one quantity go under `judgements:` as a list; they are pooled "
        "(a linear opinion pool: the pooled distribution is the mixture of theirs, each counted by its `weight`), "
        "so the pool keeps their disagreement rather than averaging it away.")
    # Yardstick
    add("")
    add("## The verbal yardstick")
    add("")
    add("A chance may be given in words from one of two published scales, named by `scale` "
        f"(default `{defs['Judgement']['properties']['scale']['default']}`). Each word stands for a band of chances:")
    for scale, terms in SCALES.items():
        add("")
        add(f"**{SCALE_SOURCES[scale]}** (`scale: {scale}`)")
        add("")
        add("| Term | Chance between |")
        add("|---|---|")
        for term, (lo, hi) in terms.items():
            add(f"| {term} | {lo:.0%} and {hi:.0%} |")
    uk = list(SCALES["uk_yardstick"].items())
    gaps = [(a[1][1], b[1][0]) for a, b in zip(uk, uk[1:]) if b[1][0] > a[1][1]]
    if gaps:
        add("")
        add("The UK yardstick leaves gaps on purpose (" + ", ".join(f"{a:.0%} to {b:.0%}" for a, b in gaps) +
            "): a chance there is better given as numbers.")
    add("")
    add("### What confidence does")
    add("")
    add("How likely something is and how sure the practitioner is are said separately (ICD 203 asks for this). "
        "`confidence` sets how much of the fitted distribution lies inside the term's band; the rest lies outside "
        "it, spread as evenly as the band allows (a maximum-entropy Beta distribution):")
    add("")
    term, (t_lo, t_hi) = next((t, b) for t, b in SCALES["uk_yardstick"].items() if t == "likely")
    add(f"| Confidence | Share inside the band | For example, 'likely' ({t_lo:.0%} to {t_hi:.0%}) |")
    add("|---|---|---|")
    for level, mass in sorted(CONFIDENCE_MASS.items(), key=lambda kv: -kv[1]):
        add(f"| {level} | {mass:.0%} | {mass:.0%} of the chance lies between {t_lo:.0%} and {t_hi:.0%}, "
            f"{1 - mass:.0%} outside |")
    add("")
    add(f"A verbal term describes a chance, so it may be given only for a chance (a quantity of kind probability, or "
        f"an outcome's `chance`), not for a magnitude, an odds ratio or a number of weeks.")
    # Horizons
    add("")
    add("## Horizons")
    add("")
    for line in _horizon_lines(defs):
        add(line)
    # Sources
    add("")
    add("## Sources, and figures seen second-hand")
    add("")
    rel = defs["EvidenceItem"]["properties"]["reliability"]["enum"]
    add(f"Each item under `known` says what was known, its `source`, and its `reliability` ({', '.join(rel)}). "
        "Quantities, factors and outcomes also take a `source`. There is no separate field for a figure seen only "
        "second-hand (quoted in another paper, not read in the original): say so in the source's text, for example "
        "`source: \"Smith (2011), as quoted in Jones (2015) (seen in a secondary source)\"`, and give it a lower "
        "reliability. `informs` lists the quantities an item bears on, so a reader can trace each number to "
        "its evidence.")
    # Sharing
    add("")
    add("## Sharing one quantity between options, or judging in place")
    add("")
    add("A chance or magnitude can be written in two ways:")
    add("")
    add("- **By name**: `chance: reabuse_after_return` names an entry under `quantities`. Every outcome that names it "
        "uses the same draw of it, so when it turns out high it is high for every option that names it. Use this "
        "for anything that is the same unknown whichever option is chosen (a base rate, how serious a harm is).")
    add("- **In place**: `chance: {low: 0.1, likely: 0.2, high: 0.3}` is a judgement of this option's outcome alone. "
        "It is drawn on its own: the same judgement written under two options gives two unknowns that do not move "
        "together, so the comparison between the options looks less certain than it is. If it is the same unknown, make it a named quantity and "
        "name it under both options.")
    # Factors
    add("")
    add("## Factors")
    add("")
    add(f"A factor is something about this child or family that raises (`kind: risk`) or lowers "
        f"(`kind: protective`) the chance of the outcomes that list it under their `factors`, by multiplying the "
        f"odds by its `odds_ratio` (1 means no effect; from {_num(MIN_ODDS_RATIO)} to {_num(NUMBER_LIMIT)}). A risk factor's odds ratio must "
        "be centred above 1 and a protective factor's below 1.")
    # kind number
    add("")
    add("## Kinds of quantity, and `kind: number`")
    add("")
    add("A quantity's `kind` says what it is: `probability` (a chance from 0 to 1, the default), `odds_ratio` "
        "(for a factor), `magnitude` (how much an outcome matters, on the value scale) or `number`. Outcomes and "
        "factors may name only a quantity of the kind they need. A quantity of kind `number` is any other uncertain "
        "figure (weeks to a court date, a number of placements): it is drawn and listed with the other inputs, and a "
        "scenario can set it or an enquiry inform it, but no chance, magnitude or odds ratio can use it, so today it "
        "does not change any option's value. Verbal terms cannot be used for it.")
    # Enquiries, delay, scenarios
    add("")
    add("## Enquiries, the harm of delay, and scenarios")
    add("")
    add(f"- **Enquiries** (`enquiries`) are what could be found out before deciding: an assessment, a test, a report. "
        f"`informs` names the quantities or factors it would settle, and `weeks` how long the decision would wait "
        f"for it (above 0, at most {MAX_WEEKS}, or a judgement). Its value is the most that settling those inputs could "
        "be worth. With `cases`, it is a study of that many similar cases, and must inform exactly one chance.")
    add("- **The harm of delay** (`delay_harm_per_week`) is the harm to the child of each week the decision waits "
        "(drift), in points of the value scale: a number, or a judgement. It is set against what an enquiry is worth: "
        "waiting is worth it only when the enquiry is worth more than the harm of the weeks it takes. "
        "Without it, the case report cannot weigh the enquiries and leaves them out.")
    add("- **Scenarios** (`scenarios`) are stated views of the case that nobody can put a probability on. A scenario "
        "sets some inputs to values (`quantities`: a quantity's or factor's name and its value), may multiply the odds "
        "of named outcomes for every option that has them (`odds_ratios`), and may weigh harm differently "
        "(`harm_weight`). Everything it does not name stays uncertain. They are used to see how much each option "
        "could be regretted.")
    # Values
    add("")
    add("## The value scale and the weight of harm")
    add("")
    add("Harms and benefits are measured in points on one scale (`values`: 0 to 100 unless `scale_min` and "
        "`scale_max` say otherwise); every magnitude must lie on it. `harm_weight` says how many points of benefit "
        "one point of harm outweighs; `harm_weight_range` is the lowest and highest weight people could reasonably "
        "hold, and the report shows how the choice changes across that range.")
    from decide.frame import Decision

    if hasattr(Decision, "warnings"):
        add("")
        add("## Warnings")
        add("")
        doc = " ".join((Decision.warnings.__doc__ or "").split()).split(" Each names")[0].rstrip(".")
        add("`decide check` also gives warnings, without refusing the case, for what is probably not what the writer "
            "meant: " + _lower_first(doc.split(": ", 1)[-1]) + ".")
    # Not in schema
    add("")
    add("## What the editor's schema cannot check")
    add("")
    add("The schema checks field names, types, required fields, the words allowed, and number ranges that hold "
        "whatever the rest of the case says. `decide check` also checks:")
    add("")
    for item in NOT_IN_SCHEMA:
        add(f"- {item}")
    add("")
    return "\n".join(lines)


# --- commands ----------------------------------------------------------------------------------

def _write(text: str, output, force: bool, what: str) -> None:
    import sys

    if output is None:
        sys.stdout.write(text)
        return
    from decide._html import write_new
    from decide.files import plan_outputs

    plan_outputs([output], force=force)
    write_new(output, text, force=force)
    print(f"wrote {output} ({what})")


def cmd_schema(args) -> int:
    _write(schema_text(), args.output, args.force, "the JSON Schema of a case file")
    return 0


def cmd_reference(args) -> int:
    _write(reference_text(), args.output, args.force, "the case-file reference")
    return 0


def register(sub) -> None:
    p = sub.add_parser("schema", help="write the JSON Schema of a case file, for editors that check YAML as you type",
                       description="Write the JSON Schema (draft 2020-12) of a case file. Put "
                                   "'# yaml-language-server: $schema=PATH' as the first line of a case file so an "
                                   "editor checks and completes it. Printed unless -o is given.")
    p.add_argument("-o", "--output", help="write the schema to this file (e.g. case-file.schema.json)")
    p.add_argument("--force", action="store_true", help="replace an existing output file")
    p.set_defaults(func=cmd_schema)
    p = sub.add_parser("reference", help="write the case-file reference (Markdown): every field, the verbal scales, "
                                         "horizons, sharing judgements",
                       description="Write the reference for writing a case file, made from the case-file models "
                                   "(the project keeps it as docs/case-file.md). Printed unless -o is given.")
    p.add_argument("-o", "--output", help="write the reference to this file (e.g. case-file.md)")
    p.add_argument("--force", action="store_true", help="replace an existing output file")
    p.set_defaults(func=cmd_reference)
