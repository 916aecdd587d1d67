"""The workshop's pages as Panel views, built in-process (as in a notebook cell) and driven without a browser:
widgets are set and buttons clicked programmatically, and every step is checked in the store."""

from __future__ import annotations

import shutil

import pytest

import decide.workshop
from decide.errors import DecideError
from decide.workshop.session import Workshop

from conftest import CASES, LazyModule

app = LazyModule("decide.workshop.app")  # panel, on first use
pn = LazyModule("panel")

QUANTITIES = ["foster_placement_moves", "harm_of_reabuse"]


@pytest.fixture
def started(tmp_path):
    """A workshop on the return-home case with two quantities chosen, still at 'choosing'."""
    case = tmp_path / "return_home.yaml"
    shutil.copy(CASES / "return_home.yaml", case)
    w = Workshop.start(case, tmp_path / "w.sqlite", QUANTITIES)
    return w


def find(view, kind, css: str):
    """The one widget or pane of ``kind`` in ``view`` with the CSS class ``css``."""
    found = [o for o in view.select(kind) if css in (o.css_classes or [])]
    assert len(found) == 1, f"{len(found)} {kind.__name__} with class {css}"
    return found[0]


def click(button) -> None:
    button.clicks += 1  # what a click in the browser does: the on_click handlers run


def texts(view) -> str:
    return "\n".join(str(o.object) for o in view.select(pn.pane.Markdown))


def test_views_are_public_and_the_same_as_the_pages():
    assert decide.workshop.participant_view is app.participant_view
    assert decide.workshop.facilitator_view is app.facilitator_view
    with pytest.raises(AttributeError):
        decide.workshop.no_such_view


def test_a_path_without_a_workshop_is_refused_and_not_created(tmp_path):
    missing = tmp_path / "nothing.sqlite"
    with pytest.raises(DecideError, match="holds no workshop; start one with `decide workshop CASE.yaml"):
        app.participant_view(missing)
    with pytest.raises(DecideError, match="holds no workshop"):
        app.facilitator_view(missing)
    assert not missing.exists()


def test_facilitator_key_is_checked_when_given(started, monkeypatch):
    from decide.workshop import app  # the module itself, whose function monkeypatch replaces

    with pytest.raises(app.NotFacilitator, match="not this workshop's facilitator key"):
        app.facilitator_view(started.store.path, key="guessed", poll_ms=None)
    with pytest.raises(app.NotFacilitator):
        app.facilitator_view(started.store.path, key="", poll_ms=None)
    assert isinstance(app.facilitator_view(started.store.path, key=started.facilitator_key, poll_ms=None), app.WorkshopView)
    assert isinstance(app.facilitator_view(started.store.path, poll_ms=None), app.WorkshopView)  # in one's own notebook
    # the served page: a link without the key (or with a wrong one) gets the refusal page, never the controls
    for key in (None, "guessed"):
        monkeypatch.setattr(app, "_arg", lambda name, key=key: key)
        page = app.facilitator_page(started.store.path, started.store.path.parent / "records", "http://x/join")
        assert isinstance(page, pn.pane.Markdown) and "Not the facilitator's link" in page.object
    monkeypatch.setattr(app, "_arg", lambda name: started.facilitator_key)
    page = app.facilitator_page(started.store.path, started.store.path.parent / "records", "http://x/join")
    assert isinstance(page, app.WorkshopView) and "Participants open **http://x/join**" in texts(page)
    page.stop()


def test_participant_joins_answers_and_the_answer_lands_in_the_store(started):
    started.open_round(1)
    told = []
    view = app.participant_view(started.store.path, code=started.code.lower(), poll_ms=None, on_token=told.append)
    assert find(view, pn.widgets.TextInput, "ws-code").value == started.code.lower()  # typed in for them
    find(view, pn.widgets.TextInput, "ws-role").value = "social worker"
    click(find(view, pn.widgets.Button, "ws-join"))
    assert view.token and told == [view.token] and started.store.role_of(view.token) == "social worker"
    assert "You are taking part as **social worker**" in texts(view)

    slug = QUANTITIES[0]
    find(view, pn.widgets.RadioButtonGroup, f"ws-form-{slug}").value = "low/likely/high"
    for box, value in (("low", "10%"), ("likely", "0,2"), ("high", "0.4")):
        find(view, pn.widgets.TextInput, f"ws-{box}-{slug}").value = value
    assert any(isinstance(o, pn.pane.Matplotlib) for o in view.select(pn.pane.Matplotlib))  # the preview of the fit
    click(find(view, pn.widgets.Button, f"ws-save-{slug}"))
    (row,) = started.store.answers(1)
    assert (row["role"], row["quantity"]) == ("social worker", slug)
    assert (row["judgement"]["low"], row["judgement"]["likely"], row["judgement"]["high"]) == (0.1, 0.2, 0.4)
    assert "Saved for round 1" in find(view, pn.pane.Markdown, f"ws-message-{slug}").object

    # a bad answer is refused with the case file's message, and the saved one is kept
    find(view, pn.widgets.TextInput, f"ws-high-{slug}").value = "1.5"
    click(find(view, pn.widgets.Button, f"ws-save-{slug}"))
    assert "Not saved" in find(view, pn.pane.Markdown, f"ws-message-{slug}").object
    assert "a probability must lie between 0 and 1" in find(view, pn.pane.Markdown, f"ws-message-{slug}").object
    assert [r["judgement"]["high"] for r in started.store.answers(1)] == [0.4]

    # the same person again, by their token: their saved answer is filled in
    again = app.participant_view(started.store.path, token=view.token, poll_ms=None)
    assert find(again, pn.widgets.TextInput, f"ws-likely-{slug}").value == "0.2"


