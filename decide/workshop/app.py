"""The workshop in the browser (Panel): a facilitator's page and a participant's page.

The pages hold no state of their own: every step goes through Workshop (and so into SQLite),
and each page polls the store, so a reload or a server restart loses nothing. The participant's
token is kept in their page's address, so reopening the link puts them back where they were.

participant_view and facilitator_view build the pages from arguments (the token, the key), so the same
views run in a JupyterLab notebook cell; the served pages only read those arguments from the address.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from pathlib import Path

import panel as pn

from decide.errors import DecideError
from decide.judge import SCALES, SCALE_SOURCES, CONFIDENCE_MASS
from decide.workshop import figures, output
from decide.workshop.session import CHIPS, Spread, Workshop
from decide.workshop.store import Store

#: How often a page looks for changes (milliseconds).
POLL_MS = 1000

FORM_LABELS = {"In words": "verbal", "Low / likely / high": "low/likely/high", "Percentiles": "quantiles",
               "Chips on a grid": "chips"}
STAGE_WORDS = {
    "choosing": "The facilitator is choosing what to ask about.",
    "round 1": "Round 1: answer on your own, without discussing. Nobody sees your answers until the facilitator reveals them.",
    "revealed 1": "Everyone's answers are shown below. Discuss them; the facilitator will open round 2 for revisions.",
    "round 2": "Round 2: revise your answers if the discussion changed your mind (or leave them as they were).",
    "revealed 2": "The revised answers are shown below. The facilitator will write them into the case file.",
}


def _arg(name: str) -> str | None:
    values = (pn.state.session_args or {}).get(name)
    return values[0].decode("utf-8", "replace") if values else None


def _number(text: str, kind: str):
    """A typed number; '20%' is 0.2 for a chance. Anything else goes to the checks unchanged (for their message)."""
    text = (text or "").strip()
    if text.count(",") == 1 and "." not in text:  # a decimal comma: 0,2
        text = text.replace(",", ".")
    m = re.fullmatch(r"(-?\d+(?:\.\d+)?)\s*%", text)
    if m and kind == "probability":
        return float(m.group(1)) / 100
    try:
        return float(text)
    except ValueError:
        return text or None


def _percentiles(text: str, kind: str):
    """'10% = 0.1, 50% = 0.2, 90% = 0.4' -> {0.1: 0.1, 0.5: 0.2, 0.9: 0.4}."""
    out = {}
    for part in filter(None, (p.strip() for p in re.split(r"[;\n]|,(?=\s*\d+\s*%)", text or ""))):
        m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*%\s*[=:]\s*(.+)", part)
        if not m:
            raise DecideError(f"write each percentile as 'percent = value', e.g. '10% = 0.1, 90% = 0.4'; could not read "
                              f"'{part}'")
        out[float(m.group(1)) / 100] = _number(m.group(2), kind)
    return out or None


def _band_words(term: str, scale: str, confidence: str) -> str:
    lo, hi = SCALES[scale][term]
    return (f"On the {SCALE_SOURCES[scale]}, '{term}' means a {lo:.0%} to {hi:.0%} chance. With {confidence} "
            f"confidence, {CONFIDENCE_MASS[confidence]:.0%} of your distribution lies inside that band.")


def _group_panel(w: Workshop, rnd: int):
    """Everyone's distributions and the pool for each quantity, most disagreement first."""
    items = [pn.pane.Markdown(f"### Round {rnd}: everyone's answers side by side (by role)")]
    for s in w.disagreement(rnd):
        kind = w.kind(s.quantity)
        judged = w.judgements(s.quantity, rnd)
        dists = {role: w.fit(s.quantity, j) for role, j in judged.items()}
        if not dists:
            items.append(pn.pane.Markdown(f"**{w.describe(s.quantity)}**: nobody answered."))
            continue
        fig = figures.group_figure(dists, s, kind, w.decision.bounds(kind), f"{w.describe(s.quantity)}: round {rnd}")
        items.append(pn.Column(pn.pane.Matplotlib(fig, dpi=96, tight=True, format="png", sizing_mode="fixed"),
                               pn.pane.Markdown("\n".join(f"- {t}" for t in figures.group_sentences(s, kind))),
                               css_classes=["ws-group"]))
    return pn.Column(*items)


