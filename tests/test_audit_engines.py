"""The audit where the data live: PostgreSQL and Spark (real engines, started by tests/engines.py) give the same
count table as counting a pandas DataFrame in memory, value for value, and so the same audit, label-bias bounds
and report; bad input is found by queries on the engine and refused with the same messages as for a file.

Without PostgreSQL or Java these tests skip locally and say what to install; under CI=true they fail.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from decide.audit.counting import count_rows, count_table
from decide.audit.engines import (connect, engine_of, has_password, open_db, open_rows, redact, table_from_args)
from decide.audit.rates import audit_counts
from decide.errors import DecideError
from engines import (ANALYST_PASSWORD, REFERRALS, postgres, spark, spark_view, tool_env)  # noqa: F401 (fixtures)

REFERRAL_TYPES = {"area": "text", "deprivation": "text", "risk_score": "double precision", "investigated": "integer",
                  "re_referred": "integer", "true_harm": "integer"}
LARGE_TYPES = {"area": "text", "deprivation": "text", "score": "double precision", "score2": "double precision",
               "flag": "smallint", "outcome": "smallint"}

#: The audits each engine must reproduce exactly: by threshold, by a recorded flag, over two group columns.
SETTINGS = {
    "threshold": dict(score="risk_score", outcome="re_referred", group=["deprivation"], threshold=0.3),
    "flag, two groups": dict(score="risk_score", outcome="re_referred", group=["deprivation", "area"],
                             flag="investigated"),
    "true harm": dict(score="risk_score", outcome="true_harm", group=["area"], threshold=0.5, score_range=(0, 1)),
}
LARGE_SETTINGS = {
    "continuous score": dict(score="score", outcome="outcome", group=["area", "deprivation"], threshold=0.4),
    "two decimals": dict(score="score2", outcome="outcome", group=["deprivation"], flag="flag"),
}


def large_frame(rows: int = 1_000_000, seed: int = 15) -> pd.DataFrame:
    """Seeded referrals at scale: five areas, two deprivation levels, a continuous score (binned on the engines as
    in numpy), the same score to two decimals (an exact grid), a recorded flag and an outcome that depends on both."""
    rng = np.random.default_rng(seed)
    area = rng.choice(np.array(["North", "South", "East", "West", "Central"], dtype=object), rows)
    deprived = rng.random(rows) < 0.4
    score = rng.beta(2 + deprived, 5, rows)
    outcome = (rng.random(rows) < 0.05 + 0.5 * score).astype(np.int16)
    flag = (rng.random(rows) < score).astype(np.int16)
    return pd.DataFrame({"area": area, "deprivation": np.where(deprived, "more deprived", "less deprived").astype(object),
                         "score": score, "score2": np.round(score, 2), "flag": flag, "outcome": outcome})


@pytest.fixture(scope="module")
def referrals() -> pd.DataFrame:
    return pd.read_csv(REFERRALS, dtype={"area": str, "deprivation": str})


@pytest.fixture(scope="module")
def large() -> pd.DataFrame:
    return large_frame()


BAD = {  # name: (rows, the audit asked for)
    "bad_outcome": (pd.DataFrame({"g": ["a", "a", "b", "b"], "s": [0.1, 0.5, 0.2, 0.9], "y": [0, 2, 1, 0]}),
                    dict(score="s", outcome="y", group=["g"], threshold=0.3)),
    "bad_range": (pd.DataFrame({"g": ["a", "a", "b", "b"], "s": [0.1, 1.5, 0.2, -0.25], "y": [0, 1, 1, 0]}),
                  dict(score="s", outcome="y", group=["g"], threshold=0.3, score_range=(0, 1))),
    "bad_column": (pd.DataFrame({"g": ["a", "b"], "scores": [0.1, 0.5], "y": [0, 1]}),
                   dict(score="score", outcome="y", group=["g"], threshold=0.3)),
}
BAD_TYPES = {"g": "text", "s": "double precision", "scores": "double precision", "y": "integer"}


@pytest.fixture(scope="module")
def on_postgres(postgres, referrals, large):
    postgres.load("referrals", referrals, REFERRAL_TYPES)
    postgres.load("large", large, LARGE_TYPES)
    for name, (frame, _) in BAD.items():
        postgres.load(name, frame, BAD_TYPES)
    con = connect(postgres.url)
    return lambda name: open_rows(con, table=name)


@pytest.fixture(scope="module")
def on_spark(spark, referrals, large, tmp_path_factory):
    folder = tmp_path_factory.mktemp("spark-tables")
    spark_view(spark, "referrals", referrals, folder)
    spark_view(spark, "large", large, folder)
    for name, (frame, _) in BAD.items():
        spark_view(spark, name, frame, folder)
    return lambda name: open_rows(spark, table=name)


@pytest.fixture(params=["postgresql", "spark"])
def engine(request):
    """A function from a table's name to (Ibis table on the engine, label)."""
    return request.getfixturevalue("on_postgres" if request.param == "postgresql" else "on_spark")


