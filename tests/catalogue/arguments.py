"""Catalogue: command-line arguments (the case file itself is valid)."""

from __future__ import annotations

from _shared import MINIMAL_CASE, dump
from hostile import Entry

CASE = {"case.yaml": dump(MINIMAL_CASE)}

ENTRIES = [
    Entry("args/check-minimal", "valid input", ["check", "case.yaml"], "valid", CASE),
    Entry("args/compare-minimal", "valid input", ["compare", "case.yaml", "--draws", "500"], "valid", CASE),
    Entry("args/check-missing-file", "missing or unreadable file", ["check", "nope.yaml"], "refused", CASE, message="no such file"),
    Entry("args/check-directory", "missing or unreadable file", ["check", "{dir}"], "refused", CASE),
    Entry("args/compare-negative-seed", "bad argument", ["compare", "case.yaml", "--seed", "-1"], "refused", CASE, message="seed"),
    Entry("args/compare-huge-draws", "bad argument", ["compare", "case.yaml", "--draws", "1000000000"], "refused", CASE, message="draws"),
    Entry("args/compare-zero-draws", "bad argument", ["compare", "case.yaml", "--draws", "0"], "refused", CASE, message="draws"),
    Entry("args/compare-csv-is-input", "output over an input", ["compare", "case.yaml", "--csv", "case.yaml", "--force"], "refused", CASE,
          message="input"),
]
