"""Catalogue: evidence files (CSV counts of children from studies), run through `decide evidence`.

Each bad file is the example's header and one good row with one thing changed.
"""

from __future__ import annotations

from _shared import example
from hostile import Entry

HEADER = "quantity,study,population,horizon_years,events,total,status,source,note"
GOOD = dict(quantity="return_breaks_down", study="Lutman & Farmer (2013)", population="138 neglected children",
            horizon_years="2", events="69", total="138", status="V", source="Lutman & Farmer (2013) BJSW 43(3)",
            note="about 50 %")
FIELDS = HEADER.split(",")

ENTRIES: list[Entry] = []


def warm_up(folder) -> None:
    """Load decide.evidence (and with it preliz and PyMC, 5-15 s the first time on a busy
    machine) before the clock starts: the time limit is for the command."""
    import decide.evidence  # noqa: F401


def _row(**changes) -> str:
    values = {**GOOD, **changes}
    return ",".join(f'"{values[f]}"' if "," in values[f] else values[f] for f in FIELDS)


def _file(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def refused(id_, klass, text, message):
    ENTRIES.append(Entry(f"evidence/{id_}", klass, ["evidence", "counts.csv"], "refused", {"counts.csv": text},
                         message=message, setup=warm_up))


def valid(id_, text):
    ENTRIES.append(Entry(f"evidence/{id_}", "valid input", ["evidence", "counts.csv"], "valid", {"counts.csv": text},
                         setup=warm_up))


NF, WK, OR = "non-finite number", "wrong kind of value", "out of range"
for column in ("events", "total"):
    for name, value in {"nan": "nan", "NaN": "NaN", "inf": "inf", "neg-inf": "-inf", "infinity": "Infinity"}.items():
        refused(f"{column}-{name}", NF, _file(_row(**{column: value})), rf"line 2.*column '{column}'.*not a number \(NaN or infinity\)")
    refused(f"{column}-overflow", NF, _file(_row(**{column: "1e400"})), rf"column '{column}'")
    refused(f"{column}-fraction", WK, _file(_row(**{column: "2.5"})), rf"column '{column}'.*whole number")
    refused(f"{column}-words", WK, _file(_row(**{column: "about half"})), rf"column '{column}'.*whole number")
    refused(f"{column}-empty", WK, _file(_row(**{column: ""})), rf"column '{column}'.*whole number")
    refused(f"{column}-percent", WK, _file(_row(**{column: "50%"})), rf"column '{column}'.*whole number")
    refused(f"{column}-huge", OR, _file(_row(**{column: "1e30"})), rf"column '{column}'.*more than 1,000,000,000")
    # typing slips Python's float() would read as other numbers: 6_9 as 69, ٦٩ as 69, 1,38 (a decimal comma) as 138
    refused(f"{column}-underscore", WK, _file(_row(**{column: "6_9"})), rf"column '{column}'.*whole number")
    refused(f"{column}-arabic-indic-digits", WK, _file(_row(**{column: "٦٩"})), rf"column '{column}'.*whole number")
    refused(f"{column}-comma-not-thousands", WK, _file(_row(**{column: "1,38"})), rf"column '{column}'.*whole number")
valid("total-thousands-comma", _file(_row(total="1,380")))
refused("events-negative", OR, _file(_row(events="-3")), r"column 'events'.*cannot be negative")
refused("total-negative", OR, _file(_row(total="-138")), r"column 'total'.*cannot be negative")
refused("total-zero", OR, _file(_row(total="0")), r"column 'total'.*at least 1")
refused("events-above-total", OR, _file(_row(events="200")), r"more children had the outcome than were followed")
refused("events-and-total-swapped", OR, _file(_row(events="138", total="69")), r"swapped")
refused("horizon-nan", NF, _file(_row(horizon_years="nan")), r"horizon_years.*positive number of years")
refused("horizon-inf", NF, _file(_row(horizon_years="inf")), r"horizon_years.*positive number of years")
refused("horizon-zero", OR, _file(_row(horizon_years="0")), r"horizon_years.*positive number of years")
refused("horizon-negative", OR, _file(_row(horizon_years="-2")), r"horizon_years.*positive number of years")
refused("horizon-centuries", OR, _file(_row(horizon_years="500")), r"horizon_years.*at most 100")
refused("horizon-words", WK, _file(_row(horizon_years="two")), r"horizon_years.*positive number of years")
refused("status-unknown", WK, _file(_row(status="X")), r"status.*V \(seen in the named source\) or S")
refused("source-empty", WK, _file(_row(source="")), r"missing source")
refused("quantity-empty", WK, _file(_row(quantity="")), r"column 'quantity'.*is empty")
refused("study-empty", WK, _file(_row(study="")), r"column 'study'.*is empty")
refused("duplicate-study", WK, _file(_row(), _row()), r"same study appears twice")
refused("second-row-bad", WK, _file(_row(), _row(study="Other", events="x")), r"row 2 \(line 3.*column 'events'")
for column in ("events", "total", "source", "quantity", "status"):
    refused(f"missing-column-{column}", "missing column", _file(",".join(GOOD[f] for f in FIELDS if f != column),
                                                          header=",".join(f for f in FIELDS if f != column)),
            rf"missing column\(s\) \['{column}'\]")
refused("column-named-twice", "malformed CSV", _file(_row() + ",5", header=HEADER + ",events"), r"line 1.*named twice")
refused("short-row", "malformed CSV", _file("return_breaks_down,Lutman,138 children,2,69"), r"line 2.*5 fields.*header has 9")
refused("long-row", "malformed CSV", _file(_row() + ",extra,fields"), r"line 2.*11 fields.*header has 9")
refused("unclosed-quote", "malformed CSV", _file(_row(population='"138 children')), r"line|quote|fields")
refused("header-only", "malformed CSV", _file(), r"header but no rows")
refused("empty-file", "missing or unreadable file", "", r"empty")
refused("blank-lines-only", "missing or unreadable file", "\n\n\n", r"empty")
refused("binary", "missing or unreadable file", bytes(range(256)) * 4, r"binary")
refused("latin1", "missing or unreadable file", _file(_row(study="Caf\xe9 study")).encode("latin-1"), r"not UTF-8")
refused("utf16", "missing or unreadable file", _file(_row()).encode("utf-16"), r"binary|UTF-8")
refused("not-csv-yaml", "malformed CSV", "question: x\noptions: []\n", r"missing column")
refused("semicolons", "malformed CSV", _file(_row().replace(",", ";"), header=HEADER.replace(",", ";")), r"missing column.*';'.*commas")
refused("huge-file", "hostile input", HEADER + "\n" + ("x" * 1000 + "\n") * 21_000, r"at most 20 MB")
ENTRIES += [
    Entry("evidence/missing-file", "missing or unreadable file", ["evidence", "nope.csv"], "refused", {}, message="no such file"),
    Entry("evidence/folder", "missing or unreadable file", ["evidence", "data"], "refused", {"data/a.csv": "x"}, message="folder"),
    Entry("evidence/device", "missing or unreadable file", ["evidence", "/dev/null"], "refused", {}, message="not an ordinary file"),
]

valid("return-home-example", example("data/evidence/return_home.csv"))
valid("adoption-example", example("data/evidence/adoption_disruption.csv"))
valid("one-row", _file(_row()))
valid("no-note-column", _file(",".join(GOOD[f] for f in FIELDS if f != "note"), header=",".join(f for f in FIELDS if f != "note")))
valid("commas-in-counts", _file(_row(events='1,176', total='36,749')))
valid("spaces-after-commas", _file(_row().replace(",", ", ")))
valid("crlf-and-bom", "\ufeff" + _file(_row()).replace("\n", "\r\n"))
valid("formula-like-study", _file(_row(study="=HYPERLINK(\"http://x\")", quantity="+rate")))
valid("unicode-study", _file(_row(study="Étude – Québec (2019) 🏠")))
valid("zero-events", _file(_row(events="0")))
valid("status-lower-case", _file(_row(status="s")))
refused("quantity-nan-text", WK, _file(_row(quantity="nan")), r"column 'quantity'.*missing or impossible number")
refused("study-na", WK, _file(_row(study="#N/A")), r"column 'study'.*missing or impossible number")
