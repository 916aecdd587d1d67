"""One set of simulation settings for every place a case is analysed.

`decide compare`, `decide report`, `decide record`, `decide review` and the notebooks that
analyse an example case all start from these, so the same case shows the same numbers wherever
it is read. A record stores the settings it was made with, and a review re-uses those.
"""

from __future__ import annotations

#: Simulation draws ("possible worlds"). 20 000 keeps Monte Carlo error in P(best) below about
#: half a percentage point while a whole report still takes seconds.
DRAWS = 20_000
#: Random seed: the same seed gives the same numbers.
SEED = 1
#: Width of every interval shown (the middle 90 % of the uncertainty).
INTERVAL = 0.9
#: Largest number of draws a command accepts: beyond this the arrays outgrow an ordinary laptop.
MAX_DRAWS = 2_000_000
#: Most groups an audit reports unless told otherwise (--max-groups): each group is a row in every table and a
#: line in every figure, and a column of identifiers given as the group would make thousands of groups of one.
MAX_AUDIT_GROUPS = 200
