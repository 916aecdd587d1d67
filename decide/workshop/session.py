"""The rules of a workshop: who answers what and when, how an answer is checked and fitted,
the pool, and where the group disagrees most.

An answer is checked by putting it into the case in place of the quantity's judgement and
validating the whole case, so a bad answer gets exactly the message a bad case file would.
Fitting is decide.judge's; the pool is its linear opinion pool with equal weights.
"""

from __future__ import annotations

import copy
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from decide.errors import CaseError, DecideError, Problem
from decide.workshop.store import STAGES, Store

#: The answer forms a participant may use: the case file's, and chips on a grid (roulette), stored as quantiles.
FORMS = ("verbal", "low/likely/high", "quantiles", "chips")
#: Chips a participant places in the roulette, and the number of bins of its grid.
CHIPS, BINS = 20, 10
#: Fields an answer may carry besides its form's own.
_FORM_FIELDS = {
    "verbal": ("verbal", "scale", "confidence"),
    "low/likely/high": ("low", "likely", "high"),
    "quantiles": ("quantiles",),
}
#: Letters and digits that cannot be misread for one another (no 0/O, 1/I/L).
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
#: Percentiles shown for each distribution: a low value, the middle, a high value.
SHOWN = (0.1, 0.5, 0.9)
#: Draws used to read the pool's percentiles (a mixture has no closed form); seeded.
POOL_DRAWS = 40_000