# --- participant --------------------------------------------------------------------------------------------


class QuantityCard:
    """One quantity for one participant: choose a form, type the answer, see what it becomes, save it."""

    def __init__(self, w: Workshop, token: str, name: str):
        self.w, self.token, self.name = w, token, name
        self.kind = w.kind(name)
        verbal_ok = self.kind == "probability"
        self.edges = w.grid(name)
        forms = {k: v for k, v in FORM_LABELS.items() if (verbal_ok or v != "verbal") and (self.edges or v != "chips")}
        slug = re.sub(r"\W+", "-", name)
        fit = dict(sizing_mode="stretch_width", min_width=120)  # boxes share the row, so a narrow notebook cell holds them
        self.form = pn.widgets.RadioButtonGroup(options=forms, value="low/likely/high", css_classes=[f"ws-form-{slug}"])
        self.scale = pn.widgets.Select(name="Scale", options={v: k for k, v in SCALE_SOURCES.items()},
                                       value="uk_yardstick", **fit)
        self.term = pn.widgets.Select(name="How likely", options=list(SCALES["uk_yardstick"]), value="likely",
                                      css_classes=[f"ws-term-{slug}"], **fit)
        self.confidence = pn.widgets.Select(name="How sure you are", options=["low", "medium", "high"], value="medium",
                                            css_classes=[f"ws-confidence-{slug}"], **fit)
        hint = "e.g. 20%" if verbal_ok else "a number"
        self.low = pn.widgets.TextInput(name="Low: 9 in 10 it is above", placeholder=hint,
                                        css_classes=[f"ws-low-{slug}"], **fit)
        self.likely = pn.widgets.TextInput(name="Likely: as likely above as below", placeholder=hint,
                                           css_classes=[f"ws-likely-{slug}"], **fit)
        self.high = pn.widgets.TextInput(name="High: 9 in 10 it is below", placeholder=hint,
                                         css_classes=[f"ws-high-{slug}"], **fit)
        self.quantiles = pn.widgets.TextInput(name="Percentiles", placeholder="10% = 0.1, 50% = 0.2, 90% = 0.4",
                                              css_classes=[f"ws-quantiles-{slug}"], **fit)
        self.chips = [pn.widgets.IntInput(name=f"{figures.show(a, self.kind)}-{figures.show(b, self.kind)}", value=0,
                                          start=0, end=CHIPS, width=64, css_classes=[f"ws-chips-{slug}-{i}"])
                      for i, (a, b) in enumerate(zip(self.edges or [], (self.edges or [])[1:]))]
        self.chip_count = pn.pane.Markdown("")
        self.band = pn.pane.Markdown("")
        self.preview = pn.Column()
        self.message = pn.pane.Markdown("", css_classes=[f"ws-message-{slug}"])
        self.save = pn.widgets.Button(name="Save my answer", button_type="primary", css_classes=[f"ws-save-{slug}"])
        self.save.on_click(self._save)
        self._prefill()
        self.inputs = pn.Column(sizing_mode="stretch_width")
        self.form.param.watch(self._changed, "value")
        self.scale.param.watch(self._scale_changed, "value")
        for widget in (self.term, self.confidence, self.low, self.likely, self.high, self.quantiles, *self.chips):
            widget.param.watch(self._preview, "value")
        self._changed()
        # Save sits above the preview: the preview's figure appears when a box is left, and a button below it would
        # move down just as a person reaches for it (the click then lands on the figure and nothing is saved).
        self.view = pn.Card(pn.pane.Markdown("How do you want to answer?"), self.form, self.inputs,
                            pn.Row(self.save), self.message, self.preview, title=w.describe(name), collapsible=False,
                            sizing_mode="stretch_width", css_classes=[f"ws-card-{slug}"])

    def _prefill(self):
        """Start from this person's latest saved answer (after a reload, a restart, or in round 2)."""
        role = self.w.store.role_of(self.token)
        mine = [a for a in self.w.store.answers() if a["role"] == role and a["quantity"] == self.name]
        if not mine:
            return
        j = mine[-1]["judgement"]
        if "verbal" in j:
            self.form.value = "verbal"
            self.scale.value = j.get("scale", "uk_yardstick")
            self.term.options = list(SCALES[self.scale.value])
            self.term.value, self.confidence.value = j["verbal"], j.get("confidence", "medium")
        elif "low" in j:
            self.form.value = "low/likely/high"
            self.low.value, self.likely.value, self.high.value = (f"{j[k]:g}" for k in ("low", "likely", "high"))
        elif "quantiles" in j:
            self.form.value = "quantiles"
            self.quantiles.value = ", ".join(f"{float(p) * 100:g}% = {v:g}" for p, v in sorted(j["quantiles"].items(),
                                                                                            key=lambda kv: float(kv[0])))

    def answer(self) -> dict:
        form = self.form.value
        if form == "verbal":
            return {"form": form, "verbal": self.term.value, "scale": self.scale.value, "confidence": self.confidence.value}
        if form == "low/likely/high":
            return {"form": form, **{k: _number(_typed(getattr(self, k)), self.kind) for k in ("low", "likely", "high")}}
        if form == "chips":
            return {"form": form, "chips": [c.value or 0 for c in self.chips]}
        return {"form": form, "quantiles": _percentiles(_typed(self.quantiles), self.kind)}

    def _changed(self, *_):
        """A new form: show its inputs (only then is the layout rebuilt, so typing is never interrupted)."""
        form = self.form.value
        if form == "verbal":
            self.inputs.objects = [pn.Row(self.term, self.confidence, self.scale, sizing_mode="stretch_width"), self.band]
        elif form == "low/likely/high":
            self.inputs.objects = [pn.Row(self.low, self.likely, self.high, sizing_mode="stretch_width")]
        elif form == "chips":
            self.inputs.objects = [pn.pane.Markdown(f"Place {CHIPS} chips in the bins: more chips where you think the "
                                                    "value more likely lies, none where you think it cannot be."),
                                   pn.FlexBox(*self.chips), self.chip_count]  # bins wrap onto a second line if narrow
        else:
            self.inputs.objects = [self.quantiles, pn.pane.Markdown("Give two or more, separated by commas.")]
        self._preview()

    def _scale_changed(self, *_):
        terms = list(SCALES[self.scale.value])
        self.term.options = terms
        if self.term.value not in terms:
            self.term.value = terms[0]
        self._preview()

    def _preview(self, *_):
        if self.form.value == "chips":
            placed = sum(c.value or 0 for c in self.chips)
            self.chip_count.object = f"Chips placed: {placed} of {CHIPS}."
            if placed == 0:
                self.preview.objects = [pn.pane.Markdown("Place your chips to see what they mean as numbers.")]
                return
        if self.form.value == "verbal":
            self.band.object = _band_words(self.term.value, self.scale.value, self.confidence.value)
        try:
            answer = self.answer()
            if answer["form"] != "verbal" and not any(v not in (None, "") for k, v in answer.items() if k != "form"):
                self.preview.objects = [pn.pane.Markdown("Type your answer to see what it means as numbers.")]
                return
            j = self.w.check_answer(self.name, answer)
        except DecideError as exc:
            self.preview.objects = [pn.pane.Alert(_plain_error(exc), alert_type="warning")]
            return
        dist = self.w.fit(self.name, j)
        spread = Spread("you", *(float(dist.ppf(p)) for p in (0.1, 0.5, 0.9)))
        fig = figures.answer_figure(dist, spread, self.kind, self.w.decision.bounds(self.kind))
        self.preview.objects = [pn.pane.Matplotlib(fig, dpi=96, tight=True, format="png", sizing_mode="fixed"),
                                pn.pane.Markdown(figures.answer_sentence(spread, self.kind))]

    def _save(self, *_):
        try:
            self.w.answer(self.token, self.name, self.answer())
        except DecideError as exc:
            self.message.object = f"**Not saved.** {_plain_error(exc)}"
            return
        at = dt.datetime.now().strftime("%H:%M:%S")
        self.message.object = (f"Saved for round {self.w.round} at {at}. You can change it and save again until the "
                               "facilitator reveals the answers.")


