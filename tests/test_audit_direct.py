"""Local CSV and Parquet files counted by DuckDB's SQL directly (decide.audit.direct, no Ibis) give exactly what the
general way through Ibis gives: the same count table, notes and settings, or the same refusal word for word. Each
case is counted both ways; the clean ones must also be taken by the direct way, so the comparison means something."""

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

from decide.audit import counting as C
from decide.audit.counting import count
from decide.audit.reading import file_paths
from decide.audit.direct import count_files
from decide.errors import DecideError

ROOT = Path(__file__).resolve().parent.parent
CSV = ROOT / "data" / "synthetic" / "referrals.csv"


def both_ways(data, **ask):
    """The count (or refusal) by the direct way first, as `decide audit` does, and by the general way alone."""
    out = []
    for direct in (True, False):
        saved = C.DIRECT_SQL
        C.DIRECT_SQL = direct
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out.append(("counted", count(str(data), **ask)))
        except DecideError as exc:
            out.append(("refused", str(exc)))
        finally:
            C.DIRECT_SQL = saved
    return out


def direct_takes(data, **ask) -> bool:
    """Whether the direct way counts these files itself (rather than handing them to the general way)."""
    options = {**dict(score=None, flag=None, threshold=None, score_range=None, drop_missing=False, max_bins=1000), **ask}
    try:
        return count_files(file_paths(data), source=str(data), **options) is not None
    except DecideError:
        return False


def assert_same(data, **ask) -> str:
    (how_a, a), (how_b, b) = both_ways(data, **ask)
    assert how_a == how_b, (a, b)
    if how_a == "refused":
        assert a == b
        return how_a
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    for name in ("group_columns", "score_exact", "threshold", "flag_column", "score_column", "outcome_column",
                 "source", "rows", "notes"):
        assert getattr(a, name) == getattr(b, name), name
    return how_a


ASKS = {"threshold": dict(score="risk_score", outcome="re_referred", group=["deprivation", "area"], threshold=0.3),
        "flag": dict(score="risk_score", outcome="re_referred", group="area", flag="investigated"),
        "no score": dict(score=None, outcome="re_referred", group="deprivation", flag="investigated"),
        "few bins": dict(score="risk_score", outcome="re_referred", group="deprivation", threshold=0.3, max_bins=50),
        "range": dict(score="risk_score", outcome="re_referred", group="area", threshold=0.5, score_range=(0, 1))}


@pytest.fixture(scope="module")
def referrals() -> pd.DataFrame:
    return pd.read_csv(CSV, dtype={"area": str, "deprivation": str})


@pytest.mark.parametrize("ask", list(ASKS), ids=list(ASKS))
def test_the_synthetic_referrals_as_csv_and_parquet(referrals, tmp_path, ask):
    path = tmp_path / "r.parquet"
    pq.write_table(pa.Table.from_pandas(referrals, preserve_index=False), path)
    for data in (CSV, path):
        assert direct_takes(data, **ASKS[ask]), data
        assert assert_same(data, **ASKS[ask]) == "counted"


def _write(tmp_path: Path, df: pd.DataFrame, kind: str, name: str = "r", sep: str = ",") -> Path:
    path = tmp_path / f"{name}.{kind}"
    if kind == "csv":
        df.to_csv(path, index=False, sep=sep)
    else:
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path)
    return path


