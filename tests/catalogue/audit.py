"""Catalogue: `decide audit` — bad and hostile CSVs and arguments, and a few valid-but-odd inputs.

Every file is built from a fixed slice of data/synthetic/referrals.csv (no randomness), then
changed in one way. Refusals must name what is wrong (the message regex); valid runs must write
no NaN/inf and no cell a spreadsheet would run as a formula (the harness checks both).
"""

from __future__ import annotations

import gzip
import io

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from _shared import ROOT
from hostile import Entry

_DF = pd.read_csv(ROOT / "data" / "synthetic" / "referrals.csv").iloc[::75].reset_index(drop=True)  # 400 rows, both groups
BASE_CSV = _DF.to_csv(index=False)
_LINES = BASE_CSV.splitlines()

OUT = ["-o", "out.html"]
FLAGGING = ["--score", "risk_score", "--outcome", "re_referred", "--group", "deprivation", "--threshold", "0.3",
            "--reference", "less deprived", "--draws", "200"]
ARGS = ["audit", "r.csv", *FLAGGING, *OUT]
VALID_TIMEOUT = 10  # the limit for every entry: a whole report with five figures takes 2-5 s on a quiet 2-core machine


def _csv(df: pd.DataFrame, **kw) -> str:
    return df.to_csv(index=False, **kw)


def _cell(rows, column, value, df=_DF) -> str:
    """The base file with one column's value replaced in the given rows (as text, exactly as written)."""
    d = df.copy()
    d[column] = d[column].astype(object)
    for r in ([rows] if isinstance(rows, int) else rows):
        d.loc[r, column] = value
    return _csv(d)


def _lines(replace: dict[int, str] | None = None, header: str | None = None, extra: list[str] | None = None) -> str:
    lines = list(_LINES)
    if header is not None:
        lines[0] = header
    for i, text in (replace or {}).items():
        lines[i] = text
    return "\n".join(lines + (extra or [])) + "\n"


def _parquet(df: pd.DataFrame) -> bytes:
    """The rows as a Parquet file (read by DuckDB, not pandas)."""
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(df.reset_index(drop=True), preserve_index=False), buf)
    return buf.getvalue()


PARQUET_ARGS = ["audit", "r.parquet", *FLAGGING, *OUT]


def _parquet_nan_score(rows=(5,)) -> bytes:
    """The rows as Parquet with a real NaN (not a null) in the double score column at the given rows."""
    score = _DF["risk_score"].to_numpy(dtype=float).copy()
    score[list(rows)] = float("nan")
    table = pa.table({"deprivation": _DF["deprivation"], "risk_score": pa.array(score, from_pandas=False),
                      "re_referred": _DF["re_referred"]})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def _duckdb_file(folder) -> None:
    """The base rows as table t of a DuckDB file r.duckdb (an input of `--db duckdb:///...`)."""
    import duckdb

    con = duckdb.connect(str(folder / "r.duckdb"))
    con.register("rows", _DF)
    con.execute("CREATE TABLE t AS SELECT * FROM rows")
    con.close()


DB_ARGS = ["audit", "--db", "duckdb:///{dir}/r.duckdb", "--table", "t", *FLAGGING]


def _args(**change) -> list[str]:
    """ARGS with options replaced (value None removes the option and its value)."""
    argv = list(ARGS)
    for opt, value in change.items():
        flag = "--" + opt.replace("_", "-")
        if flag in argv:
            i = argv.index(flag)
            del argv[i:i + 2]
        if value is not None:
            argv[1:1] = [flag, *([value] if isinstance(value, str) else value)]
    return argv


def _group(value, rows=range(0, 400, 2)) -> str:
    """Half the rows put in a group with the given (hostile) name."""
    return _cell(list(rows), "deprivation", value)


R = {"r.csv": BASE_CSV}