class CalibrationCard:
    """One calibration question (a published figure the participant does not see until the reveal)."""

    def __init__(self, w: Workshop, token: str, question: dict, index: int):
        self.w, self.token, self.q = w, token, question
        hint = "e.g. 20%" if question["kind"] == "probability" else "a number"
        tag = f"ws-cal-{index}"
        fit = dict(sizing_mode="stretch_width", min_width=120)
        self.low = pn.widgets.TextInput(name="Low: 9 in 10 it is above", placeholder=hint, css_classes=[f"{tag}-low"], **fit)
        self.likely = pn.widgets.TextInput(name="Likely", placeholder=hint, css_classes=[f"{tag}-likely"], **fit)
        self.high = pn.widgets.TextInput(name="High: 9 in 10 it is below", placeholder=hint, css_classes=[f"{tag}-high"], **fit)
        mine = [a for a in w.store.calibration_answers() if a["name"] == question["name"]
                and a["role"] == w.store.role_of(token)]
        if mine:
            self.low.value, self.likely.value, self.high.value = (f"{mine[-1][k]:g}" for k in ("low", "likely", "high"))
        self.message = pn.pane.Markdown("", css_classes=[f"{tag}-message"])
        save = pn.widgets.Button(name="Save", button_type="primary", css_classes=[f"{tag}-save"])
        save.on_click(self._save)
        boxes = pn.Row(self.low, self.likely, self.high, sizing_mode="stretch_width")
        self.view = pn.Card(pn.pane.Markdown(question["question"]), boxes, save,
                            self.message, title=f"Calibration question {index + 1}", collapsible=False,
                            sizing_mode="stretch_width")

    def _save(self, *_):
        kind = self.q["kind"]
        try:
            self.w.answer_calibration(self.token, self.q["name"],
                                      {k: _number(_typed(getattr(self, k)), kind) for k in ("low", "likely", "high")})
        except DecideError as exc:
            self.message.object = f"**Not saved.** {_plain_error(exc)}"
            return
        self.message.object = f"Saved at {dt.datetime.now().strftime('%H:%M:%S')}."