def new_code(length: int = 6) -> str:
    """A session code people can read out and type (secrets, not a seeded generator: it guards the session)."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(length))


@dataclass(frozen=True)
class Spread:
    """One distribution as shown to the group: its low value, middle and high value."""

    role: str
    low: float
    middle: float
    high: float


@dataclass(frozen=True)
class RoundSummary:
    """What the group looks like for one quantity in one round."""

    quantity: str
    round: int
    people: list[Spread]
    pool: Spread | None
    medians_range: float  # highest middle value minus lowest
    relative_spread: float  # that, as a share of the pool's 80 % range (0 when one person or none)
    furthest_apart: tuple[str, str] | None  # the roles with the lowest and the highest middle value
    overlap: float | None  # how much their 80 % ranges overlap, as a share of the narrower (0 = not at all)


class Workshop:
    """A session on one case, kept in a Store."""

    def __init__(self, store: Store):
        from decide.frame import Decision

        self.store = store
        meta = store.session()
        self.case_path = meta["case_path"]
        self.case_text = meta["case_text"]
        self.case_sha256 = meta["case_sha256"]
        self.code = meta["code"]
        self.facilitator_key = meta["facilitator_key"]
        self.decision = Decision.from_yaml_text(self.case_text, source=self.case_path)
        self._data = _case_data(self.case_text, self.case_path)

    # --- starting -----------------------------------------------------------------------------

    @classmethod
    def start(cls, case_path: str | Path, store_path: str | Path, quantities: list[str] | None = None,
              calibration: str | Path | None = None) -> "Workshop":
        """Open the workshop in ``store_path``, or start one on ``case_path`` there if the store is new.

        An existing store must be of the same case file, unchanged (its hash), so a restart
        carries on exactly where it stopped."""
        from decide.frame import Decision, read_case_text

        case_path = Path(case_path)
        text = read_case_text(case_path)
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        store = Store(store_path)
        if store.exists():
            meta = store.session()
            if meta["case_sha256"] != sha:
                raise DecideError(f"{store.path} holds a workshop on a different case file, or {case_path} has changed "
                                  f"since the workshop started (it was {meta['case_path']}, hash {meta['case_sha256'][:12]}); "
                                  "give a new --store to start another workshop")
            workshop = cls(store)
            if quantities and workshop.quantities != list(quantities) and workshop.stage == "choosing":
                workshop.choose(quantities)
            if calibration and workshop.stage == "choosing":
                workshop.store.set_calibration(read_calibration(calibration))
            return workshop
        if store.path.exists() and store.path.stat().st_size > 0:
            raise DecideError(f"{store.path} already exists and is not a workshop store; decide never writes over it. "
                              "Give a new file name with --store")
        Decision.from_yaml_text(text, source=str(case_path))  # a case that is not valid is refused before any session
        questions = read_calibration(calibration) if calibration else None  # likewise a bad calibration file
        store.create(case_path=str(case_path), case_sha256=sha, case_text=text, code=new_code(),
                     facilitator_key=secrets.token_urlsafe(16))
        workshop = cls(store)
        if quantities:
            workshop.choose(quantities)
        if questions:
            store.set_calibration(questions)
        return workshop

    # --- state ----------------------------------------------------------------------------------

    @property
    def stage(self) -> str:
        return self.store.session()["stage"]

    @property
    def round(self) -> int | None:
        """The round whose answers are open or were last revealed (None before round 1)."""
        stage = self.stage
        return int(stage[-1]) if stage[-1].isdigit() else None

    @property
    def quantities(self) -> list[str]:
        return self.store.quantities()

    def candidates(self) -> list[str]:
        """The case's shared quantities, which a workshop can elicit."""
        return [q.name for q in self.decision.quantities]

    def describe(self, name: str) -> str:
        q = self.decision.quantity(name)
        return q.description or name.replace("_", " ")

    def kind(self, name: str) -> str:
        return self.decision.quantity(name).kind

    def grid(self, name: str) -> list[float] | None:
        """The edges of the roulette's bins for a quantity: 0 to 100 % for a chance, the value scale for a
        magnitude with both ends; None where the quantity has no natural range (chips are then not offered)."""
        lo, hi = self.decision.bounds(self.kind(name))
        if hi is None or lo is None or not np.isfinite(lo):
            return None
        return [round(float(x), 10) for x in np.linspace(lo, hi, BINS + 1)]  # 0.3, not 0.30000000000000004

    # --- the facilitator's steps --------------------------------------------------------------

    def choose(self, names: list[str]) -> None:
        names = [n.strip() for n in names if n.strip()]
        if not names:
            raise DecideError("choose at least one quantity to elicit; the case has: " + ", ".join(self.candidates()))
        for n in names:
            if n not in self.candidates():
                import difflib

                close = difflib.get_close_matches(n, self.candidates(), n=1, cutoff=0.5)
                raise DecideError(f"'{n}' is not a quantity of this case" + (f" (did you mean '{close[0]}'?)" if close else "")
                                  + "; the case has: " + ", ".join(self.candidates()))
        if len(set(names)) != len(names):
            raise DecideError("a quantity is named twice; name each once")
        self.store.set_quantities(names)

    def open_round(self, n: int) -> None:
        """Open round 1 (private answers) or round 2 (revisions after the reveal)."""
        if n == 1:
            if not self.quantities:
                raise DecideError("choose the quantities to elicit before opening round 1")
            self.store.advance("round 1", {"quantities": self.quantities})
        elif n == 2:
            self.store.advance("round 2", {})
        else:
            raise DecideError(f"a workshop has rounds 1 and 2; got {n}")

    def reveal(self) -> dict:
        """Show everyone's distributions and the pool for the round just answered; what was shown is logged."""
        stage = self.stage
        if stage not in ("round 1", "round 2"):
            raise DecideError(f"the workshop is at '{stage}'; reveal after round 1 or round 2")
        rnd = int(stage[-1])
        if not self.store.answers(rnd):
            raise DecideError(f"nobody has answered round {rnd} yet; wait for answers before revealing")
        shown = {q: _summary_json(self.summary(q, rnd)) for q in self.quantities}
        self.store.advance(f"revealed {rnd}", {"round": rnd, "shown": shown})
        return shown

    # --- participants ---------------------------------------------------------------------------

    def join(self, code: str, role: str, token: str | None = None) -> str:
        """Join with the session code as a role (never a name); returns the participant's token."""
        if " ".join(str(code).upper().split()) != self.code:
            raise DecideError("that session code is not this workshop's; check the code the facilitator gave you")
        role = " ".join(str(role).split())
        if not 1 <= len(role) <= 60:
            raise DecideError("give your role in a few words (1 to 60 characters), e.g. 'social worker'; not your name")
        token = token or secrets.token_urlsafe(16)
        self.store.join(token, role)
        return token

    def check_answer(self, quantity: str, answer: dict, role: str = "participant"):
        """The answer as a Judgement, checked as the case file would check it; CaseError if it is not valid."""
        from decide.frame import Decision
        from decide.judge import Judgement

        form = answer.get("form")
        if form not in FORMS:
            raise DecideError(f"choose how to answer: one of {', '.join(FORMS)}; got {form!r}")
        if form == "chips":
            answer = {"form": "quantiles", "quantiles": chips_to_quantiles(self.grid(quantity), answer.get("chips")),
                      "rationale": answer.get("rationale")}
            form = "quantiles"
        fields = {k: answer[k] for k in _FORM_FIELDS[form] if answer.get(k) not in (None, "")}
        if answer.get("rationale"):
            fields["rationale"] = str(answer["rationale"])
        entry = {"by": role, **fields}
        data = copy.deepcopy(self._data)
        for q in data["quantities"]:
            if isinstance(q, dict) and q.get("name") == quantity:
                q.pop("judgement", None)
                q["judgements"] = [entry]
                break
        else:
            raise DecideError(f"'{quantity}' is not a quantity of this case")
        source = f"your answer for {quantity.replace('_', ' ')}"
        try:
            Decision.from_dict(data, source=source)
        except CaseError as exc:
            mine = [p for p in exc.problems if f"({quantity})" in p.where] or exc.problems
            raise CaseError([Problem(_field_of(p.where), p.value, p.message) for p in mine], source) from None
        return Judgement.model_validate(entry)

    def answer(self, token: str, quantity: str, answer: dict):
        """Check and store an answer for the open round; returns the Judgement."""
        role = self.store.role_of(token)
        if role is None:
            raise DecideError("you have not joined this workshop; join with the session code and a role first")
        judgement = self.check_answer(quantity, answer, role)
        self.store.put_answer(token, quantity, judgement.model_dump(mode="json", exclude_none=True,
                                                                     exclude={"by", "weight"}))
        return judgement

    def answered(self, round_: int | None = None) -> dict[str, list[str]]:
        """For the round, each role and the quantities it has answered (roles only, never names)."""
        rnd = round_ or self.round
        out = {role: [] for role in self.store.roles()}
        for a in self.store.answers(rnd) if rnd else []:
            out[a["role"]].append(a["quantity"])
        return out

    # --- calibration questions (known answers) -------------------------------------------------------------

    def calibration_questions(self) -> list[dict]:
        return self.store.calibration()

    def answer_calibration(self, token: str, name: str, answer: dict) -> None:
        """A low / likely / high for a calibration question, checked like any judgement's."""
        from pydantic import ValidationError

        from decide.judge import Judgement

        question = next((q for q in self.calibration_questions() if q["name"] == name), None)
        if question is None:
            raise DecideError(f"'{name}' is not one of this workshop's calibration questions")
        source = f"your answer to the calibration question '{question['question']}'"
        values = {k: answer.get(k) for k in ("low", "likely", "high")}
        try:
            j = Judgement.model_validate(values)
        except ValidationError as exc:
            problems = [Problem(".".join(map(str, e["loc"])) or "your answer", e.get("input") if e["loc"] else None,
                                e["msg"].removeprefix("Value error, ")) for e in exc.errors()]
            raise CaseError(problems, source) from None
        if question["kind"] == "probability" and not 0 <= j.low < j.high <= 1:
            raise CaseError([Problem("your answer", None, "a chance lies between 0 and 1 (e.g. 0.4 for 40 %)")], source)
        self.store.put_calibration_answer(token, name, j.low, j.likely, j.high)

    def calibration_scores(self) -> dict[str, dict]:
        """Each role's calibration, information and score (Cooke's classical model), for roles that answered all."""
        from decide.workshop import cooke

        questions = {q["name"]: q["answer"] for q in self.calibration_questions()}
        if not questions:
            return {}
        answers = {name: {} for name in questions}
        for a in self.store.calibration_answers():
            answers[a["name"]][a["role"]] = (a["low"], a["likely"], a["high"])
        return cooke.scores(questions, answers)

    def performance_weights(self) -> dict[str, float]:
        from decide.workshop import cooke

        return cooke.weights(self.calibration_scores())

    def how_calibrated(self, role: str) -> list[str]:
        """For one role: each calibration question's known value against their range, and a summary, in words."""
        mine = {a["name"]: a for a in self.store.calibration_answers() if a["role"] == role}
        lines, inside = [], 0
        for q in self.calibration_questions():
            a = mine.get(q["name"])
            if a is None:
                lines.append(f"{q['question']} You did not answer; the published value is {_show(q['answer'], q['kind'])}.")
                continue
            hit = a["low"] <= q["answer"] <= a["high"]
            inside += hit
            lines.append(f"{q['question']} You said {_show(a['low'], q['kind'])} to {_show(a['high'], q['kind'])}; the "
                         f"published value is {_show(q['answer'], q['kind'])} ({q['source']}): "
                         + ("inside your range." if hit else "outside your range."))
        if mine:
            n = len(mine)
            lines.append(f"The published value fell inside your range in {inside} of the {n} question"
                         f"{'s' if n != 1 else ''} you answered; a well-calibrated person's range holds it about 8 times "
                         "in 10.")
        return lines

    # --- distributions --------------------------------------------------------------------------

    def fit(self, quantity: str, judgement):
        """The distribution an answer becomes (decide.judge's fitting, with the case's bounds)."""
        kind = self.kind(quantity)
        return judgement.to_distribution(kind, self.decision.bounds(kind))

    def judgements(self, quantity: str, round_: int) -> dict:
        """Each role's judgement of the quantity in the round (round 2 keeps a round 1 answer not revised)."""
        from decide.judge import Judgement

        out = {}
        for a in self.store.answers(1) + (self.store.answers(2) if round_ == 2 else []):
            if a["quantity"] == quantity:
                out[a["role"]] = Judgement.model_validate({"by": a["role"], **a["judgement"]})
        return out

    def summary(self, quantity: str, round_: int, seed: int = 0) -> RoundSummary:
        """Each role's low/middle/high, the pool's, and how far apart the group is."""
        from decide.judge import draw, pool

        judged = self.judgements(quantity, round_)
        dists = {role: self.fit(quantity, j) for role, j in judged.items()}
        people = [Spread(role, *(float(d.ppf(p)) for p in SHOWN)) for role, d in dists.items()]
        if not people:
            return RoundSummary(quantity, round_, [], None, 0.0, 0.0, None, None)
        pooled = pool(list(dists.values()))
        x = draw(pooled, POOL_DRAWS, np.random.default_rng(seed))
        p = Spread("everyone together", *(float(v) for v in np.quantile(x, SHOWN)))
        middles = [s.middle for s in people]
        spread = max(middles) - min(middles)
        width = p.high - p.low
        apart, overlap = None, None
        if len(people) > 1:  # the two with the lowest and the highest middle value
            lowest, highest = min(people, key=lambda s: s.middle), max(people, key=lambda s: s.middle)
            apart, overlap = (lowest.role, highest.role), _overlap(lowest, highest)
        return RoundSummary(quantity, round_, people, p, spread, spread / width if width > 0 else 0.0, apart, overlap)

    def disagreement(self, round_: int) -> list[RoundSummary]:
        """The quantities from most to least disagreement (the spread of middles against the pool's range)."""
        return sorted((self.summary(q, round_) for q in self.quantities), key=lambda s: -s.relative_spread)


