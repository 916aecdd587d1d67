"""Catalogue: `decide report` on odd-but-valid cases, and on output paths it must refuse.

Valid cases are the smallest valid case (tests/catalogue/_shared.py) with one thing changed, or
an example; each is reported with the fewest draws the report accepts. Refusals are about where
the report would be written: never over the case file (even with --force), never over an
existing file without --force, never into a file posing as a folder.
"""

from __future__ import annotations

import copy
import os

from _shared import MINIMAL_CASE, dump
from hostile import Entry

from decide.case_report import MIN_DRAWS

DRAWS = ["--draws", str(MIN_DRAWS)]
#: A report draws about ten figures: 2-5 s on a quiet 2-core machine (measured), inside the issue's
#: limit of 10 s for every entry.
REPORT_SECONDS = 10
FORMULA = "=cmd|' /C calc'!A0"

ENTRIES: list[Entry] = []


def warm_up(folder) -> None:
    """Load the libraries and draw one figure before the clock starts: the time limit is for the
    command, not for importing matplotlib, PyMC's relatives or finding fonts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import decide.case_report  # noqa: F401
    import decide.information  # noqa: F401
    import decide.plots.decision  # noqa: F401
    import decide.plots.information  # noqa: F401
    import decide.robustness  # noqa: F401
    from decide._html import figure_to_data_uri
    from decide.judge import _preliz

    _preliz()
    fig, ax = plt.subplots()
    ax.set_title("warm up")
    figure_to_data_uri(fig)


def _case(change=None) -> str:
    data = copy.deepcopy(MINIMAL_CASE)
    if change is not None:
        change(data)
    return dump(data)


def _outcome(name, kind, chance, magnitude, horizon="1 year"):
    return {"name": name, "kind": kind, "chance": chance, "horizon": horizon, "magnitude": magnitude}


def valid(id_, files, extra=(), klass="valid but odd"):
    files = files if isinstance(files, dict) else {"case.yaml": files}
    ENTRIES.append(Entry(f"reports/{id_}", klass, ["report", "case.yaml", "-o", "report.html", *DRAWS, *extra], "valid",
                         files, timeout=REPORT_SECONDS, setup=warm_up))


def refused(id_, argv, files=None, message=None, klass="output over an input", **kw):
    ENTRIES.append(Entry(f"reports/{id_}", klass, ["report", *argv], "refused",
                         files if files is not None else {"case.yaml": _case()}, message=message, **kw))


# --- odd but valid cases: every part of the report must work on them ------------------------------------

valid("minimal", _case())
# (the two examples take longer than a catalogue entry should; tests/test_case_report.py reports on both)


def _factor(d):
    d["factors"] = [{"name": "previous failed return", "kind": "risk", "odds_ratio": {"low": 1.1, "likely": 1.5, "high": 2.2}}]
    d["options"][0]["outcomes"][0]["factors"] = ["previous failed return"]


valid("one-factor", _case(_factor))


def _one_each(d):
    d["options"][0]["outcomes"] = [_outcome("harm", "harm", "harm_rate", 60)]
    d["options"][1]["outcomes"] = [_outcome("settled", "benefit", {"low": 0.3, "likely": 0.5, "high": 0.7}, 40)]


valid("one-harm-one-benefit", _case(_one_each))


def _all_harms(d):
    d["options"].append({"name": "kin", "outcomes": [_outcome("moves", "harm", {"low": 0.1, "likely": 0.2, "high": 0.3}, 30),
                                                     _outcome("strain", "harm", 0.5, 10)]})


valid("all-harms-three-options", _case(_all_harms))


def _all_benefits(d):
    d["options"][0]["outcomes"] = [_outcome("family life", "benefit", "harm_rate", 60)]
    d["options"][1]["outcomes"] = [_outcome("stability", "benefit", 0.3, 50)]


valid("all-benefits", _case(_all_benefits))


def _identical(d):
    same = [_outcome("harm", "harm", "harm_rate", 60)]
    d["options"] = [{"name": "home", "outcomes": copy.deepcopy(same)}, {"name": "home again", "outcomes": copy.deepcopy(same)}]


valid("identical-options-shared-quantity", _case(_identical), klass="tie")


def _identical_inline(d):
    same = [_outcome("harm", "harm", {"low": 0.2, "likely": 0.3, "high": 0.4}, {"low": 40, "likely": 60, "high": 80})]
    d["options"] = [{"name": "home", "outcomes": copy.deepcopy(same)}, {"name": "home again", "outcomes": copy.deepcopy(same)}]


valid("identical-options-inline-judgements", _case(_identical_inline), klass="tie")


def _identical_fixed(d):
    same = [_outcome("harm", "harm", 0.3, 60)]
    d["options"] = [{"name": "a", "outcomes": copy.deepcopy(same)}, {"name": "b", "outcomes": copy.deepcopy(same)}]


valid("identical-options-fixed-numbers", _case(_identical_fixed), klass="tie")


def _names(first, second):
    def change(d):
        d["options"][0]["name"] = first
        d["options"][1]["name"] = second
    return change


valid("formula-option-names", _case(_names(FORMULA, "+SUM(1,2)")), klass="formula injection")
valid("formula-option-names-at-minus", _case(_names("@SUM(A1:A9)", "-2+3")), klass="formula injection")


def _formula_outcome(d):
    d["options"][0]["outcomes"][0]["name"] = FORMULA
    d["question"] = "=HYPERLINK(\"http://example.invalid\", \"click\")"


valid("formula-outcome-and-question", _case(_formula_outcome), klass="formula injection")
valid("formula-title", _case(), ["--title", FORMULA], klass="formula injection")
valid("unicode-option-names", _case(_names("retour à la maison 🏠", "寄养 (foster care)")), klass="unicode")
valid("html-in-option-names", _case(_names("<script>alert(1)</script>", "care & <b>support</b>")), klass="markup injection")
LONG = "home, with support from the wider family, the school, the health visitor and the local early help team"
valid("long-option-name", _case(_names(LONG, "care")))


def _no_quantities(d):
    d.pop("quantities")
    d["options"][0]["outcomes"][0]["chance"] = {"low": 0.2, "likely": 0.3, "high": 0.4}


valid("no-shared-quantities", _case(_no_quantities))


def _all_fixed(d):
    d.pop("quantities")
    d["options"][0]["outcomes"][0]["chance"] = 0.3


valid("every-input-fixed", _case(_all_fixed))


def _scale(lo, hi, text):
    def change(d):
        d["values"] = {"scale": text, "scale_min": lo, "scale_max": hi}
        d["options"][0]["outcomes"][0]["magnitude"] = {"low": 2, "likely": 4, "high": 5}
        d["options"][1]["outcomes"][0]["magnitude"] = 3
    return change


valid("scale-0-10", _case(_scale(0, 10, "points from 0 (no effect) to 10 (the most serious)")))
valid("scale-minus5-5", _case(_scale(-5, 5, "points from -5 to 5")))
valid("scale-no-upper-limit", _case(_scale(0, None, "points, no upper limit")))


def _horizons(d):
    d["options"][0]["outcomes"][0]["horizon"] = "6 months"
    d["options"][1]["outcomes"][0]["horizon"] = "5 years"
    d["options"][1]["outcomes"].append(_outcome("settled", "benefit", 0.6, 40, "2 years"))


valid("different-horizons", _case(_horizons))


def _enquiries(d):
    d["quantities"].append({"name": "harm_size", "kind": "magnitude", "description": "how serious the harm would be",
                            "judgement": {"low": 40, "likely": 60, "high": 80}})
    d["options"][0]["outcomes"][0]["magnitude"] = "harm_size"
    d["delay_harm_per_week"] = 0.2
    d["enquiries"] = [{"name": "assessment", "informs": ["harm_rate"], "weeks": 6}]


valid("enquiries-and-delay", _case(_enquiries))


def _scenarios(d):
    d["scenarios"] = [{"name": "worse at home", "quantities": {"harm_rate": 0.4}},
                      {"name": "harm weighs more", "harm_weight": 3}]


valid("scenarios", _case(_scenarios))


def _six_options(d):
    d["options"] += [{"name": f"option {k}", "outcomes": [_outcome("harm", "harm", {"low": 0.1, "likely": 0.2 + k / 50,
                                                                                      "high": 0.5}, 40)]}
                     for k in range(4)]


valid("six-options", _case(_six_options))
ENTRIES.append(Entry("reports/default-output-name", "valid but odd", ["report", "case.yaml", *DRAWS], "valid",
                     {"case.yaml": _case()}, timeout=REPORT_SECONDS, setup=warm_up))
ENTRIES.append(Entry("reports/output-in-missing-folder", "valid but odd",
                     ["report", "case.yaml", "-o", "new/folder/report.html", *DRAWS], "valid", {"case.yaml": _case()},
                     timeout=REPORT_SECONDS, setup=warm_up))

# --- where the report would be written -------------------------------------------------------------------

refused("output-is-the-case", ["case.yaml", "-o", "case.yaml"], message="input")
refused("output-is-the-case-with-force", ["case.yaml", "-o", "case.yaml", "--force"], message="even with --force")
refused("output-is-the-case-another-way", ["case.yaml", "-o", "./sub/../case.yaml", "--force"],
        {"case.yaml": _case(), "sub/keep.txt": "kept"}, message="input")


def _symlink(folder) -> None:
    os.symlink(folder / "case.yaml", folder / "report.html")


refused("output-is-a-link-to-the-case", ["case.yaml", "-o", "report.html", "--force"], message="input", setup=_symlink)
refused("existing-output-without-force", ["case.yaml", "-o", "report.html"],
        {"case.yaml": _case(), "report.html": "<p>an earlier report</p>"}, message="already exists.*--force",
        klass="output exists")
refused("output-parent-is-a-file", ["case.yaml", "-o", "case.yaml/report.html"], message="is a file",
        klass="bad output path")
# H2 D2: --force let a report replace a private key (or a record) with an HTML page
refused("output-is-a-key-with-force", ["case.yaml", "-o", "team.key", "--force"],
        {"case.yaml": _case(), "team.key": "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n-----END PRIVATE KEY-----\n"},
        message=r"team\.key: a report is an HTML page; give an output name ending in \.html", klass="output over an input")
refused("output-is-a-record-with-force", ["case.yaml", "-o", "recs/rec.json", "--force"],
        {"case.yaml": _case(), "recs/rec.json": '{"record": {}}'}, message=r"rec\.json: a report is an HTML page")
refused("output-is-a-folder", ["case.yaml", "-o", "sub"], {"case.yaml": _case(), "sub/keep.txt": "kept"},
        message="is a folder", klass="bad output path")


def _read_only_folder(folder) -> None:
    (folder / "locked").mkdir()
    (folder / "locked").chmod(0o555)


# root can write into a read-only folder, so as root this is (truthfully) a valid run
if hasattr(os, "geteuid") and os.geteuid() == 0:
    ENTRIES.append(Entry("reports/read-only-folder", "bad output path", ["report", "case.yaml", "-o", "locked/r.html",
                                                                             *DRAWS], "valid", {"case.yaml": _case()},
                         timeout=REPORT_SECONDS, setup=lambda f: (_read_only_folder(f), warm_up(f))))
else:
    refused("read-only-folder", ["case.yaml", "-o", "locked/r.html"], message="not writable", setup=_read_only_folder,
            klass="bad output path")

# --- settings ---------------------------------------------------------------------------------------------

refused("draws-too-few", ["case.yaml", "--draws", "100"], message="draws.*2,000", klass="bad argument")
refused("draws-too-many", ["case.yaml", "--draws", "1000000000"], message="draws.*2,000,000", klass="bad argument")
refused("draws-not-a-number", ["case.yaml", "--draws", "lots"], message="draws", klass="bad argument")
refused("seed-negative", ["case.yaml", "--seed", "-1"], message="seed", klass="bad argument")
refused("missing-case", ["nope.yaml", "-o", "r.html"], message="nope.yaml", klass="missing or unreadable file")
refused("case-is-a-folder", ["sub", "-o", "r.html"], {"case.yaml": _case(), "sub/keep.txt": "kept"},
        klass="missing or unreadable file")
