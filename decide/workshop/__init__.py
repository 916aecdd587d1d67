"""Workshop: a facilitated elicitation session in the browser (issue 16).

Several practitioners judge the case's uncertain quantities privately, see what their words
mean as numbers, see the group's distributions side by side, discuss, and revise; the result is
a new case file with everyone's judgements (by role) and a hashed record of the session.

store.py keeps the session in SQLite (it survives a restart); session.py holds the rules
(rounds, roles, answers checked like a case file, the pool, where people disagree); output.py
writes the new case file and the workshop record; app.py is the Panel web app; command.py
registers ``decide workshop``. Only app.py imports Panel, and only when the app is served or a
view is asked for: ``decide.workshop.participant_view`` and ``facilitator_view`` (for a notebook
cell) import it on first use, so the command line starts without it.
"""

_VIEWS = ("participant_view", "facilitator_view")


def __getattr__(name: str):
    if name in _VIEWS:
        import importlib.util

        if importlib.util.find_spec("panel") is None:
            from decide.errors import DecideError

            raise DecideError("the workshop's views need the Python package panel: pip install 'panel>=1.10,<2'")
        from decide.workshop import app

        return getattr(app, name)
    raise AttributeError(f"module 'decide.workshop' has no attribute {name!r}")


__all__ = list(_VIEWS)