# ------------------------------------------------------------------------------------------------
# The same numbers
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_count_table_identical_to_pandas(engine, referrals, setting):
    table, label = engine("referrals")
    on_engine = count_table(table, source=label, **SETTINGS[setting])
    in_memory = count_rows(referrals, **SETTINGS[setting])
    pd.testing.assert_frame_equal(on_engine.table, in_memory.table, check_exact=True)
    assert on_engine.rows == in_memory.rows == 30000
    assert on_engine.score_exact == in_memory.score_exact


def test_whole_audit_and_label_bias_identical(engine, referrals):
    setting = SETTINGS["flag, two groups"]
    table, label = engine("referrals")
    options = dict(reference="less deprived / North", draws=2000, seed=7)
    a = audit_counts(count_table(table, source=label, **setting), **options)
    b = audit_counts(count_rows(referrals, **setting), **options)
    for name, frame in a.tables().items():
        pd.testing.assert_frame_equal(frame, b.tables()[name], check_exact=True, obj=name)
    ranges = {"more deprived / South": (1.0, 1.5)}
    la, lb = a.label_bias(ranges, default=(0.8, 1.25)), b.label_bias(ranges, default=(0.8, 1.25))
    for name in ("rates", "disparities", "tipping"):
        pd.testing.assert_frame_equal(getattr(la, name), getattr(lb, name), check_exact=True, obj=name)
    assert a.notes == b.notes


@pytest.mark.parametrize("setting", list(LARGE_SETTINGS))
def test_a_million_rows_identical(engine, large, setting):
    table, label = engine("large")
    on_engine = count_table(table, source=label, **LARGE_SETTINGS[setting])
    in_memory = count_rows(large, **LARGE_SETTINGS[setting])
    assert on_engine.score_exact == in_memory.score_exact == (setting == "two decimals")
    pd.testing.assert_frame_equal(on_engine.table, in_memory.table, check_exact=True)
    assert on_engine.table["n"].sum() == len(large)


# ------------------------------------------------------------------------------------------------
# Bad input, found by queries
# ------------------------------------------------------------------------------------------------


def _without_source(text: str, source: str) -> str:
    """A message without the part naming where the rows are (a file, a DataFrame's rows, an engine's table)."""
    text = text.removeprefix(f"{source}: ").replace(f" (in {source})", "")
    return re.sub(r" \(first at [^)]*\)", "", text)


@pytest.mark.parametrize("name, expected", [
    ("bad_outcome", "column 'y' must be binary"),
    ("bad_range", "column 's': 2 (50%) score(s) outside the stated range [0, 1] (lowest -0.25, highest 1.5)"),
    ("bad_column", "column 'score' not found; did you mean 'scores'?"),
])
def test_bad_input_refused_as_for_a_file(engine, name, expected, tmp_path):
    import ibis

    frame, setting = BAD[name]
    table, label = engine(name)
    with pytest.raises(DecideError) as on_engine:
        count_table(table, source=label, **setting)
    assert expected in str(on_engine.value)
    # the same message as DuckDB gives for the same rows in a Parquet file, but for where they are
    frame.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(DecideError) as on_file:
        count_table(ibis.duckdb.connect().read_parquet(tmp_path / "bad.parquet"), source="bad.parquet", **setting)
    assert _without_source(str(on_engine.value), label) == _without_source(str(on_file.value), "bad.parquet")
    with pytest.raises(DecideError) as in_memory:  # and it opens as the pandas audit's does
        count_rows(frame, **setting)
    assert expected.split(" (")[0].split(";")[0] in str(in_memory.value)


@pytest.mark.parametrize("query", ["DROP VIEW bad_range", "DROP TABLE bad_range", "SELECT 1; DROP TABLE bad_range",
                                   "INSERT INTO bad_range VALUES ('a', 0.5, 1)", "DELETE FROM bad_range"])
def test_a_query_that_would_change_data_is_refused_before_it_runs(engine, query):
    table, _ = engine("bad_range")
    con = table.get_backend()
    with pytest.raises(DecideError, match="single SELECT"):
        open_rows(con, query=query)
    assert engine("bad_range")[0].count().execute() == 4  # still there, unchanged