def chips_to_quantiles(edges: list[float] | None, chips) -> dict[float, float]:
    """Chips on a grid (the roulette) as quantiles: the share of chips below each bin edge is that edge's level.

    Edges at 0 % or 100 % carry no information and are left out; where empty bins make two edges share a
    level, the level is given the middle of those edges."""
    if edges is None:
        raise DecideError("this quantity has no fixed range to put a grid on; answer as low / likely / high instead")
    if not isinstance(chips, list | tuple) or len(chips) != len(edges) - 1:
        raise DecideError(f"give the number of chips in each of the {len(edges) - 1} bins")
    try:
        counts = [int(c) for c in chips]
    except (TypeError, ValueError):
        raise DecideError("the chips in each bin must be whole numbers (0 or more)") from None
    if any(c < 0 for c in counts):
        raise DecideError("a bin cannot hold fewer than 0 chips")
    total = sum(counts)
    if sum(c > 0 for c in counts) < 3:
        raise DecideError(f"place your chips in at least three bins (you used {sum(c > 0 for c in counts)}): a grid "
                          "with chips in one or two bins does not say how uncertain you are")
    cumulative = np.cumsum(counts) / total
    levels: dict[float, list[float]] = {}
    for edge, level in zip(edges[1:-1], cumulative[:-1]):
        if 0 < level < 1:
            levels.setdefault(round(float(level), 6), []).append(edge)
    return {level: float(np.mean(at)) for level, at in sorted(levels.items())}