def test_participant_view_joins_at_once_or_says_why_not(started):
    view = app.participant_view(started.store.path, code=started.code, role="team manager", poll_ms=None)
    assert started.store.role_of(view.token) == "team manager"
    assert started.store.roles() == ["team manager"]
    assert "The facilitator is choosing what to ask about." in texts(view)
    with pytest.raises(DecideError, match="session code is not this workshop's"):
        app.participant_view(started.store.path, code="WRONG1", role="social worker", poll_ms=None)
    with pytest.raises(DecideError, match=r"already taken.*carry on as yourself with .*token=view\.token"):
        app.participant_view(started.store.path, code=started.code, role="team manager", poll_ms=None)
    assert app.participant_view(started.store.path, token=view.token, poll_ms=None).token == view.token
    with pytest.raises(DecideError, match="token is not one of this workshop's participants"):
        app.participant_view(started.store.path, token="made-up", poll_ms=None)
    # a wrong code typed into the form: the reason is shown, nobody joins
    form = app.participant_view(started.store.path, poll_ms=None)
    find(form, pn.widgets.TextInput, "ws-code").value = "WRONG1"
    find(form, pn.widgets.TextInput, "ws-role").value = "social worker"
    click(find(form, pn.widgets.Button, "ws-join"))
    assert "Could not join" in find(form, pn.pane.Markdown, "ws-join-message").object
    assert form.token is None and started.store.roles() == ["team manager"]


def test_facilitator_opens_reveals_and_writes_and_the_participant_follows(started, tmp_path):
    fac = app.facilitator_view(started.store.path, records=tmp_path / "records", poll_ms=None)
    assert "Participants join with the session code" in texts(fac) and started.code in texts(fac)
    choose = find(fac, pn.widgets.CheckBoxGroup, "ws-choose")
    assert choose.value == QUANTITIES
    choose.value = [QUANTITIES[0]]
    step = find(fac, pn.widgets.Button, "ws-next")
    assert step.name == "Open round 1"
    click(step)
    assert started.stage == "round 1" and started.quantities == [QUANTITIES[0]]
    assert step.name == "Reveal the answers" and choose.disabled

    me = app.participant_view(started.store.path, code=started.code, role="social worker", poll_ms=None)
    click(step)  # nobody has answered yet: refused, with the reason
    assert started.stage == "round 1" and "nobody has answered round 1 yet" in find(fac, pn.pane.Markdown, "ws-message").object
    find(me, pn.widgets.RadioButtonGroup, f"ws-form-{QUANTITIES[0]}").value = "verbal"
    find(me, pn.widgets.Select, f"ws-term-{QUANTITIES[0]}").value = "unlikely"
    click(find(me, pn.widgets.Button, f"ws-save-{QUANTITIES[0]}"))
    fac.refresh()  # what its periodic callback does
    assert "social worker: 1 of 1" in find(fac, pn.pane.Markdown, "ws-who").object

    click(step)
    assert started.stage == "revealed 1"
    assert fac.select(pn.pane.Matplotlib), "the group's distributions are shown after the reveal"
    assert "Everyone's answers are shown below" not in texts(me)
    me.refresh()
    assert "Everyone's answers are shown below" in texts(me) and me.select(pn.pane.Matplotlib)

    click(step)  # round 2: the participant keeps their answer, the facilitator reveals it and writes the case file
    me.refresh()
    assert "Round 2: revise your answers" in texts(me)
    assert find(me, pn.widgets.Select, f"ws-term-{QUANTITIES[0]}").value == "unlikely"  # their answer, to revise
    click(find(me, pn.widgets.Button, f"ws-save-{QUANTITIES[0]}"))
    assert [r["judgement"]["verbal"] for r in started.store.answers(2)] == ["unlikely"]
    click(step)
    assert started.stage == "revealed 2"
    find(fac, pn.widgets.TextInput, "ws-out").value = str(tmp_path / "after.yaml")
    click(find(fac, pn.widgets.Button, "ws-write"))
    assert "Wrote the new case file" in find(fac, pn.pane.Markdown, "ws-message").object
    assert (tmp_path / "after.yaml").exists() and list((tmp_path / "records").iterdir())


def test_views_look_for_changes_by_themselves_unless_told_not_to(started):
    view = app.participant_view(started.store.path, code=started.code, role="social worker")
    assert isinstance(view._poller, pn.io.callbacks.PeriodicCallback)
    assert view._poller.running and view._poller.period == app.POLL_MS
    view.stop()
    assert not view._poller.running
    quiet = app.facilitator_view(started.store.path, poll_ms=None)
    assert quiet._poller is None
    quiet.stop()  # nothing to stop: no error
