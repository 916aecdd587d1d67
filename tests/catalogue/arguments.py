"""Catalogue: command-line arguments (the case file itself is valid)."""

from __future__ import annotations

import copy

from _shared import MINIMAL_CASE, dump
from case_files import warm_up
from hostile import Entry

CASE = {"case.yaml": dump(MINIMAL_CASE)}


ENTRIES = [
    Entry("args/check-minimal", "valid input", ["check", "case.yaml"], "valid", CASE, setup=warm_up),
    Entry("args/compare-minimal", "valid input", ["compare", "case.yaml", "--draws", "500"], "valid", CASE, setup=warm_up),
    Entry("args/check-missing-file", "missing or unreadable file", ["check", "nope.yaml"], "refused", CASE, message="no such file"),
    Entry("args/check-directory", "missing or unreadable file", ["check", "{dir}"], "refused", CASE),
    Entry("args/compare-negative-seed", "bad argument", ["compare", "case.yaml", "--seed", "-1"], "refused", CASE, message="seed"),
    Entry("args/compare-huge-draws", "bad argument", ["compare", "case.yaml", "--draws", "1000000000"], "refused", CASE, message="draws"),
    Entry("args/compare-zero-draws", "bad argument", ["compare", "case.yaml", "--draws", "0"], "refused", CASE, message="draws"),
    Entry("args/compare-csv-is-input", "output over an input", ["compare", "case.yaml", "--csv", "case.yaml", "--force"], "refused", CASE,
          message="input"),
]

# --- more arguments: every bad value of --seed and --draws, every bad --csv path ---------------

BA = "bad argument"


def _compare(*extra):
    return ["compare", "case.yaml", "--draws", "500", *extra]


for name, value in {"seed-2-32": str(2**32), "seed-text": "abc", "seed-fraction": "1.5", "seed-empty": "",
                    "seed-huge": "9" * 40, "seed-nan": "nan"}.items():
    ENTRIES.append(Entry(f"args/{name}", BA, _compare("--seed", value), "refused", CASE, message=r"--seed.*0 to 4,294,967,295"))
for name, value in {"draws-99": "99", "draws-over-max": "2000001", "draws-text": "many", "draws-exponent": "1e3",
                    "draws-negative": "-5", "draws-empty": "", "draws-fraction": "500.5", "draws-inf": "inf"}.items():
    ENTRIES.append(Entry(f"args/{name}", BA, ["compare", "case.yaml", "--draws", value], "refused", CASE,
                         message=r"--draws.*100 to 2,000,000"))
ENTRIES += [
    Entry("args/seed-zero", "valid input", _compare("--seed", "0"), "valid", CASE, setup=warm_up),
    Entry("args/seed-max", "valid input", _compare("--seed", str(2**32 - 1)), "valid", CASE, setup=warm_up),
    Entry("args/draws-min", "valid input", ["compare", "case.yaml", "--draws", "100"], "valid", CASE, setup=warm_up),
    Entry("args/draws-underscores", "valid input", ["compare", "case.yaml", "--draws", "1_000"], "valid", CASE, setup=warm_up),
    Entry("args/no-command", BA, [], "refused", CASE, message="command"),
    Entry("args/unknown-command", BA, ["chek", "case.yaml"], "refused", CASE, message=r"invalid choice.*'chek'"),
    Entry("args/check-no-case", BA, ["check"], "refused", CASE, message=r"case"),
    Entry("args/compare-no-case", BA, ["compare", "--draws", "500"], "refused", CASE, message=r"case"),
    Entry("args/unknown-option", BA, _compare("--drawz", "5"), "refused", CASE, message=r"unrecognized arguments: --drawz"),
    Entry("args/check-with-draws", BA, ["check", "case.yaml", "--draws", "500"], "refused", CASE,
          message=r"unrecognized arguments"),
    Entry("args/two-cases", BA, ["check", "case.yaml", "case.yaml"], "refused", CASE, message=r"unrecognized arguments"),
    Entry("args/evidence-no-file", BA, ["evidence"], "refused", CASE, message=r"csv"),
]

# --csv: checked before anything is simulated or written
OUT = "output over an input"
ENTRIES += [
    Entry("args/csv-is-input-spelt-differently", OUT, _compare("--csv", "./sub/../case.yaml", "--force"), "refused",
          {**CASE, "sub/keep.txt": "x"}, message=r"input.*even with --force"),
    Entry("args/csv-is-input-no-force", OUT, _compare("--csv", "case.yaml"), "refused", CASE, message=r"input"),
    Entry("args/csv-exists", "output exists", _compare("--csv", "table.csv"), "refused", {**CASE, "table.csv": "mine"},
          message=r"already exists.*--force"),
    Entry("args/csv-parent-is-file", BA, _compare("--csv", "case.yaml/table.csv"), "refused", CASE,
          message=r"is a file, not a folder"),
    Entry("args/csv-is-folder", BA, _compare("--csv", "out"), "refused", {**CASE, "out/keep.txt": "x"}, message=r"is a folder"),
    # H2 D2: --force let --csv replace a chained record (or a key) with a table
    Entry("args/csv-over-a-record-with-force", OUT, _compare("--csv", "recs/rec.json", "--force"), "refused",
          {**CASE, "recs/rec.json": '{"record": {}}'}, message=r"rec\.json: --csv writes a table; give a file name ending in \.csv"),
    Entry("args/csv-force-replaces", "valid input", _compare("--csv", "table.csv", "--force"), "valid",
          {**CASE, "old/table.txt": "x"}, setup=warm_up),
    Entry("args/csv-new-folder", "valid input", _compare("--csv", "new/folder/table.csv"), "valid", CASE, setup=warm_up),
]

FORMULA_CASE = copy.deepcopy(MINIMAL_CASE)
FORMULA_CASE["options"][0]["name"] = "=HYPERLINK(\"http://evil.example\",\"click\")"
FORMULA_CASE["options"][1]["name"] = "-care"
FORMULA_CASE["options"].append({"name": "@kin", "outcomes": [
    {"name": "+moves", "kind": "harm", "chance": 0.2, "horizon": "1 year", "magnitude": 20}]})
ENTRIES += [
    Entry("args/csv-formula-option-names", "formula injection", _compare("--csv", "table.csv"), "valid",
          {"case.yaml": dump(FORMULA_CASE)}, setup=warm_up),
]

# --- H2 D7: bytes that are not UTF-8 in an argument (the system hands them on as lone surrogates): a traceback when
# a record was hashed or a page written; now refused before any work, naming the option ------------------------------
NU = "not UTF-8"
for id_, argv, message in [
    ("record-reason", ["record", "case.yaml", "--folder", "recs", "--reason", "bad \udcff byte"],
     r"--reason 'bad \\xff byte' holds bytes that are not UTF-8; retype it"),
    ("record-by", ["record", "case.yaml", "--folder", "recs", "--by", "\udcfe"], r"--by '\\xfe' holds bytes that are not UTF-8"),
    ("report-title", ["report", "case.yaml", "-o", "r.html", "--title=t\udcff"], r"--title 't\\xff' holds bytes that are not UTF-8"),
    ("report-output-name", ["report", "case.yaml", "-o", "r\udcff.html"], r"--output 'r\\xff\.html' holds bytes that are not UTF-8"),
    ("case-file-name", ["report", "c\udcff.yaml", "-o", "r.html"], r"the file name 'c\\xff\.yaml' holds bytes that are not UTF-8; use a name in UTF-8"),
]:
    ENTRIES.append(Entry(f"args/not-utf8-{id_}", NU, argv, "refused", CASE, message=message))
