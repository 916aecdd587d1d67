"""Property: whatever is done to a referrals CSV, `decide audit` ends with exit 0 or 2 — never a
traceback, never NaN or inf in what it writes or prints, never a cell a spreadsheet would run as a
formula, never a changed input, and nothing written when it refuses (tests/hostile.py checks each).

The file is 400 rows of data/synthetic/referrals.csv, mutated by hypothesis: cells replaced with
NaN, inf, text, formulas or nothing; columns dropped or duplicated; rows cut short or made long.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostile import Entry, run

ROOT = Path(__file__).resolve().parent.parent
_DF = pd.read_csv(ROOT / "data" / "synthetic" / "referrals.csv").iloc[::75].reset_index(drop=True)
LINES = _DF.to_csv(index=False).splitlines()
HEADER = LINES[0].split(",")
USED = ["risk_score", "re_referred", "deprivation"]  # the columns the command reads: mutated more often
ARGV = ["audit", "r.csv", "--score", "risk_score", "--outcome", "re_referred", "--group", "deprivation",
        "--threshold", "0.3", "--reference", "less deprived", "--draws", "200", "-o", "out.html"]

VALUES = ["nan", "NaN", "inf", "-inf", "1e400", "", " ", "abc", "=1+1", "+A1", "-2", "@SUM(A1)", "\t=1", "TRUE",
          "2", "-0.5", "1.5", "0.3", '"', "less deprived", "NA", "1,5"]
columns = st.sampled_from(USED * 3 + HEADER)


@st.composite
def mutation(draw):
    kind = draw(st.sampled_from(["cell", "cell", "cell", "column-cells", "drop-column", "duplicate-column", "short-row",
                                 "long-row"]))
    return (kind, draw(st.integers(1, len(LINES) - 1)), draw(columns), draw(st.sampled_from(VALUES)), draw(st.integers(1, 3)))


def apply(lines: list[str], m) -> list[str]:
    kind, row, column, value, k = m
    rows = [line.split(",") for line in lines]
    j = rows[0].index(column) if column in rows[0] else 0
    quoted = f'"{value}"' if "," in value else value
    if kind == "cell":
        if j < len(rows[row]):
            rows[row][j] = quoted
    elif kind == "column-cells":  # one row in ten
        for r in rows[1 + row % 10::10]:
            if j < len(r):
                r[j] = quoted
    elif kind == "drop-column":
        rows = [r[:j] + r[j + 1:] for r in rows]
    elif kind == "duplicate-column":
        rows = [r + [r[j] if j < len(r) else ""] for r in rows]
    elif kind == "short-row":
        rows[row] = rows[row][:-k]
    elif kind == "long-row":
        rows[row] = rows[row] + ["9"] * k
    return [",".join(r) for r in rows]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutation(), min_size=1, max_size=3))
def test_any_mutation_ends_in_a_report_or_a_clear_refusal(mutations):
    lines = list(LINES)
    for m in mutations:
        lines = apply(lines, m)
    files = {"r.csv": "\n".join(lines) + "\n"}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            run(Entry("audit-mutation", "mutation", ARGV, "valid", files, timeout=60), Path(tmp) / "valid")
        except AssertionError as exc:
            if "expected success, got exit 2" not in str(exc):
                raise
            # A refusal: it must be a clear one that wrote nothing (run checks both).
            run(Entry("audit-mutation", "mutation", ARGV, "refused", files, timeout=60), Path(tmp) / "refused")