def test_missing_table_named_with_a_suggestion(engine):
    with pytest.raises(DecideError, match=r"no table or view 'referals'.*did you mean 'referrals'"):
        engine("referals")


# ------------------------------------------------------------------------------------------------
# PostgreSQL: queries, read-only, credentials, and the command line end to end
# ------------------------------------------------------------------------------------------------


def test_postgres_query_counts_what_it_selects(on_postgres, postgres, referrals):
    setting = SETTINGS["threshold"]
    table, label = open_db(postgres.url, query="SELECT * FROM referrals WHERE area = 'North';")
    assert label == "a query on PostgreSQL"
    north = referrals[referrals["area"] == "North"].reset_index(drop=True)
    pd.testing.assert_frame_equal(count_table(table, source=label, **setting).table, count_rows(north, **setting).table,
                                  check_exact=True)
    with pytest.raises(DecideError, match="PostgreSQL refused the query: .*referals"):
        open_db(postgres.url, query="SELECT * FROM referals")


def test_postgres_connection_is_read_only(on_postgres, postgres):
    con = connect(postgres.url)
    with pytest.raises(Exception, match="read-only transaction"):
        con.con.execute("CREATE TABLE harm (x int)")
    with pytest.raises(Exception, match="read-only transaction"):
        con.con.execute("DELETE FROM referrals")


def test_a_refused_permission_while_counting_is_a_plain_message(on_postgres, postgres, referrals, monkeypatch):
    from decide.audit.counting import count

    postgres.load("secret", referrals.head(100), REFERRAL_TYPES)
    postgres.execute("REVOKE SELECT ON secret FROM analyst")
    monkeypatch.setenv("PGPASSWORD", ANALYST_PASSWORD)
    table, label = open_db(postgres.tcp_url, table="secret")
    with pytest.raises(DecideError, match="PostgreSQL table secret: the engine refused the count: permission denied"):
        count(table, source=label, **SETTINGS["threshold"])


def test_unreachable_server_is_a_plain_message(postgres):
    url = f"postgresql://decide@/decide?host={postgres.folder}&port={postgres.port + 1 if postgres.port < 65535 else 1}"
    with pytest.raises(DecideError, match="could not connect to the PostgreSQL database .*PGPASSWORD or ~/.pgpass"):
        connect(url)


def _decide(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "decide", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


AUDIT = ["--score", "risk_score", "--outcome", "re_referred", "--group", "deprivation", "--group", "area",
         "--threshold", "0.3", "--reference", "less deprived,North", "--draws", "1000", "--title", "Referrals audit"]


def _report_text(path: Path) -> str:
    """The report without the lines that name where the data were read from (its source and command line)."""
    html = path.read_text(encoding="utf-8")
    html = html.replace(str(REFERRALS), "SOURCE").replace("PostgreSQL table referrals", "SOURCE")
    return re.sub(r"decide audit [^<]*", "decide audit ...", html)


def test_command_line_on_postgres_gives_the_csv_report(on_postgres, postgres, tmp_path):
    env = tool_env()
    env["PGPASSWORD"] = ANALYST_PASSWORD  # over TCP the server asks for a password: read from the environment
    env["PGPASSFILE"] = str(tmp_path / "no-pgpass")
    db = _decide("audit", "--db", postgres.tcp_url, "--table", "referrals", *AUDIT, "-o", str(tmp_path / "db.html"),
                 env=env)
    assert db.returncode == 0, db.stderr
    csv = _decide("audit", str(REFERRALS), *AUDIT, "-o", str(tmp_path / "csv.html"), env=env)
    assert csv.returncode == 0, csv.stderr
    assert db.stdout.replace("db.html", "x.html") == csv.stdout.replace("csv.html", "x.html")
    for name in ("groups", "rates", "disparities", "calibration", "impossibility", "counts", "label_bias_rates",
                 "label_bias_disparities", "label_bias_tipping"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / f"db_{name}.csv"), pd.read_csv(tmp_path / f"csv_{name}.csv"),
                                      check_exact=True, obj=name)
    assert _report_text(tmp_path / "db.html") == _report_text(tmp_path / "csv.html")
    assert ANALYST_PASSWORD not in (tmp_path / "db.html").read_text(encoding="utf-8")


def test_command_line_refuses_a_password_in_the_address(postgres, tmp_path):
    url = postgres.tcp_url.replace("analyst@", f"analyst:{ANALYST_PASSWORD}@")
    run = _decide("audit", "--db", url, "--table", "referrals", *AUDIT, "-o", str(tmp_path / "a.html"), env=tool_env())
    assert run.returncode == 2
    assert "PGPASSWORD" in run.stderr and ANALYST_PASSWORD not in run.stderr + run.stdout
    assert not (tmp_path / "a.html").exists()