def _typed(widget) -> str:
    """What is in a text box now, even if the person has not yet pressed Enter or left the box."""
    return widget.value_input if widget.value_input is not None else widget.value


def _plain_error(exc: DecideError) -> str:
    lines = str(exc).splitlines()
    return " ".join(line.strip().lstrip("- ") for line in lines[1:]) if len(lines) > 1 else str(exc)


class WorkshopView(pn.Column):
    """A workshop page as a Panel layout: shown by ``decide workshop`` in a browser tab, or in a notebook cell.

    It looks for changes in the store every second while shown (``stop()`` ends that; ``refresh()`` looks now)."""

    @property
    def token(self) -> str | None:
        """A participant's token once they have joined (give it to participant_view again to carry on as them)."""
        return self._state.get("token")

    def refresh(self) -> None:
        """Look in the store for changes now (what the page does by itself every second)."""
        self._refresh()

    def stop(self) -> None:
        """Stop looking for changes (in a notebook, when the view is no longer needed)."""
        if self._poller is not None:
            self._poller.stop()


def _view(parts, state, refresh, poll_ms, **layout) -> WorkshopView:
    view = WorkshopView(*parts, **layout)
    view._state, view._refresh = state, refresh
    # On a served page the callback lives as long as the browser tab's session; in a notebook it runs in the
    # kernel's event loop until stop(); without a running event loop (a script, a test) it never runs.
    view._poller = pn.state.add_periodic_callback(refresh, period=poll_ms) if poll_ms else None
    return view