def _clean(rows: int = 3000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = (rng.random(rows) < 0.3).astype(int)
    return pd.DataFrame({"g": rng.choice(["North", "South", "East"], rows), "h": rng.choice(["01", "2", "x y"], rows),
                         "s": np.round(np.clip(0.2 + 0.3 * y + rng.normal(0, 0.2, rows), 0, 1), 2), "y": y,
                         "f": (rng.random(rows) < 0.4).astype(int)})


def _case(name: str) -> tuple[pd.DataFrame, dict, bool]:
    """A table, what to ask of it, and whether the direct way should take it (False: it hands it over)."""
    df = _clean()
    ask = dict(score="s", outcome="y", group=["g"], threshold=0.5)
    takes = True
    n = len(df)
    if name == "two groups":
        ask["group"] = ["g", "h"]
    elif name == "odd group names":
        df["g"] = np.random.default_rng(2).choice(['say "hi"', "a,b", "café", " lead", "NA", "N/A", "0.5", ""], n)
    elif name == "empty group":
        df.loc[::7, "g"] = None
    elif name == "integer groups":
        df["g"] = np.random.default_rng(3).integers(0, 5, n)
    elif name == "boolean outcome":
        df["y"] = df["y"].astype(bool)
    elif name == "float outcome":
        df["y"] = df["y"].astype(float)
    elif name == "text outcome":
        df["y"] = np.where(df["y"] == 1, "Yes", "no")
    elif name == "outcome 2":
        df.loc[5, "y"] = 2
        takes = False
    elif name == "empty outcome":
        df["y"] = df["y"].astype("Int64")
        df.loc[9, "y"] = pd.NA
        takes = False
    elif name == "empty outcome, dropped":
        df["y"] = df["y"].astype("Int64")
        df.loc[9, "y"] = pd.NA
        ask["drop_missing"] = True
        takes = False
    elif name == "empty score":
        df.loc[4, "s"] = np.nan
        takes = False
    elif name == "whole-number scores":
        df["s"] = np.round(df["s"] * 20).astype(int)
        ask.update(threshold=10)
    elif name == "wide scores":
        df["s"] = df["s"] * 300 - 50
        ask.update(threshold=100)
    elif name == "scores outside the range":
        df.loc[3, "s"] = 1.4
        ask.update(score_range=(0, 1))
        takes = False
    elif name == "continuous scores":
        df["s"] = np.random.default_rng(5).random(n)
        takes = False
    elif name == "few flagged":
        ask.update(threshold=0.75)
    elif name == "nobody flagged":
        ask.update(threshold=1.0)
        df["s"] = np.minimum(df["s"], 0.9)
        takes = False
    elif name == "flag":
        ask.update(threshold=None, flag="f")
    elif name == "flag, no score":
        ask.update(score=None, threshold=None, flag="f")
    elif name == "flag, no score, odd group names":
        df["g"] = np.random.default_rng(6).choice(["NA", "N/A", "", "null", "a"], n)
        ask.update(score=None, threshold=None, flag="f")
    elif name == "threshold outside":
        ask.update(threshold=3.0)
        takes = False
    elif name == "missing column":
        ask.update(outcome="outcome")
        takes = False
    return df, ask, takes


CASES = ["two groups", "odd group names", "empty group", "integer groups", "boolean outcome", "float outcome",
         "text outcome", "outcome 2", "empty outcome", "empty outcome, dropped", "empty score", "whole-number scores",
         "wide scores", "scores outside the range", "continuous scores", "few flagged", "nobody flagged", "flag",
         "flag, no score", "flag, no score, odd group names", "threshold outside", "missing column"]


@pytest.mark.parametrize("kind", ["csv", "parquet"])
@pytest.mark.parametrize("name", CASES)
def test_varied_files_are_counted_alike(tmp_path, name, kind):
    df, ask, takes = _case(name)
    path = _write(tmp_path, df, kind)
    if kind == "csv" and name == "text outcome":
        df["y"] = np.where(df["y"] == "Yes", "Yes", "nope")  # not true/false to DuckDB: a number column read as
        path = _write(tmp_path, df, kind)                  # text, read the careful way (missing texts made empty)
        takes = False
    assert direct_takes(path, **ask) == takes
    assert_same(path, **ask)


def test_semicolons_a_tab_in_the_header_and_several_files(tmp_path):
    df = _clean().rename(columns={"g": "g\t"})
    path = _write(tmp_path, df, "csv", sep=";")
    ask = dict(score="s", outcome="y", group="g", threshold=0.5)
    assert direct_takes(path, **ask)
    assert assert_same(path, **ask) == "counted"
    for i, part in enumerate((_clean(seed=7), _clean(seed=8))):
        _write(tmp_path, part, "csv", name=f"part{i}")
        _write(tmp_path, part, "parquet", name=f"part{i}")
    for pattern in ("part*.csv", "part*.parquet"):
        ask = dict(score="s", outcome="y", group=["g", "h"], threshold=0.4)
        assert direct_takes(tmp_path / pattern, **ask)
        assert assert_same(tmp_path / pattern, **ask) == "counted"


@pytest.mark.parametrize("later", ["on the grid", "on no grid", "one score on no grid"])
def test_parquet_past_the_first_look(tmp_path, later):
    """Past the first 10,000 rows, blocks spread over a Parquet file are looked at too (as on the general way);
    scores on a grid only at first are handed over, or stopped by the bound on cells, and counted alike."""
    df = _clean(60_000)
    rng = np.random.default_rng(9)
    if later == "on no grid":
        df.loc[C.SAMPLE_ROWS:, "s"] = rng.random(len(df) - C.SAMPLE_ROWS)
    elif later == "one score on no grid":
        df.loc[50_000, "s"] = 0.123456789
    path = _write(tmp_path, df, "parquet")
    ask = dict(score="s", outcome="y", group=["g", "h"], threshold=0.5)
    assert direct_takes(path, **ask) == (later == "on the grid")
    assert assert_same(path, **ask) == "counted"


def test_a_gzipped_csv(tmp_path):
    """A .csv.gz file is read uncompressed by the audit's own checks of the first lines, as DuckDB reads it (it used
    to be refused as 'not valid utf-8'); the count is pandas's, both ways, and a bad line is still named."""
    from decide.audit import count_rows, read_referrals

    path = tmp_path / "r.csv.gz"
    _clean(30_000).to_csv(path, index=False)
    ask = dict(score="s", outcome="y", group=["g", "h"], threshold=0.5)
    assert direct_takes(path, **ask)
    assert assert_same(path, **ask) == "counted"
    expected = count_rows(read_referrals(path, ["g", "h", "s", "y"], string_columns=["g", "h"]), **ask)
    pd.testing.assert_frame_equal(count(str(path), **ask).table, expected.table, check_exact=True)
    bad = tmp_path / "bad.csv.gz"
    import gzip

    with gzip.open(bad, "wt") as fh:
        fh.write("g,h,s,y,f\na,01,0.5,1,0\nb,2,0.25,0\n")
    with pytest.raises(DecideError, match="line 3"):
        count(str(bad), **ask)


def test_spaces_around_the_header_names(tmp_path):
    """DuckDB trims the spaces around a header's names (pandas and the audit's own checks strip them too): the
    direct way hands such a file over, and the general way reads it under DuckDB's names (it used to stop with
    Ibis's 'column not found')."""
    from decide.audit import count_rows, read_referrals

    path = _write(tmp_path, _clean().rename(columns={"s": " s ", "g": "g ", "y": "y\t"}), "csv")
    ask = dict(score="s", outcome="y", group="g", threshold=0.5)
    assert not direct_takes(path, **ask)
    assert assert_same(path, **ask) == "counted"
    expected = count_rows(read_referrals(path, ["g", "s", "y"], string_columns=["g"]), **ask)
    pd.testing.assert_frame_equal(count(str(path), **ask).table, expected.table, check_exact=True)


def test_texts_meaning_missing_past_the_type_detection(tmp_path):
    """'NA' in a number column past DuckDB's sample stops the direct way's query; the general way reads it."""
    df = _clean(25_000)
    df["y"] = df["y"].astype(str)
    df.loc[24_000, "y"] = "NA"
    path = _write(tmp_path, df, "csv")
    for drop in (False, True):
        ask = dict(score="s", outcome="y", group="g", threshold=0.5, drop_missing=drop)
        assert not direct_takes(path, **ask)
        assert_same(path, **ask)


@st.composite
def tables(draw):
    """Small tables of referrals: groups from awkward names (some empty), scores on a grid of 0-3 decimals (or
    whole numbers), outcome and flag 0/1 with now and then a missing or other value."""
    n = draw(st.integers(20, 300))
    seed = draw(st.integers(0, 2 ** 16))
    rng = np.random.default_rng(seed)
    names = draw(st.lists(st.sampled_from(["a", "b", "NA", "N/A", "", "01", "1", "x,y", "é", "'q'", "null"]),
                          min_size=1, max_size=4, unique=True))
    decimals = draw(st.integers(0, 3))
    top = draw(st.sampled_from([1.0, 10.0, 100.0]))
    df = pd.DataFrame({"g": rng.choice(names, n), "s": np.round(rng.random(n) * top, decimals),
                       "y": (rng.random(n) < draw(st.floats(0.05, 0.95))).astype(int),
                       "f": (rng.random(n) < 0.5).astype(int)})
    fault = draw(st.sampled_from(["none", "none", "none", "empty y", "y is 3", "empty f", "nan score"]))
    i = draw(st.integers(0, n - 1))
    if fault in ("empty y", "y is 3"):
        df["y"] = df["y"].astype("Int64")
        df.loc[i, "y"] = pd.NA if fault == "empty y" else 3
    elif fault == "empty f":
        df["f"] = df["f"].astype("Int64")
        df.loc[i, "f"] = pd.NA
    elif fault == "nan score":
        df.loc[i, "s"] = np.nan
    how = draw(st.sampled_from(["threshold", "flag", "no score"]))
    ask = dict(score="s", outcome="y", group="g", drop_missing=draw(st.booleans()))
    if how == "threshold":
        ask["threshold"] = float(np.nanmedian(df["s"]))
    else:
        ask["flag"] = "f"
        if how == "no score":
            ask["score"] = None
    return df, ask, draw(st.sampled_from(["csv", "parquet"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(tables())
def test_any_table_is_counted_or_refused_alike(tmp_path, case):
    df, ask, kind = case
    path = _write(tmp_path, df, kind, name="h")
    assert_same(path, **ask)


def test_counting_a_clean_file_does_not_load_ibis(tmp_path):
    """The point of the direct way: `decide audit FILE` on a clean file never loads Ibis."""
    code = ("import sys, warnings\nwarnings.simplefilter('ignore')\nfrom decide.audit.counting import count\n"
            "c = count(sys.argv[1], score='risk_score', outcome='re_referred', group='deprivation', threshold=0.3)\n"
            "print('ibis' in sys.modules)\n")
    run = subprocess.run([sys.executable, "-c", code, str(CSV)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False"