def test_command_line_without_the_password_says_where_to_put_it(on_postgres, postgres, tmp_path):
    env = {k: v for k, v in tool_env().items() if k != "PGPASSWORD"}
    env["PGPASSFILE"] = str(tmp_path / "no-pgpass")
    run = _decide("audit", "--db", postgres.tcp_url, "--table", "referrals", *AUDIT, "-o", str(tmp_path / "a.html"),
                  env=env)
    assert run.returncode == 2, run.stderr
    assert "could not connect to the PostgreSQL database" in run.stderr and "~/.pgpass" in run.stderr
    assert "Traceback" not in run.stderr


# ------------------------------------------------------------------------------------------------
# Spark through the command line (in this process: the session is the fixture's)
# ------------------------------------------------------------------------------------------------


def test_command_line_on_spark_gives_the_csv_tables(on_spark, tmp_path, capsys):
    from decide.cli import main

    assert main(["audit", "--db", "local[2]", "--table", "referrals", *AUDIT, "-o", str(tmp_path / "s.html")]) == 0
    assert main(["audit", str(REFERRALS), *AUDIT, "-o", str(tmp_path / "c.html")]) == 0
    for name in ("groups", "rates", "disparities", "counts", "label_bias_disparities"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / f"s_{name}.csv"), pd.read_csv(tmp_path / f"c_{name}.csv"),
                                      check_exact=True, obj=name)


# ------------------------------------------------------------------------------------------------
# Without a server: addresses, and a DuckDB database file
# ------------------------------------------------------------------------------------------------


def test_a_missing_engine_skips_locally_and_fails_in_ci(monkeypatch):
    import engines

    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y postgresql"):
        engines.missing("PostgreSQL is not installed", "sudo apt-get install -y postgresql")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true, so a missing engine is a failure"):
        engines.missing("PostgreSQL is not installed", "sudo apt-get install -y postgresql")


@pytest.mark.parametrize("url, kind", [
    ("postgresql://analyst@db.example.org:5432/referrals", "postgresql"), ("postgres://h/d", "postgresql"),
    ("postgresql:///referrals?host=/var/run/postgresql", "postgresql"), ("duckdb:///tmp/r.duckdb", "duckdb"),
    ("duckdb://", "duckdb"), ("local", "spark"), ("local[4]", "spark"), ("local[*]", "spark"),
    ("spark://cluster:7077", "spark"), ("yarn", "spark"), ("k8s://https://k8s.example.org:443", "spark"),
])
def test_engine_of_url(url, kind):
    assert engine_of(url) == kind


@pytest.mark.parametrize("url", ["mysql://h/d", "referrals.csv", "", "local[two]", "http://example.org"])
def test_unknown_addresses_refused_with_the_forms(url):
    with pytest.raises(DecideError, match="postgresql://USER@HOST:PORT/DATABASE.*local\\[4\\]"):
        engine_of(url)


def test_passwords_are_found_and_never_shown():
    assert has_password("postgresql://a:s3cret@h/d") and has_password("postgresql://a@h/d?password=s3cret")
    assert not has_password("postgresql://a@h/d")
    assert "s3cret" not in redact("postgresql://a:s3cret@h/d") + redact("postgresql://a@h/d?sslmode=require&password=s3cret")
    with pytest.raises(DecideError, match="PGPASSWORD") as refused:
        table_from_args(type("Args", (), {"db": "postgresql://a:s3cret@h/d", "table": "t", "data": None})())
    assert "s3cret" not in str(refused.value)


def test_duckdb_database_file(tmp_path, referrals):
    import duckdb

    path = tmp_path / "referrals.duckdb"
    with duckdb.connect(str(path)) as con:
        con.register("frame", referrals)
        con.execute("CREATE TABLE referrals AS SELECT * FROM frame")
    before = path.read_bytes()
    table, label = open_db(f"duckdb://{path}", table="referrals")
    assert label == "DuckDB table referrals"
    setting = SETTINGS["flag, two groups"]
    pd.testing.assert_frame_equal(count_table(table, source=label, **setting).table,
                                  count_rows(referrals, **setting).table, check_exact=True)
    assert path.read_bytes() == before  # opened read-only
    with pytest.raises(DecideError, match="no DuckDB file"):
        open_db(f"duckdb://{tmp_path / 'none.duckdb'}", table="referrals")
    with pytest.raises(DecideError, match="--table NAME .* or --query"):
        open_db(f"duckdb://{path}", table="referrals", query="SELECT 1")