def _open(store_path) -> Workshop:
    """The workshop kept in ``store_path``; a path that holds none is refused (and no empty file is left there)."""
    store = Store(store_path)
    if not store.exists():
        raise DecideError(f"{store.path} holds no workshop; start one with `decide workshop CASE.yaml --store "
                          f"{store.path}` or Workshop.start(CASE, '{store.path}') from decide.workshop.session")
    return Workshop(store)


def participant_view(store_path, code: str | None = None, role: str | None = None, token: str | None = None, *,
                     poll_ms: int | None = POLL_MS, on_token=None) -> WorkshopView:
    """A participant's page for the workshop kept in ``store_path``, as a Panel layout (a served page or a notebook cell).

    With ``token`` (from an earlier join) it carries on as that participant; with ``code`` and ``role`` it joins
    at once (a wrong code or a taken role is refused with the reason); otherwise it shows the join form, with
    whatever of ``code`` and ``role`` was given already typed in. ``on_token(token)`` is told the token when
    the person joins (the served page keeps it in its address, so a reload carries on). ``poll_ms=None``: never
    look for the facilitator's steps by itself (call ``refresh()``)."""
    w = _open(store_path)
    title = pn.pane.Markdown(f"## Elicitation workshop\n{w.decision.question}")
    body = pn.Column(sizing_mode="stretch_width")
    state = {"token": None, "stage": None}

    code_box = pn.widgets.TextInput(name="Session code", value=code or "", placeholder="from the facilitator",
                                    css_classes=["ws-code"])
    role_box = pn.widgets.TextInput(name="Your role (not your name)", value=role or "", placeholder="e.g. social worker",
                                    css_classes=["ws-role"])
    join = pn.widgets.Button(name="Join", button_type="primary", css_classes=["ws-join"])
    problem = pn.pane.Markdown("", css_classes=["ws-join-message"])

    def render():
        stage = w.stage
        state["stage"] = stage
        me = w.store.role_of(state["token"])
        head = pn.pane.Markdown(f"You are taking part as **{me}**.\n\n{STAGE_WORDS[stage]}", css_classes=["ws-stage"])
        if stage in ("round 1", "round 2"):
            cards = [QuantityCard(w, state["token"], q).view for q in w.quantities]
            questions = w.calibration_questions() if stage == "round 1" else []
            if questions:
                cards += [pn.pane.Markdown("### Calibration questions\nThese have published answers, shown after the "
                                           "reveal, so you can see how well your ranges hold the true values.")]
                cards += [CalibrationCard(w, state["token"], q, i).view for i, q in enumerate(questions)]
            body.objects = [head, *cards]
        elif stage.startswith("revealed"):
            feedback = w.how_calibrated(me) if w.calibration_questions() else []
            extra = [pn.pane.Markdown("### How well calibrated were you?\n" + "\n".join(f"- {t}" for t in feedback),
                                      css_classes=["ws-calibration"])] if feedback else []
            body.objects = [head, *extra, _group_panel(w, int(stage[-1]))]
        else:
            body.objects = [head]

    def joined(new_token):
        state["token"] = new_token
        if on_token is not None:
            on_token(new_token)
        render()

    def on_join(*_):
        try:
            joined(w.join(code_box.value, role_box.value))
        except DecideError as exc:
            problem.object = f"**Could not join.** {exc}"

    join.on_click(on_join)

    def poll():
        if state["token"] and w.stage != state["stage"]:
            render()

    if token is not None:
        if not w.store.role_of(token):
            raise DecideError("that token is not one of this workshop's participants; join with the session code and "
                              "your role instead (participant_view(store, code=..., role=...))")
        joined(token)
    elif code and role:
        try:
            new_token = w.join(code, role)
        except DecideError as exc:
            if "already taken" not in str(exc):
                raise
            raise DecideError(f"{exc}. If it was you, in a cell run earlier, carry on as yourself with "
                              "participant_view(store, token=view.token), where view is that earlier view") from None
        joined(new_token)
    else:
        body.objects = [pn.pane.Markdown("Join with the session code the facilitator gives you, and your role in the "
                                         "case (such as 'social worker' or 'team manager'). Never your name."),
                        code_box, role_box, join, problem]
    return _view([title, body], state, poll, poll_ms, sizing_mode="stretch_width", max_width=900)


