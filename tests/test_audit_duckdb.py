"""The audit counted where the data live (DuckDB through Ibis) gives the same count table, value for value,
and the same audit as the in-memory numpy count; its refusals come from queries; files are never loaded whole."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decide.audit import audit, count, count_rows, count_table, read_referrals
from decide.audit import counting as C
from decide.audit.common import _NA_TEXT
from decide.errors import DecideError

ROOT = Path(__file__).resolve().parent.parent
CSV = ROOT / "data" / "synthetic" / "referrals.csv"
COLUMNS = ["area", "deprivation", "risk_score", "investigated", "re_referred"]
ASKS = [dict(score="risk_score", outcome="re_referred", group=["deprivation", "area"], threshold=0.3),
        dict(score="risk_score", outcome="re_referred", group="area", flag="investigated"),
        dict(score=None, outcome="re_referred", group="deprivation", flag="investigated"),
        dict(score="risk_score", outcome="re_referred", group="deprivation", threshold=0.3, max_bins=50)]


@pytest.fixture(scope="module")
def referrals() -> pd.DataFrame:
    df = read_referrals(CSV, COLUMNS, string_columns=["area", "deprivation"])
    df.attrs.clear()  # the file's line numbers: not part of the data
    return df


@pytest.fixture(scope="module")
def parquet_files(referrals, tmp_path_factory) -> Path:
    """The referrals as one Parquet file and as three parts of a folder."""
    folder = tmp_path_factory.mktemp("parquet")
    table = pa.Table.from_pandas(referrals.reset_index(drop=True), preserve_index=False)
    pq.write_table(table, folder / "referrals.parquet")
    (folder / "parts").mkdir()
    for i, start in enumerate(range(0, len(referrals), 10_000)):
        pq.write_table(table.slice(start, 10_000), folder / "parts" / f"part{i}.parquet")
    return folder


def same(a, b) -> None:
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    assert (a.rows, a.score_exact, a.group_columns, a.threshold) == (b.rows, b.score_exact, b.group_columns, b.threshold)


@pytest.mark.parametrize("ask", ASKS, ids=["threshold-two-groups", "flag", "no-score", "few-bins"])
def test_every_route_gives_the_numpy_count_table(referrals, parquet_files, ask):
    expected = count_rows(referrals, **ask)
    for data in (CSV, str(parquet_files / "referrals.parquet"), str(parquet_files / "parts" / "*.parquet"),
                 pa.Table.from_pandas(referrals, preserve_index=False)):
        got = count(data, **ask)
        same(expected, got)
        assert got.notes == expected.notes


def test_continuous_scores_give_the_same_bands_and_score_sums(referrals):
    """Continuous scores are cut into equal-width bands; the sums of scores in each cell are made from integers,
    so numpy and the engine agree to the last digit (a plain float sum would not: rows are added in other orders)."""
    import ibis

    rng = np.random.default_rng(3)
    df = referrals.assign(risk_score=np.clip(referrals["risk_score"] + rng.normal(0, 0.01, len(referrals)), 0, 1))
    ask = dict(score="risk_score", outcome="re_referred", group="deprivation", threshold=0.3)
    expected = count_rows(df, **ask)
    assert not expected.score_exact
    same(expected, count_table(ibis.memtable(df), **ask))
    # The integer sums are within a millionth of a band of the plain sum.
    plain = df.assign(b=np.minimum(((df.risk_score - df.risk_score.min()) / ((df.risk_score.max() - df.risk_score.min()) / 1000)).astype(int), 999))
    total = plain["risk_score"].sum()
    assert abs(expected.table["score_sum"].sum() - total) < len(df) * 1e-6 / 1000 + 1e-9 * total


@st.composite
def frames(draw):
    n = draw(st.integers(4, 60))
    groups = draw(st.lists(st.sampled_from(["a", "b", "c", "01", "NA", None]), min_size=n, max_size=n))
    grid = draw(st.sampled_from(["integers", "two decimals", "continuous"]))
    raw = draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))
    score = {"integers": [round(v * 9) for v in raw], "two decimals": [round(v, 2) for v in raw], "continuous": raw}[grid]
    y = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    f = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    kind = draw(st.sampled_from(["int", "bool", "text"]))
    if kind == "bool":
        y = [bool(v) for v in y]
    elif kind == "text":
        y = [["no", "Yes"][v] for v in y]
    df = pd.DataFrame({"g": pd.array(groups, dtype="str"), "h": [i % 2 for i in range(n)], "s": score, "y": y, "f": f})
    return df, draw(st.sampled_from(["threshold", "flag"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames())
def test_engine_and_numpy_agree_on_any_frame_or_refuse_alike(case):
    """Property: on any small frame, the engine's count table equals numpy's, or both refuse."""
    import ibis

    df, how = case
    ask = dict(score="s", outcome="y", group=["g", "h"])
    ask.update(threshold=float(np.median(df["s"])) if how == "threshold" else None, flag="f" if how == "flag" else None)
    try:
        expected = count_rows(df, **ask)
    except DecideError:
        with pytest.raises(DecideError):
            count_table(ibis.memtable(df), **ask)
        return
    same(expected, count_table(ibis.memtable(df), **ask))


def test_the_whole_audit_is_identical_from_parquet(referrals, parquet_files):
    ask = dict(score="risk_score", outcome="re_referred", group=["deprivation", "area"], threshold=0.3,
               reference="less deprived / North", seed=7, draws=1000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = audit(referrals, **ask)
        b = audit(str(parquet_files / "parts" / "*.parquet"), **ask)
    for name, table in a.tables().items():
        pd.testing.assert_frame_equal(table, b.tables()[name], check_exact=True, obj=name)
    la, lb = a.label_bias(), b.label_bias()
    for name in ("rates", "disparities", "tipping"):
        pd.testing.assert_frame_equal(getattr(la, name), getattr(lb, name), check_exact=True, obj=name)


def _cli(*argv, cwd) -> subprocess.CompletedProcess:
    code = ("import sys, pandas\n"
            "def refuse(*a, **k):\n    raise AssertionError('a file was loaded whole into pandas')\n"
            "pandas.read_csv = pandas.read_parquet = refuse\n"
            "from decide.cli import main\nsys.exit(main(sys.argv[1:]))\n")
    return subprocess.run([sys.executable, "-c", code, *argv], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_command_audits_parquet_and_csv_without_loading_them_and_writes_the_same_report(parquet_files, tmp_path):
    args = ["--score", "risk_score", "--outcome", "re_referred", "--group", "deprivation", "--threshold", "0.3",
            "--reference", "less deprived", "--draws", "500"]
    runs = {}
    for name, data in (("csv", str(CSV)), ("parquet", str(parquet_files / "parts" / "*.parquet"))):
        out = tmp_path / name
        out.mkdir()
        run = _cli("audit", data, *args, "-o", str(out / "audit.html"), cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        runs[name] = out
    for table in sorted(p.name for p in runs["csv"].glob("*.csv")):
        assert (runs["csv"] / table).read_text() == (runs["parquet"] / table).read_text(), table
    html = {k: (v / "audit.html").read_text() for k, v in runs.items()}
    names = {"csv": (str(CSV), CSV.name), "parquet": (str(parquet_files / "parts" / "*.parquet"), "*.parquet")}
    for k, (full, short) in names.items():
        assert full in html[k]  # each report names its own source
        html[k] = html[k].replace(full, "SOURCE").replace(short, "SOURCE")
    text = {k: v.split("<img")[0] for k, v in html.items()}  # the words and tables before the first figure
    assert text["csv"] == text["parquet"]


def test_counting_a_file_does_not_load_pandas(parquet_files):
    """The counting step of `decide audit FILE` stays light: DuckDB's few result rows come back as tuples, and the
    count table becomes a pandas table only when the audit after it asks (pandas takes longer to load than DuckDB
    takes to count ten million rows). Asked in a fresh process, for a Parquet file and a CSV file."""
    code = ("import sys, warnings\nwarnings.simplefilter('ignore')\nfrom decide.audit.counting import count\n"
            "c = count(sys.argv[1], score='risk_score', outcome='re_referred', group='deprivation', threshold=0.3)\n"
            "assert c.rows > 0\nprint(sorted(m for m in ('pandas', 'scipy', 'matplotlib') if m in sys.modules))\n"
            "assert len(c.table) > 0 and 'pandas' in sys.modules\n")
    for data in (str(parquet_files / "referrals.parquet"), str(CSV)):
        run = subprocess.run([sys.executable, "-c", code, data], capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == "[]", (data, run.stdout)


@pytest.mark.parametrize("shape", ["grid", "continuous", "grid at first only", "no score"])
def test_a_csv_file_is_parsed_into_the_engine_only_when_the_counting_needs_several_passes(referrals, tmp_path,
                                                                                          monkeypatch, shape):
    """Clean scores on a grid are counted in one pass straight from the text (parsing is most of a pass); scores
    that need more passes are parsed once into DuckDB's own columns first. Either way numpy's table, value for
    value."""
    from decide.audit import reading

    df = referrals.copy()
    ask = dict(score="risk_score", outcome="re_referred", group=["deprivation", "area"], threshold=0.3)
    rng = np.random.default_rng(11)
    if shape == "continuous":
        df["risk_score"] = rng.uniform(0, 1, len(df))
    elif shape == "grid at first only":
        later = np.arange(len(df)) >= C.SAMPLE_ROWS
        df.loc[later, "risk_score"] = rng.uniform(0, 1, int(later.sum()))
        monkeypatch.setattr(C, "RAW_CELLS", 50)
    elif shape == "no score":
        ask.update(score=None, threshold=None, flag="investigated")
    path = tmp_path / "referrals.csv"
    df.to_csv(path, index=False)
    expected = count_rows(read_referrals(path, COLUMNS, string_columns=["area", "deprivation"]), **ask)
    made, parse = [], reading.parsed
    monkeypatch.setattr(reading, "parsed", lambda table: made.append(1) or parse(table))
    got = count(str(path), **ask)
    same(expected, got)
    assert got.notes == expected.notes
    assert len(made) == {"grid": 0, "no score": 0, "continuous": 1, "grid at first only": 1}[shape]


def parquet(tmp_path, df, name="r.parquet") -> str:
    path = tmp_path / name
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path)
    return str(path)


BASE = pd.DataFrame({"g": ["a", "b"] * 50, "s": np.linspace(0.01, 0.99, 100).round(2), "y": [0, 1, 1, 0] * 25,
                     "f": [1, 0, 0, 0] * 25})
ASK = dict(score="s", outcome="y", group="g", threshold=0.5)


@pytest.mark.parametrize("change, ask, message", [
    (dict(), dict(outcome="outcome"), "column 'outcome' not found"),
    (dict(), dict(group="G"), "did you mean 'g'?"),
    (dict(y=[0, 1, 2, 1] * 25), dict(), "column 'y' must be binary (1 = yes, 0 = no; true/false and yes/no are also read), but 25 row(s) hold other values, e.g. '2'"),
    (dict(y=[0, 1, None, 1] * 25), dict(), "column 'y' is empty in 25 row(s)"),
    (dict(s=np.r_[np.linspace(0.01, 0.99, 99).round(2), 4.0]), dict(), "nearly every score lies between 0 and 1, as a probability does, but 1 (1%) do not (lowest 4, highest 4), e.g. 4"),
    (dict(s=np.r_[np.linspace(0.01, 0.99, 99).round(2), 4.0]), dict(score_range=(0, 1)), "1 (1%) score(s) outside the stated range [0, 1]"),
    (dict(s=np.r_[np.linspace(0.01, 0.99, 99).round(2), np.inf]), dict(), "is infinite in 1 row(s)"),
    (dict(s=["x"] + [str(v) for v in np.linspace(0.01, 0.99, 99).round(2)]), dict(), "must hold numbers (the tool's score), but 1 row(s) do not, e.g. 'x'"),
    (dict(), dict(threshold=2.0), "--threshold 2 is outside 0 to 1"),
    (dict(), dict(threshold=0.995), "--threshold 0.995 flags nobody (the scores run from 0.01 to 0.99)"),
    (dict(s=[0.5] * 100), dict(threshold=0.5), "holds the same score, 0.5, for every referral"),
    (dict(y=[0] * 100), dict(), "column 'y' is 0 for every referral"),
    (dict(f=[0] * 100), dict(threshold=None, flag="f"), "column 'f' is 0 for every referral: nobody is flagged"),
    (dict(s=np.r_[[0.1] * 99, 0.9]), dict(threshold=0.05), "--threshold 0.05 flags everybody"),
])
def test_refusals_on_the_engine_are_found_by_queries(tmp_path, change, ask, message):
    df = BASE.assign(**change)
    with pytest.raises(DecideError) as err:
        count(parquet(tmp_path, df), **{**ASK, **ask})
    assert message in str(err.value)


def test_drop_missing_on_the_engine_says_how_many_rows_it_left_out(tmp_path):
    df = BASE.assign(y=pd.array([0, 1, None, 1] * 25, dtype="Int64"))
    got = count(parquet(tmp_path, df), **ASK, drop_missing=True)
    assert "25 of 100 row(s) left out" in got.notes[0] and got.rows == 75
    same(count_rows(df, **ASK, drop_missing=True), got)


def test_a_big_csv_refused_by_the_engine_names_the_line_or_the_values(tmp_path, monkeypatch):
    """Above the size at which a CSV is re-read line by line, the engine's own report is used: DuckDB names the
    line of a malformed row; a value refusal gives the count and examples."""
    monkeypatch.setattr(C, "LINE_CHECK_BYTES", 0)
    lines = ["g,s,y"] + [f"{'ab'[i % 2]},{i % 100 / 100:.2f},{i % 3 % 2}" for i in range(10_000)]
    bad = tmp_path / "short.csv"
    bad.write_text("\n".join(lines[:9000] + ["a,0.5"] + lines[9000:]) + "\n")  # past the first 64 kB
    with pytest.raises(DecideError, match=r"not a well-formed CSV.*Line: 9001"):
        count(bad, score="s", outcome="y", group="g", threshold=0.5)
    odd = tmp_path / "odd.csv"
    odd.write_text("\n".join(lines[:60] + ["b,0.5,maybe"] + lines[60:]) + "\n")
    with pytest.raises(DecideError, match=r"column 'y' must be binary .* 1 row\(s\) hold other values, e.g. 'maybe'"):
        count(odd, score="s", outcome="y", group="g", threshold=0.5)


def test_a_small_csv_refused_still_names_the_line(tmp_path):
    lines = ["g,s,y"] + [f"{'ab'[i % 2]},{i / 100:.2f},{i % 3 % 2}" for i in range(100)]
    odd = tmp_path / "odd.csv"
    odd.write_text("\n".join(lines[:60] + ["b,0.5,maybe"] + lines[60:]) + "\n")
    with pytest.raises(DecideError, match="first at line 61"):
        count(odd, score="s", outcome="y", group="g", threshold=0.5)


def test_no_such_file_or_pattern(tmp_path):
    with pytest.raises(DecideError, match="no file matches this pattern"):
        count(str(tmp_path / "*.parquet"), **ASK)
    with pytest.raises(DecideError, match="is a folder"):
        count(tmp_path, **ASK)


def test_counts_from_a_parquet_file_are_refused_with_the_fix(tmp_path, capsys):
    from decide.cli import main

    path = parquet(tmp_path, pd.DataFrame({"g": ["a", "b"], "flag": [0, 1], "outcome": [1, 0], "n": [5, 6]}))
    assert main(["audit", path, "--counts", "--group", "g", "--reference", "a", "-o", str(tmp_path / "a.html")]) == 2
    assert "--counts reads one CSV table of counts" in capsys.readouterr().err
    assert not (tmp_path / "a.html").exists()


def _queries(monkeypatch) -> list:
    """Record every query the counting runs (to count passes over the rows): each goes through C._fetch."""
    sent, fetch = [], C._fetch

    def counted(expr):
        sent.append(expr)
        return fetch(expr)

    monkeypatch.setattr(C, "_fetch", counted)
    return sent


@pytest.mark.parametrize("shape", ["grid", "continuous", "wide-continuous", "float-outcome", "text-outcome", "bool-flag",
                                   "no-score", "whole-numbers"])
def test_clean_data_are_counted_in_one_pass_with_the_numpy_table(referrals, monkeypatch, shape):
    """On data with nothing to refuse, the checks are read off one GROUP BY (after a look at the first rows and, unless
    they show scores on a grid, a query of the lowest and highest score): the checked path is never taken, and the
    table is numpy's, value for value."""
    import ibis

    rng = np.random.default_rng(5)
    df = referrals.copy()
    ask = dict(score="risk_score", outcome="re_referred", group=["deprivation", "area"], threshold=0.3)
    if shape == "continuous":
        df["risk_score"] = rng.uniform(0, 1, len(df))
    elif shape == "wide-continuous":  # too wide for any grid: bands straight away
        df["risk_score"] = rng.uniform(-5000, 5000, len(df))
        ask["threshold"] = 0.0
    elif shape == "float-outcome":
        df["re_referred"] = df["re_referred"].astype(float)
    elif shape == "text-outcome":
        df["re_referred"] = np.where(df["re_referred"] == 1, " Yes", "no")
    elif shape == "bool-flag":
        ask.update(threshold=None, flag="investigated")
        df["investigated"] = df["investigated"].astype(bool)
    elif shape == "no-score":
        ask.update(score=None, threshold=None, flag="investigated")
    elif shape == "whole-numbers":
        df["risk_score"] = np.round(df["risk_score"] * 100)
        ask["threshold"] = 30.0
    expected = count_rows(df, **ask)
    monkeypatch.setattr(C, "_count_table_checked", lambda *a, **k: pytest.fail("the checked path was taken"))
    sent = _queries(monkeypatch)
    got = count_table(ibis.memtable(df), **ask)
    same(expected, got)
    assert got.notes == expected.notes
    passes = {"grid": 4, "whole-numbers": 4, "float-outcome": 4, "text-outcome": 4, "bool-flag": 4, "no-score": 1,
              "wide-continuous": 3, "continuous": 4}[shape]
    # grid scores: a look at the first rows, the row count and a look at blocks spread over the table (both from
    # metadata and a few blocks), then one GROUP BY of the scores as they are: one pass over every row
    assert len(sent) == passes