def refused(id_, klass, argv, files=None, message=None, **kw) -> Entry:
    return Entry(f"audit/{id_}", klass, argv, "refused", files if files is not None else R, message=message, **kw)


def valid(id_, klass, argv, files=None, **kw) -> Entry:
    return Entry(f"audit/{id_}", klass, argv, "valid", files if files is not None else R, timeout=VALID_TIMEOUT, **kw)


_counts = (_DF.assign(flag=(_DF["risk_score"] >= 0.3).astype(int), outcome=_DF["re_referred"], score=_DF["risk_score"])
           .groupby(["deprivation", "score", "flag", "outcome"]).size().rename("n").reset_index())
COUNTS_ARGS = ["audit", "c.csv", "--counts", "--group", "deprivation", "--reference", "less deprived", "--draws", "200", *OUT]


def _counts_with(column, value) -> dict[str, str]:
    c = _counts.copy()
    c[column] = c[column].astype(object)
    c.loc[3, column] = value
    return {"c.csv": _csv(c)}


_score_pct = _DF.assign(risk_score=(_DF["risk_score"] * 100).round())
_bool_outcome = _DF.assign(re_referred=_DF["re_referred"].astype(bool))
_words_outcome = _DF.assign(re_referred=_DF["re_referred"].map({1: "yes", 0: "no"}))
_flag_twos = _DF.assign(investigated=_DF["investigated"].replace({1: 2}))
_i = _DF.index.to_numpy() % 3  # two group columns whose values hold the separator ' / ': (x / y, z) and (x, y / z) join alike
_slash_groups = _DF.assign(a=pd.Series(["x / y", "x", "w"]).iloc[_i].to_numpy(), b=pd.Series(["z", "y / z", "v"]).iloc[_i].to_numpy())
_missing_named = _DF.assign(deprivation=_DF["deprivation"].astype(object))  # a real group '(missing)' and empty cells
_missing_named.loc[:30, "deprivation"] = "(missing)"
_missing_named.loc[31:60, "deprivation"] = None
_no_pos_group = _DF.assign(re_referred=_DF["re_referred"].where(_DF["deprivation"] != "more deprived", 0))