def participant_page(store_path: Path):
    """The served participant's page: the token, if any, is in the page's address and is put there on joining."""
    token = _arg("token")
    if token and not Store(store_path).role_of(token):
        token = None  # an old or mistyped link: join again
    return participant_view(store_path, token=token, on_token=lambda t: pn.state.location.update_query(token=t))


# --- facilitator ------------------------------------------------------------------------------------------


NEXT_STEP = {"choosing": ("Open round 1", 1), "round 1": ("Reveal the answers", None),
             "revealed 1": ("Open round 2", 2), "round 2": ("Reveal the revised answers", None)}


class NotFacilitator(DecideError):
    """The facilitator's key was wrong or missing."""


def facilitator_view(store_path, key: str | None = None, *, records="workshops", join_url: str | None = None,
                     poll_ms: int | None = POLL_MS) -> WorkshopView:
    """The facilitator's page for the workshop kept in ``store_path``, as a Panel layout (a served page or a notebook cell).

    ``key`` is checked against the facilitator's key when given (the served page always gives the one in its
    address); in a notebook it may be left out, since whoever can open the store file can run the workshop anyway.
    ``records`` is the folder for the workshop's record; ``join_url`` the participants' link, if they join in a
    browser (otherwise they join with participant_view and the session code). ``poll_ms=None``: never look for
    new answers by itself (call ``refresh()``)."""
    w = _open(store_path)
    if key is not None and not secrets.compare_digest(str(key), w.facilitator_key):
        raise NotFacilitator("that is not this workshop's facilitator key; it is printed when `decide workshop` starts "
                             "(or leave the key out when you open the workshop's store in your own notebook)")
    records = Path(records)
    state = {"stage": None, "answered": None}
    where = (f"Participants open **{join_url}** and type" if join_url else "Participants join with")
    header = pn.pane.Markdown(f"## Elicitation workshop: facilitator\n{w.decision.question}\n\n"
                              f"{where} the session code **{w.code}**.", css_classes=["ws-header"])
    stage_words = pn.pane.Markdown("", css_classes=["ws-stage"])
    choose = pn.widgets.CheckBoxGroup(options={w.describe(q): q for q in w.candidates()}, value=w.quantities or [],
                                      inline=False, css_classes=["ws-choose"])
    step = pn.widgets.Button(name="", button_type="primary", css_classes=["ws-next"])
    target = Path(w.case_path)
    out = pn.widgets.TextInput(name="New case file", value=str(target.with_name(f"{target.stem}_workshop.yaml")),
                               css_classes=["ws-out"])
    write = pn.widgets.Button(name="Write the case file and the workshop record", button_type="success",
                              css_classes=["ws-write"])
    weighting = pn.widgets.RadioButtonGroup(options={"Equal weights": "equal",
                                                     "Performance weights (from the calibration questions)": "performance"},
                                            value="equal", css_classes=["ws-weights"],
                                            visible=bool(w.calibration_questions()))
    scores = pn.pane.Markdown("", css_classes=["ws-scores"])
    message = pn.pane.Markdown("", css_classes=["ws-message"])
    who = pn.pane.Markdown("", css_classes=["ws-who"])
    reveal = pn.Column()

    def on_step(*_):
        try:
            stage = w.stage
            if stage == "choosing":
                w.choose(list(choose.value))
            label, rnd = NEXT_STEP[stage]
            w.open_round(rnd) if rnd else w.reveal()
            message.object = ""
        except DecideError as exc:
            message.object = f"**Not done.** {exc}"
        refresh(force=True)

    def on_write(*_):
        try:
            path = output.write_case(w, out.value, weights=weighting.value)
            record = output.write_record(w, records)
        except DecideError as exc:
            message.object = f"**Not written.** {_plain_error(exc)}"
            return
        message.object = (f"Wrote the new case file **{path}** (check it with `decide check {path}`) and the workshop "
                          f"record **{record}**. The original case file was not changed.")

    step.on_click(on_step)
    write.on_click(on_write)

    def refresh(force=False):
        stage = w.stage
        answered = w.answered()
        if not force and (stage, answered) == (state["stage"], state["answered"]):
            return
        changed_stage = stage != state["stage"]
        state["stage"], state["answered"] = stage, answered
        stage_words.object = f"**Now:** {STAGE_WORDS[stage]}"
        step.name, step.visible = NEXT_STEP.get(stage, ("", None))[0], stage in NEXT_STEP
        choose.disabled = stage != "choosing"
        write.disabled = stage in ("choosing", "round 1")
        n = len(w.quantities)
        if answered:
            rnd = w.round
            who.object = "**Who has answered" + (f" in round {rnd}" if rnd else "") + "** (by role):\n\n" + "\n".join(
                f"- {role}: {len(qs)} of {n}" for role, qs in answered.items())
        else:
            who.object = "Nobody has joined yet."
        if changed_stage:
            reveal.objects = [_group_panel(w, int(stage[-1]))] if stage.startswith("revealed") else []
            scored = w.calibration_scores() if stage.startswith("revealed") else {}
            weights = w.performance_weights() if scored else {}
            scores.object = ("**Calibration questions** (Cooke's classical model; with few questions the scores are "
                             "rough):\n\n" + "\n".join(
                                 f"- {role}: calibration {s['calibration']:.2f}, information {s['information']:.2f}, "
                                 f"performance weight {weights[role]:.0%}" for role, s in scored.items())) if scored else ""

    refresh()
    return _view([header, stage_words, pn.pane.Markdown("**What to ask about:**"), choose, step, who, scores, weighting,
                  pn.Row(out, write), message, reveal], state, refresh, poll_ms, sizing_mode="stretch_width", max_width=1000)