@pytest.mark.parametrize("cap", ["spread look", 50, C.RAW_CELLS])
def test_scores_on_a_grid_only_at_first_are_still_counted_exactly(referrals, monkeypatch, cap):
    """Scores whose first rows are on a grid of few values but whose later rows are continuous: grouped as they are
    they would make about one cell per row. The look at blocks spread over the table sees them and they are bucketed
    straight away; without that look (other engines, CSV text), past the bound on cells they are bucketed as before.
    Either way the table is numpy's, value for value."""
    import ibis

    df = referrals.copy()
    later = np.arange(len(df)) >= C.SAMPLE_ROWS
    df.loc[later, "risk_score"] = np.random.default_rng(3).uniform(0, 1, int(later.sum()))
    ask = dict(score="risk_score", outcome="re_referred", group=["deprivation", "area"], threshold=0.3)
    expected = count_rows(df, **ask)
    if cap != "spread look":
        monkeypatch.setattr(C, "RAW_CELLS", cap)
        monkeypatch.setattr(C, "_spread_look", lambda table, s: np.array([]))
    monkeypatch.setattr(C, "_count_table_checked", lambda *a, **k: pytest.fail("the checked path was taken"))
    sent = _queries(monkeypatch)
    got = count_table(ibis.memtable(df), **ask)
    same(expected, got)
    assert got.notes == expected.notes
    assert not expected.score_exact
    # the look, the row count and the spread look, then min/max, buckets, bands: the scores as they are are never
    # grouped; without the spread look: the look, the capped GROUP BY, (min/max, buckets,) bands
    assert len(sent) == {"spread look": 6, 50: 5}.get(cap, 3)