ENTRIES = [
    # --- valid, and valid but odd ---------------------------------------------------------------
    valid("valid-base", "valid input", ARGS),
    valid("valid-two-group-columns", "valid input", _args(group=None, reference=None) + ["--group", "deprivation", "--group", "area",
                                                                                          "--reference", "less deprived,North"]),
    valid("valid-flag-column", "valid input", _args(threshold=None) + ["--flag", "investigated"]),
    valid("valid-semicolons", "valid but odd", ARGS, {"r.csv": _csv(_DF, sep=";")}),
    valid("valid-crlf-and-bom", "valid but odd", ARGS, {"r.csv": ("\ufeff" + BASE_CSV.replace("\n", "\r\n")).encode("utf-8")}),
    valid("valid-scores-0-100", "valid but odd", _args(threshold="30"), {"r.csv": _csv(_score_pct)}),
    refused("threshold-as-probability-on-0-100", "out of range", ARGS, {"r.csv": _csv(_score_pct)},
            message=r"--threshold 0.3 is outside the range of the scores, \d+ to \d+ \(pass --score-range"),
    valid("valid-outcome-true-false", "valid but odd", ARGS, {"r.csv": _csv(_bool_outcome)}),
    valid("valid-outcome-yes-no", "valid but odd", ARGS, {"r.csv": _csv(_words_outcome)}),
    valid("valid-group-without-positives", "valid but odd", ARGS, {"r.csv": _csv(_no_pos_group)}),
    valid("valid-empty-group-cells", "valid but odd", ARGS, {"r.csv": _group("", rows=range(0, 40))}),
    valid("valid-counts", "valid input", COUNTS_ARGS, {"c.csv": _csv(_counts)}),
    valid("valid-no-csv-beside-existing-table", "partial output", ARGS + ["--no-csv"], {**R, "out_groups.csv": "keep me\n"}),
    valid("valid-nan-score-dropped", "non-finite number", ARGS + ["--drop-missing"], {"r.csv": _cell([4, 9], "risk_score", "NaN")}),
    # --- formula injection: written, but never as a formula ------------------------------------------
    valid("formula-group-equals", "formula injection", ARGS, {"r.csv": _group('=HYPERLINK("http://x.example","click")')}),
    valid("formula-group-plus", "formula injection", ARGS, {"r.csv": _group("+cmd|' /C calc'!A0")}),
    valid("formula-group-minus", "formula injection", ARGS, {"r.csv": _group("-2+3")}),
    valid("formula-group-at", "formula injection", ARGS, {"r.csv": _group("@SUM(A1:A9)")}),
    valid("formula-group-tab", "formula injection", ARGS, {"r.csv": _group("\t=1+1")}),
    valid("formula-group-cr-quoted", "formula injection", ARGS,
          {"r.csv": _group("\r=1+1").replace("\r=1+1", '"\r=1+1"')}),
    refused("bare-carriage-return-in-a-value", "malformed CSV", ARGS, {"r.csv": _group("x\r=1+1")}, message="fewer fields"),
    valid("formula-reference-group", "formula injection", _args(reference="=1+1"), {"r.csv": _group("=1+1")}),
    valid("formula-column-name", "formula injection", _args(group="=cmd"),
          {"r.csv": _lines(header=_LINES[0].replace("deprivation", "=cmd"))}),
    valid("html-group-script", "formula injection", ARGS, {"r.csv": _group("<script>alert(1)</script>")}),
    # --- malformed CSV ---------------------------------------------------------------------------------
    refused("short-row", "malformed CSV", ARGS, {"r.csv": _lines({5: ",".join(_LINES[5].split(",")[:-2])})},
            message=r"fewer fields than the header's 6: line 6 \(4 fields\)"),
    refused("long-row", "malformed CSV", ARGS, {"r.csv": _lines({7: _LINES[7] + ",9,9"})}, message=r"more fields.*line 8"),
    refused("trailing-separator", "malformed CSV", ARGS, {"r.csv": "\n".join([_LINES[0]] + [x + "," for x in _LINES[1:]]) + "\n"},
            message="separator at the end of each line"),
    refused("duplicate-score-column", "malformed CSV", ARGS,
            {"r.csv": "\n".join([_LINES[0] + ",risk_score"] + [x + ",0.5" for x in _LINES[1:]]) + "\n"},
            message=r"'risk_score' more than once.*columns 3, 7"),
    refused("duplicate-group-column", "malformed CSV", ARGS,
            {"r.csv": "\n".join([_LINES[0] + ",deprivation"] + [x + ",x" for x in _LINES[1:]]) + "\n"},
            message="'deprivation' more than once"),
    refused("empty-file", "malformed CSV", ARGS, {"r.csv": ""}, message="is empty"),
    refused("blank-lines-only", "malformed CSV", ARGS, {"r.csv": "\n\n\n"}, message="is empty"),
    refused("header-only", "malformed CSV", ARGS, {"r.csv": _LINES[0] + "\n"}, message="no data rows"),
    refused("unclosed-quote", "malformed CSV", ARGS, {"r.csv": _lines({3: '"' + _LINES[3]})},
            message="fields"),
    refused("binary-garbage", "malformed CSV", ARGS, {"r.csv": bytes(range(256)) * 4}, message="not valid utf-8|UTF-16"),
    refused("latin1-bytes", "malformed CSV", ARGS, {"r.csv": BASE_CSV.replace("North", "Nörth").encode("latin-1")},
            message=r"not valid utf-8 \(byte 0xf6 on line 2\)"),
    refused("utf16", "malformed CSV", ARGS, {"r.csv": BASE_CSV.encode("utf-16")}, message="UTF-16"),
    refused("wrong-delimiter-given", "malformed CSV", ARGS + ["--delimiter", ","], {"r.csv": _csv(_DF, sep=";")},
            message="semicolon-separated"),
    refused("delimiter-two-characters", "bad argument", ARGS + ["--delimiter", "ab"], message="one separator character"),
    refused("delimiter-quote", "bad argument", ARGS + ["--delimiter", '"'], message="one separator character"),
    refused("missing-score-column", "malformed CSV", _args(score="risk"), message="'risk' not found; did you mean 'risk_score'"),
    refused("missing-group-column", "malformed CSV", _args(group="region"), message="'region' not found"),
    refused("file-missing", "missing or unreadable file", ["audit", "nope.csv", *FLAGGING, *OUT], message="no such file"),
    refused("file-is-folder", "missing or unreadable file", ["audit", "{dir}", *FLAGGING, *OUT], message="folder"),
    refused("gzip-cut-short", "missing or unreadable file", ARGS[:1] + ["r.csv.gz"] + ARGS[2:],
            {"r.csv.gz": gzip.compress(BASE_CSV.encode())[:700]}, message=r"r\.csv\.gz: the gzip file is cut short"),
    refused("gzip-not-gzip", "missing or unreadable file", ARGS[:1] + ["r.csv.gz"] + ARGS[2:], {"r.csv.gz": BASE_CSV},
            message=r"r\.csv\.gz: cannot be read.*gzip"),
    refused("unknown-encoding", "bad argument", ARGS + ["--encoding", "klingon"], message="unknown encoding"),
    # --- non-finite numbers ------------------------------------------------------------------------------
    refused("score-nan", "non-finite number", ARGS, {"r.csv": _cell(6, "risk_score", "nan")}, message=r"not a number.*line 8"),
    refused("score-NaN-text", "non-finite number", ARGS, {"r.csv": _cell(6, "risk_score", "NaN")}, message="not a number"),
    refused("score-inf", "non-finite number", ARGS, {"r.csv": _cell(6, "risk_score", "inf")}, message=r"infinite.*line 8"),
    refused("score-minus-inf", "non-finite number", ARGS, {"r.csv": _cell(6, "risk_score", "-inf")}, message="infinite"),
    refused("score-overflow", "non-finite number", ARGS, {"r.csv": _cell(6, "risk_score", "1e400")}, message="infinite"),
    refused("score-inf-drop-missing", "non-finite number", ARGS + ["--drop-missing"], {"r.csv": _cell(6, "risk_score", "inf")},
            message="infinite"),
    refused("score-empty", "non-finite number", ARGS, {"r.csv": _cell(6, "risk_score", "")}, message=r"empty.*line 8"),
    refused("outcome-nan", "non-finite number", ARGS, {"r.csv": _cell(6, "re_referred", "nan")}, message="'re_referred' is empty"),
    refused("outcome-empty", "non-finite number", ARGS, {"r.csv": _cell(6, "re_referred", "")}, message="'re_referred' is empty"),
    refused("threshold-nan", "non-finite number", _args(threshold="nan"), message="finite"),
    refused("threshold-inf", "non-finite number", _args(threshold="inf"), message="finite"),
    refused("threshold-minus-inf", "non-finite number", _args(threshold=None) + ["--threshold=-inf"], message="finite"),
    refused("interval-nan", "non-finite number", ARGS + ["--interval", "nan"], message="interval"),
    refused("decisive-nan", "non-finite number", ARGS + ["--decisive", "nan"], message="decisive"),
    refused("difference-band-inf", "non-finite number", ARGS + ["--difference-band", "inf"], message="difference-band"),
    refused("ratio-band-nan", "non-finite number", ARGS + ["--ratio-band", "nan", "1.25"], message="ratio-band"),
    refused("ratio-band-inf", "non-finite number", ARGS + ["--ratio-band", "0.8", "inf"], message="ratio-band"),
    refused("label-bias-nan", "non-finite number", ARGS + ["--label-bias", "nan:1.2"], message="finite"),
    refused("label-bias-inf", "non-finite number", ARGS + ["--label-bias", "1:inf"], message="finite"),
    refused("score-range-nan", "non-finite number", ARGS + ["--score-range", "0", "nan"], message="finite"),
    refused("counts-n-nan", "non-finite number", COUNTS_ARGS, _counts_with("n", "nan"), message="'n'.*whole numbers"),
    # --- out of range --------------------------------------------------------------------------------------
    refused("scores-10pc-at-1.5", "out of range", ARGS, {"r.csv": _cell(list(range(0, 400, 10)), "risk_score", 1.5)},
            message=r"40 \(10%\) do not: 1.5 at line 2, 1.5 at line 12"),
    refused("score-negative", "out of range", ARGS, {"r.csv": _cell(11, "risk_score", -0.2)}, message=r"-0.2 at line 13"),
    refused("score-above-stated-range", "out of range", ARGS + ["--score-range", "0", "1"],
            {"r.csv": _cell([1, 2], "risk_score", 1.5)}, message=r"outside the stated range \[0, 1\].*line 3, 1.5 at line 4"),
    refused("score-range-reversed", "bad argument", ARGS + ["--score-range", "1", "0"], message="reversed.*--score-range 0 1"),
    refused("score-range-single", "bad argument", ARGS + ["--score-range", "1", "1"], message="single value"),
    refused("threshold-above-range", "out of range", _args(threshold="1.5"), message=r"--threshold 1.5 is outside 0 to 1"),
    refused("threshold-negative", "out of range", _args(threshold="-1"), message="outside"),
    refused("threshold-outside-stated-range", "out of range", _args(threshold="150") + ["--score-range", "0", "100"],
            {"r.csv": _csv(_score_pct)}, message=r"outside the stated score range \[0, 100\]"),
    refused("threshold-flags-everybody", "out of range", _args(threshold="0"), message="flags everybody"),
    refused("threshold-flags-nobody", "out of range", _args(threshold="0.99"), message="flags nobody"),
    refused("constant-score", "out of range", ARGS, {"r.csv": _DF.assign(risk_score=0.5).to_csv(index=False)},
            message="same score, 0.5, for every referral"),
    refused("outcome-two", "out of range", ARGS, {"r.csv": _cell(8, "re_referred", 2)}, message=r"must be binary.*line 10"),
    refused("outcome-text", "out of range", ARGS, {"r.csv": _cell(8, "re_referred", "maybe")}, message="'maybe'"),
    refused("outcome-all-zero", "out of range", ARGS, {"r.csv": _DF.assign(re_referred=0).to_csv(index=False)},
            message="0 for every referral"),
    refused("outcome-all-one", "out of range", ARGS, {"r.csv": _DF.assign(re_referred=1).to_csv(index=False)},
            message="1 for every referral"),
    refused("score-booleans", "out of range", ARGS, {"r.csv": _DF.assign(risk_score=_DF["risk_score"] > 0.3).to_csv(index=False)},
            message="true/false"),
    refused("score-text", "out of range", ARGS, {"r.csv": _cell(8, "risk_score", "high")}, message=r"numbers.*'high'.*line 10"),
    refused("flag-two", "out of range", _args(threshold=None) + ["--flag", "investigated"], {"r.csv": _csv(_flag_twos)},
            message="'investigated' must be binary"),
    refused("flag-everybody", "out of range", _args(threshold=None) + ["--flag", "investigated"],
            {"r.csv": _DF.assign(investigated=1).to_csv(index=False)}, message="everybody is flagged"),
    refused("counts-score-text", "malformed CSV", COUNTS_ARGS, _counts_with("score", "abc"), message=r"'score'.*'abc' at line 5"),
    refused("counts-score-nan", "non-finite number", COUNTS_ARGS, _counts_with("score", "nan"), message=r"'score'.*finite number"),
    refused("counts-score-inf", "non-finite number", COUNTS_ARGS, _counts_with("score", "inf"), message=r"'score'.*'inf'"),
    refused("counts-nobody-flagged", "out of range", COUNTS_ARGS, {"c.csv": _csv(_counts.assign(n=_counts["n"].where(_counts["flag"] == 0, 0)))},
            message="nobody is flagged"),
    refused("counts-flag-two", "out of range", COUNTS_ARGS, _counts_with("flag", 2), message="'flag'.*0 or 1"),
    refused("counts-n-negative", "out of range", COUNTS_ARGS, _counts_with("n", -3), message="'n'.*whole numbers"),
    refused("counts-n-fraction", "out of range", COUNTS_ARGS, _counts_with("n", 1.5), message="'n'.*whole numbers"),
    refused("counts-n-too-large", "out of range", COUNTS_ARGS, _counts_with("n", "99999999999999999999"),
            message=r"'n'.*'99999999999999999999' at line 5: too large to be a count"),
    refused("counts-n-overflows", "non-finite number", COUNTS_ARGS, _counts_with("n", "1e400"), message=r"'n'.*at line 5: too large"),
    refused("counts-n-beyond-2-53", "out of range", COUNTS_ARGS, _counts_with("n", str(2**53 + 2)), message=r"'n'.*too large"),
    refused("counts-reference-without-referrals", "out of range", COUNTS_ARGS,
            {"c.csv": _csv(_counts.assign(n=_counts["n"].where(_counts["deprivation"] != "less deprived", 0)))},
            message=r"reference group 'less deprived' has no referrals.*--reference.*'more deprived' \(n=\d+\)"),
    # --- bad arguments -----------------------------------------------------------------------------------------
    refused("reference-missing", "bad argument", _args(reference="most deprived"),
            message=r"'most deprived' does not exist.*groups are: 'less deprived' \(n=\d+\), 'more deprived'"),
    refused("reference-empty", "bad argument", _args(reference=""), message="name the reference group"),
    refused("group-inf", "non-finite number", ARGS, {"r.csv": _group("inf")}, message=r"'inf' as a group \(first at line 2\)"),
    refused("one-group-only", "bad argument", ARGS, {"r.csv": _DF.assign(deprivation="x").to_csv(index=False)},
            message="only one group"),
    refused("group-values-hold-the-separator", "bad argument", _args(group=None, reference=None) + ["--group", "a", "--group", "b",
            "--reference", "w / v"], {"r.csv": _csv(_slash_groups)},
            message=r"'a', 'b'.*\('x', 'y / z'\) and \('x / y', 'z'\).*'x / y / z'.*recode"),
    refused("group-named-missing-and-empty-cells", "bad argument", ARGS, {"r.csv": _csv(_missing_named)},
            message=r"column 'deprivation' has a group named '\(missing\)' and also empty cells.*rename that group"),
    refused("parquet-group-named-missing-and-empty-cells", "bad argument", PARQUET_ARGS, {"r.parquet": _parquet(_missing_named)},
            message=r"column 'deprivation' has a group named '\(missing\)' and also empty cells"),
    refused("group-is-outcome", "bad argument", _args(group="re_referred"), message="named twice"),
    refused("threshold-and-flag", "bad argument", ARGS + ["--flag", "investigated"], message="not allowed with"),
    refused("threshold-without-score", "bad argument", _args(score=None), message="score"),
    refused("no-outcome", "bad argument", _args(outcome=None), message="outcome"),
    refused("seed-negative", "bad argument", ARGS + ["--seed", "-1"], message="seed"),
    refused("draws-few", "bad argument", _args(draws="10"), message="draws"),
    refused("draws-huge", "bad argument", _args(draws="1000000000"), message="draws"),
    refused("bands-zero", "bad argument", ARGS + ["--bands", "0"], message="bands"),
    refused("interval-above-one", "bad argument", ARGS + ["--interval", "1.5"], message="interval"),
    refused("decisive-below-half", "bad argument", ARGS + ["--decisive", "0.3"], message="decisive"),
    refused("ratio-band-without-one", "bad argument", ARGS + ["--ratio-band", "1.1", "1.3"], message="below 1"),
    refused("prior-unknown", "bad argument", ARGS + ["--prior", "flat"], message="invalid choice"),
    refused("label-bias-words", "bad argument", ARGS + ["--label-bias", "a lot"], message="LOW:HIGH"),
    refused("label-bias-reversed", "bad argument", ARGS + ["--label-bias", "1.5:1"], message="0 < LOW <= HIGH"),
    refused("label-bias-zero", "bad argument", ARGS + ["--label-bias", "0:1.5"], message="0 < LOW <= HIGH"),
    refused("label-bias-three-numbers", "bad argument", ARGS + ["--label-bias", "1:2:3"], message="LOW:HIGH"),
    refused("label-bias-unknown-group", "bad argument", ARGS + ["--label-bias", "South=1:2"],
            message="'South', which does not exist.*'less deprived', 'more deprived'"),
    refused("label-bias-empty-group", "bad argument", ARGS + ["--label-bias", "=1:2"], message="group name before '=' is empty"),
    refused("label-bias-too-wide", "bad argument", ARGS + ["--label-bias", "0.001:1000"], message="100-fold"),
    refused("counts-with-threshold", "bad argument", COUNTS_ARGS + ["--threshold", "0.3"], {"c.csv": _csv(_counts)},
            message="with --counts"),
    refused("counts-missing-n", "malformed CSV", COUNTS_ARGS, {"c.csv": _csv(_counts.drop(columns="n"))}, message="'n' not found"),
    # --- outputs: never over an input, never half-written --------------------------------------------------------
    refused("output-is-input", "output over an input", ARGS[:-2] + ["-o", "r.csv"], message="file you gave as input"),
    refused("output-is-input-force", "output over an input", ARGS[:-2] + ["-o", "r.csv", "--force"],
            message="file you gave as input"),
    refused("table-is-input", "output over an input", ["audit", "out_groups.csv", *FLAGGING, *OUT, "--force"],
            {"out_groups.csv": BASE_CSV}, message="out_groups.csv is the file you gave as input"),
    refused("report-exists", "partial output", ARGS, {**R, "out.html": "<p>an earlier report</p>"}, message="already exists"),
    refused("one-table-exists", "partial output", ARGS, {**R, "out_rates.csv": "an,earlier,table\n"},
            message="out_rates.csv already exists"),
    refused("last-table-exists", "partial output", ARGS, {**R, "out_label_bias_tipping.csv": "x\n"}, message="already exists"),
    refused("output-parent-is-file", "partial output", ARGS[:-2] + ["-o", "r.csv/out.html"], message="is a file, not a folder"),
    refused("output-empty", "bad output path", ARGS[:-2] + ["-o", ""], message=r"-o needs a file name for the report, e\.g\. -o audit\.html"),
    refused("output-dot", "bad output path", ARGS[:-2] + ["-o", "."], message=r"-o needs a file name for the report"),
    refused("output-is-folder", "partial output", ARGS[:-2] + ["-o", "{dir}"], message="is a folder"),
    refused("bad-input-writes-nothing", "partial output", ARGS, {"r.csv": _cell(3, "risk_score", "inf")}, message="infinite"),
    # --- files counted by DuckDB: Parquet, and patterns of files ------------------------------------------------
    valid("valid-parquet", "valid input", PARQUET_ARGS, {"r.parquet": _parquet(_DF)}),
    valid("valid-pattern-of-csv-files", "valid input", ["audit", "part-*.csv", *FLAGGING, *OUT],
          {"part-1.csv": _csv(_DF.iloc[:200]), "part-2.csv": _csv(_DF.iloc[200:])}),
    refused("parquet-outcome-not-binary", "wrong kind of value", PARQUET_ARGS,
            {"r.parquet": _parquet(_DF.assign(re_referred=_DF["re_referred"].where(_DF.index % 50 > 0, 2)))},
            message=r"'re_referred' must be binary .* 8 row\(s\) hold other values, e.g. '2'"),
    refused("parquet-score-out-of-range", "out of range", PARQUET_ARGS,
            {"r.parquet": _parquet(_DF.assign(risk_score=_DF["risk_score"].where(_DF.index != 7, 1.7)))},
            message=r"nearly every score lies between 0 and 1.*lowest 1.7, highest 1.7"),
    refused("parquet-missing-column", "missing column", PARQUET_ARGS,
            {"r.parquet": _parquet(_DF.rename(columns={"re_referred": "Re_Referred"}))}, message="did you mean 'Re_Referred'"),
    refused("parquet-score-nan", "non-finite number", PARQUET_ARGS, {"r.parquet": _parquet_nan_score()},
            message=r"'risk_score' is empty or not a number in 1 row\(s\).*--drop-missing"),
    valid("valid-parquet-nan-score-dropped", "non-finite number", PARQUET_ARGS + ["--drop-missing"],
          {"r.parquet": _parquet_nan_score((5, 9))}),
    refused("parquet-score-inf-drop-missing", "non-finite number", PARQUET_ARGS + ["--drop-missing"],
            {"r.parquet": _parquet(_DF.assign(risk_score=_DF["risk_score"].where(_DF.index != 7, float("inf"))))},
            message=r"'risk_score' is infinite in 1 row\(s\).*fix them \(--drop-missing leaves out only empty scores"),
    refused("pattern-matches-nothing", "missing or unreadable file", ["audit", "parts/*.parquet", *FLAGGING, *OUT],
            message="no file matches this pattern"),
    refused("output-over-the-duckdb-file", "output over an input", DB_ARGS + ["-o", "r.duckdb", "--force"], {},
            message="r.duckdb is the file you gave as input", setup=_duckdb_file),
    refused("output-over-the-duckdb-log", "output over an input", DB_ARGS + ["-o", "r.duckdb.wal", "--force"], {},
            message="r.duckdb.wal is the file you gave as input", setup=_duckdb_file),
    # an identifier given as the group: hundreds of groups of one referral (it ran for minutes, then wrote a page of them)
    refused("group-is-an-identifier", "out of range", _args(group="id", reference="c0000"),
            {"r.csv": _csv(_DF.assign(id=[f"c{i:04d}" for i in range(len(_DF))]))},
            message=r"group column\(s\) 'id' make 400 groups \(400 of them with fewer than 5 referrals\).*--max-groups 400"),
    refused("more-groups-than-max-groups", "out of range", _args(group="id", reference="g0", max_groups="3"),
            {"r.csv": _csv(_DF.assign(id=[f"g{i % 4}" for i in range(len(_DF))]))},
            message=r"make 4 groups \(0 of them with fewer than 5 referrals\): more than the 3 .*--max-groups 4"),
    valid("valid-as-many-groups-as-max-groups", "valid input", _args(group="id", reference="g0", max_groups="4"),
          {"r.csv": _csv(_DF.assign(id=[f"g{i % 4}" for i in range(len(_DF))]))}),
    refused("max-groups-one", "bad argument", _args(max_groups="1"), message="--max-groups must be at least 2"),
    refused("output-over-a-file-the-pattern-reads", "output over an input",
            ["audit", "*.csv", *FLAGGING, "-o", "out.html", "--force"], {"r.csv": BASE_CSV, "out_groups.csv": BASE_CSV},
            message="out_groups.csv is the file you gave as input"),
]
