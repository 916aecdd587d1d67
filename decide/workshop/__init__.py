"""Workshop: a facilitated elicitation session in the browser (issue 16).

Several practitioners judge the case's uncertain quantities privately, see what their words
mean as numbers, see the group's distributions side by side, discuss, and revise; the result is
a new case file with everyone's judgements (by role) and a hashed record of the session.

store.py keeps the session in SQLite (it survives a restart); session.py holds the rules
(rounds, roles, answers checked like a case file, the pool, where people disagree); output.py
writes the new case file and the workshop record; app.py is the Panel web app; command.py
registers ``decide workshop``. Only app.py imports Panel, and only when the app is served.
"""