def _show(x: float, kind: str) -> str:
    from decide.workshop.figures import show

    return show(x, kind)


def read_calibration(path: str | Path) -> list[dict]:
    """Calibration questions from a YAML file: a list under 'questions', each with name, question, answer, kind
    (probability or number) and source. Checked with clear messages, like a case file."""
    from pydantic import BaseModel, ConfigDict, Field, ValidationError

    from decide.frame import _load_yaml, read_case_text
    from decide.judge import Number

    class Question(BaseModel):
        model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
        name: str = Field(min_length=1, max_length=80)
        question: str = Field(min_length=1, max_length=400)
        answer: Number
        kind: str = Field("probability", pattern="^(probability|number)$")
        source: str = Field(min_length=1, max_length=400)

    class File(BaseModel):
        model_config = ConfigDict(extra="forbid")
        questions: list[Question] = Field(min_length=1, max_length=50)

    path = Path(path)
    data, _ = _load_yaml(read_case_text(path), str(path))
    try:
        parsed = File.model_validate(data)
    except ValidationError as exc:
        problems = [Problem(".".join(map(str, e["loc"])) or "top level", e.get("input"), e["msg"]) for e in exc.errors()]
        raise CaseError(problems, str(path)) from None
    items = [q.model_dump() for q in parsed.questions]
    names = [q["name"] for q in items]
    if len(set(names)) != len(names):
        raise CaseError([Problem("questions", None, "each calibration question needs its own name")], str(path))
    for i, q in enumerate(items):
        if q["kind"] == "probability" and not 0 <= q["answer"] <= 1:
            raise CaseError([Problem(f"questions.{i}.answer", q["answer"], "a chance lies between 0 and 1 (e.g. 0.1 for "
                                     "10 %)")], str(path))
    return items