def facilitator_page(store_path: Path, records: Path, join_url: str):
    """The served facilitator's page: the key is in the page's address (a missing key is a wrong one)."""
    try:
        return facilitator_view(store_path, key=_arg("key") or "", records=records, join_url=join_url)
    except NotFacilitator:
        return pn.pane.Markdown("## Not the facilitator's link\nThis page needs the facilitator's link, printed when "
                                "`decide workshop` started. Participants join at the join link instead.")




def serve(store_path: Path, records: Path, port: int, *, show_urls=print) -> None:
    """Serve both pages on 127.0.0.1 until stopped (Ctrl+C)."""
    w = Workshop(Store(store_path))
    base = f"http://127.0.0.1:{port}"
    join_url = f"{base}/join"
    show_urls(f"Facilitator (keep this link to yourself): {base}/facilitator?key={w.facilitator_key}")
    show_urls(f"Participants: {join_url}  with the session code {w.code}")
    show_urls("Stop the workshop with Ctrl+C; start it again with the same command to carry on where it stopped.")
    pn.serve({"facilitator": lambda: facilitator_page(store_path, records, join_url),
              "join": lambda: participant_page(store_path)},
             port=port, address="127.0.0.1", websocket_origin=[f"127.0.0.1:{port}", f"localhost:{port}"],
             show=False, title="Elicitation workshop", verbose=False)
