"""Hostile inputs to `decide audit` whose numbers or sentences must be checked, not only a refusal's message
(the refusals are entries in tests/catalogue/audit.py)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from decide import audit as A
from decide.audit.report import plain_summary

ROOT = Path(__file__).resolve().parent.parent
BASE = pd.read_csv(ROOT / "data" / "synthetic" / "referrals.csv").iloc[::75].reset_index(drop=True)  # 400 rows
FLAGGING = dict(score="risk_score", outcome="re_referred", group="deprivation", reference="less deprived", threshold=0.3,
                draws=400)


def _audit(df, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return A.audit(df, **{**FLAGGING, **kw})


def test_no_sentence_asks_for_an_fpr_that_is_not_a_rate():
    """A reference without recorded outcomes has PPV 0, so 'equal PPV' would need an FPR of inf: say nothing then."""
    df = BASE.assign(re_referred=BASE["re_referred"].where(BASE["deprivation"] != "less deprived", 0))
    a = _audit(df)
    assert a.impossibility.loc["less deprived", "ppv"] == 0
    text = " ".join(plain_summary(a))
    assert "Recorded base rates differ" in text
    for number in re.findall(r"need an FPR of (\S+?) \(", text):
        assert 0 <= float(number) <= 1, text
    assert not re.search(r"\b(inf|nan)\b", text, re.IGNORECASE), text


def test_the_fpr_example_stays_when_it_is_a_rate():
    """The guard above must not drop the example where it makes sense (ordinary data)."""
    text = " ".join(plain_summary(_audit(BASE)))
    needed = re.findall(r"need an FPR of (\S+?) \(", text)
    assert needed and all(0 <= float(x) <= 1 for x in needed), text


def _duckdb_file(path: Path) -> str:
    import duckdb

    with duckdb.connect(str(path)) as con:
        con.register("rows", BASE)
        con.execute("CREATE TABLE t AS SELECT * FROM rows")
    return f"duckdb://{path}"


def test_a_duckdb_query_counts_as_the_table(tmp_path):
    """--db duckdb:///FILE --query 'SELECT ...' must work (Ibis 12 asked DuckDB 2 for the query's schema with a
    call it no longer has) and give the same counts as --table."""
    from decide.audit.counting import count
    from decide.audit.engines import open_db

    url = _duckdb_file(tmp_path / "r.duckdb")
    setting = dict(score="risk_score", outcome="re_referred", group=["deprivation"], threshold=0.3)
    by_table = count(open_db(url, table="t")[0], source="t", **setting).table
    for query in ("SELECT * FROM t",
                  "SELECT deprivation, CAST(risk_score AS DECIMAL(9, 4)) AS risk_score, re_referred FROM t;"):
        rows, label = open_db(url, query=query)
        assert label == "a query on DuckDB"
        by_query = count(rows, source="q", **setting).table
        pd.testing.assert_frame_equal(by_query, by_table, check_dtype=False)
    assert int(by_table["n"].sum()) == len(BASE)


def test_nan_scores_in_parquet_are_found_and_dropped_exactly(tmp_path):
    """A real NaN (not a null) in a Parquet double score column: refused with the plain message CSV gets, and with
    drop_missing the counts are those of the rows without it (DuckDB's ISNAN read the file's statistics and saw none)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import pytest

    from decide.audit.counting import count
    from decide.errors import DecideError

    score = BASE["risk_score"].to_numpy(dtype=float).copy()
    score[[5, 9]] = np.nan
    path = tmp_path / "r.parquet"
    pq.write_table(pa.table({"deprivation": BASE["deprivation"], "risk_score": pa.array(score, from_pandas=False),
                             "re_referred": BASE["re_referred"]}), path)
    setting = dict(score="risk_score", outcome="re_referred", group=["deprivation"], threshold=0.3)
    with pytest.raises(DecideError, match=r"'risk_score' is empty or not a number in 2 row\(s\)"):
        count(str(path), source="r.parquet", **setting)
    got = count(str(path), source="r.parquet", drop_missing=True, **setting)
    kept = BASE.drop(index=[5, 9]).reset_index(drop=True)
    want = count(kept, **setting)
    pd.testing.assert_frame_equal(got.table, want.table, check_dtype=False)
    assert int(got.table["n"].sum()) == len(BASE) - 2


def test_a_flag_that_is_the_outcome_is_pointed_out():
    """--flag naming a copy of the outcome gives FPR = FNR = 0 everywhere: the audit says so instead of a clean bill."""
    flagged = _audit(BASE.assign(flagcopy=BASE["re_referred"]), threshold=None, score=None, flag="flagcopy")
    assert any("flag equals the recorded outcome for all 400 referrals" in note for note in flagged.notes), flagged.notes
    assert not any("flag equals" in note for note in _audit(BASE).notes)


def test_control_characters_in_group_names_never_reach_the_terminal(tmp_path, capsys):
    """A group named with terminal escapes (colour, window title) or a right-to-left override is printed escaped."""
    from decide.cli import main

    name = "\x1b[31mred\x1b[0m\x1b]0;pwned\x07 \u202edeprived"
    df = BASE.assign(deprivation=BASE["deprivation"].where(BASE["deprivation"] == "less deprived", name))
    df.to_csv(tmp_path / "r.csv", index=False)
    assert main(["audit", str(tmp_path / "r.csv"), "--score", "risk_score", "--outcome", "re_referred", "--group",
                 "deprivation", "--reference", "less deprived", "--threshold", "0.3", "--draws", "200", "--no-csv",
                 "-o", str(tmp_path / "o.html")]) == 0
    out = capsys.readouterr()
    printed = out.out + out.err
    assert "\\x1b[31mred" in printed and "\\u202edeprived" in printed, printed
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", printed), printed


def test_base_rates_that_differ_are_not_printed_alike():
    """Base rates 0.2140 and 0.2143 differ: the sentence shows enough digits to see it (not '0.21 to 0.21')."""
    cells = [("A", 1, 1, 100), ("A", 1, 0, 100), ("A", 0, 1, 114), ("A", 0, 0, 686),
             ("B", 1, 1, 1000), ("B", 1, 0, 1000), ("B", 0, 1, 1143), ("B", 0, 0, 6857)]
    counts = pd.DataFrame(cells, columns=["g", "flag", "outcome", "n"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = A.audit_counts(counts, group="g", reference="A", draws=400)
    text = " ".join(plain_summary(a))
    assert "Recorded base rates differ (0.2140 to 0.2143)" in text, text