@st.composite
def faulty_frames(draw):
    """Small frames with a fault or two of the kinds the audit refuses or leaves out."""
    df, how = draw(frames())
    n = len(df)
    for fault in draw(st.lists(st.sampled_from(["nan", "inf", "outcome 2", "empty outcome", "above 1", "all above 1",
                                                "negative", "constant outcome", "constant flag"]), max_size=2)):
        i = draw(st.integers(0, n - 1))
        s = df["s"].astype(float)
        if fault == "nan":
            s[i] = np.nan
        elif fault == "inf":
            s[i] = np.inf
        elif fault == "above 1":
            s[i] = 1.5
        elif fault == "all above 1":
            s = s + 3
        elif fault == "negative":
            s[i] = -0.2
        df["s"] = s
        if fault in ("outcome 2", "empty outcome"):  # one type per column, as a file's column has
            y = df["y"].map(lambda v: pd.NA if pd.isna(v) else int(v) if not isinstance(v, str) else int(v == "Yes")).astype("Int64")
            df["y"] = y.where(df.index != i, 2 if fault == "outcome 2" else pd.NA)
        elif fault == "constant outcome":
            df["y"] = 1
        elif fault == "constant flag":
            df["f"] = 0
    return df, how, draw(st.booleans()), draw(st.sampled_from([None, (0, 1), (0, 5)]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(faulty_frames())
def test_one_pass_refuses_and_counts_exactly_as_the_checked_path(case):
    """Property: whatever is wrong with the rows, counting in one pass gives the checked path's table and notes, or
    its refusal word for word (the one pass never accepts what the checks refuse)."""
    import ibis

    df, how, drop, score_range = case
    ask = dict(score="s", outcome="y", group=["g", "h"], drop_missing=drop, score_range=score_range)
    finite = df["s"][np.isfinite(df["s"].astype(float))]
    ask.update(threshold=float(np.median(finite)) if how == "threshold" and len(finite) else None,
               flag="f" if how == "flag" or not len(finite) else None)
    table = ibis.memtable(df)
    try:
        expected = C._count_table_checked(table, **ask)
    except DecideError as exc:
        with pytest.raises(DecideError) as got:
            count_table(table, **ask)
        assert str(got.value) == str(exc)
        return
    got = count_table(table, **ask)
    same(expected, got)
    assert got.notes == expected.notes


def _na_file(path: Path, text: str, column: str, rows: int = 21_000) -> Path:
    """A CSV of clean referrals with ``text`` in ``column`` on one of the first rows and on one past the rows
    DuckDB's type detection looks at (20,480)."""
    rng = np.random.default_rng(4)
    cols = {"g": rng.choice(["a", "b", "c"], rows).astype(object), "s": [f"{v:.2f}" for v in rng.random(rows)],
            "y": [str(v) for v in (rng.random(rows) < 0.3).astype(int)]}
    for i in (3, rows - 50):
        cols[column][i] = text
    with open(path, "w") as fh:
        fh.write("g,s,y,other\n")
        fh.writelines(f"{g},{s},{y},{i}\n" for i, (g, s, y) in enumerate(zip(cols["g"], cols["s"], cols["y"])))
    return path


@pytest.mark.parametrize("text", _NA_TEXT + ("maybe", "01", "1.00"))
def test_texts_meaning_missing_in_a_csv_are_read_as_pandas_reads_them(tmp_path, monkeypatch, text):
    """A CSV's number columns are parsed with only an empty field missing (matching every field against each text
    pandas takes as missing costs a fifth of the parse); such a text in a number column then makes the engine read
    the file again the careful way, or is "nan" (read as NaN, which every check takes as missing). Wherever such a
    text is, early or past the rows the type detection sees, the count is pandas's, or both refuse with the same
    message (the engine's own, not the line-by-line re-reading); a group called 'NA' stays a group, as in pandas."""
    ask = dict(score="s", outcome="y", group="g", threshold=0.5)
    for column in ("s", "y", "g"):
        path = _na_file(tmp_path / f"{column}.csv", text, column)
        frame = read_referrals(path, ["g", "s", "y"], string_columns=["g"])
        for drop in (True, False):
            try:
                expected = count_rows(frame, **ask, drop_missing=drop)
            except DecideError as exc:
                refusal = str(exc)
                monkeypatch.setattr(C, "LINE_CHECK_BYTES", 0)  # the engine's refusal, not pandas's
                with pytest.raises(DecideError) as got:
                    count(str(path), **ask, drop_missing=drop)
                monkeypatch.undo()
                word = refusal.split(" (first at")[0].split(", e.g.")[0]
                assert str(got.value).startswith(word.split(" in ")[0]), (column, drop, refusal, str(got.value))
                continue
            got = count(str(path), **ask, drop_missing=drop)
            same(expected, got)
            assert len(got.notes) == len(expected.notes), (got.notes, expected.notes)
    if text == "NA":
        assert "NA" in set(count(str(tmp_path / "g.csv"), **ask).table["g"])