def _overlap(a: Spread, b: Spread) -> float:
    """How much two 80 % ranges overlap, as a share of the narrower one (1 = one inside the other)."""
    inter = max(0.0, min(a.high, b.high) - max(a.low, b.low))
    narrow = min(a.high - a.low, b.high - b.low)
    return inter / narrow if narrow > 0 else float(inter > 0 or a.middle == b.middle)


def _summary_json(s: RoundSummary) -> dict:
    return {
        "people": [vars(p) for p in s.people],
        "pool": vars(s.pool) if s.pool else None,
        "spread_of_middles": s.medians_range,
        "furthest_apart": list(s.furthest_apart) if s.furthest_apart else None,
        "overlap_of_furthest": s.overlap,
    }


def _field_of(where: str) -> str:
    """'quantities[2] (x).judgements[0].low' -> 'low' (the field of the answer a person fixes)."""
    tail = where.split(".judgements[0]", 1)
    return (tail[1].lstrip(".") if len(tail) == 2 else "") or "your answer"


def _case_data(text: str, source: str) -> dict:
    from decide.frame import _load_yaml  # the case reader's own safe YAML (limits, no aliases blown up)

    data, _ = _load_yaml(text, source)
    if not isinstance(data, dict) or not isinstance(data.get("quantities"), list):
        raise DecideError(f"{source}: the case has no shared quantities to elicit (a 'quantities:' list)")
    return data


__all__ = ["FORMS", "STAGES", "Workshop", "RoundSummary", "Spread", "new_code"]
