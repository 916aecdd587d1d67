"""Where the referrals live, when they live in a database or on a cluster: connect to the engine by a URL and name
the rows to audit (a table, or a SQL query), as an Ibis table that :func:`decide.audit.counting.count_table`
counts inside that engine. Only the count table (a few hundred rows) comes back; every rate, interval, disparity
and bound after it is computed in Python from those counts, exactly as for a file.

The URL says which engine:

- ``postgresql://USER@HOST:PORT/DATABASE`` (or ``postgres://``; any libpq URL, e.g.
  ``postgresql:///referrals?host=/var/run/postgresql`` for the local socket, ``?sslmode=require``). The password
  comes from PGPASSWORD, ~/.pgpass or a PGSERVICE file, as for psql; the connection is read-only.
- ``duckdb:///PATH/TO/FILE.duckdb`` (opened read-only), or ``duckdb://`` (in memory: with ``--query`` over files).
- Spark: a master URL, ``local[4]``, ``spark://HOST:7077``, ``yarn``, ``k8s://https://HOST:443``; the table is
  one the session's catalog knows (a Hive table, a Delta or Iceberg table registered in it, or a view).

The command line refuses a password inside the URL: it would be visible to everyone on the computer and kept in the
shell's history.
"""

from __future__ import annotations

import os
import re
import sys
from urllib.parse import urlsplit

from decide.errors import DecideError

#: URL beginnings of Spark masters (besides ``local``, ``local[N]`` and ``yarn``).
_SPARK_SCHEMES = ("spark://", "k8s://", "mesos://")
_LOCAL = re.compile(r"local(\[(\d+|\*)(,\s*\d+)?\])?$")

URL_FORMS = ("postgresql://USER@HOST:PORT/DATABASE, duckdb:///PATH/TO/FILE.duckdb, or a Spark master such as "
             "local[4] or spark://HOST:7077")


def engine_of(url: str) -> str:
    """'postgresql', 'duckdb' or 'spark', from the URL's form; refuses anything else with the forms accepted."""
    text = (url or "").strip()
    low = text.lower()
    if low.startswith(("postgresql://", "postgres://")):
        return "postgresql"
    if low.startswith("duckdb://"):
        return "duckdb"
    if _LOCAL.match(low) or low == "yarn" or low.startswith(_SPARK_SCHEMES):
        return "spark"
    shown = redact(text)[:80]
    raise DecideError(f"--db {shown!r} is not a database address this audit can use: give {URL_FORMS}")


def redact(url: str) -> str:
    """The URL with any password replaced by '***', for messages and reports."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(an address that cannot be read)"
    text = url
    if parts.password:
        text = text.replace(f":{parts.password}@", ":***@", 1)
    return re.sub(r"(?i)(password=)[^&\s]*", r"\1***", text)


def has_password(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return bool(parts.password) or bool(re.search(r"(?i)[?&]password=", url))


def _first_lines(exc: Exception, n: int = 2) -> str:
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
    return "; ".join(lines[:n])[:400] or type(exc).__name__


# ------------------------------------------------------------------------------------------------
# Connecting
# ------------------------------------------------------------------------------------------------


def connect(url: str, *, spark_config: dict | None = None):
    """An Ibis connection to the engine the URL names (see the module's help for the forms)."""
    kind = engine_of(url)
    if kind == "postgresql":
        return _postgres(url.strip())
    if kind == "duckdb":
        return _duckdb(url.strip())
    return _spark(url.strip(), spark_config or {})


def _postgres(url: str):
    try:
        import ibis
        import psycopg
    except ImportError:
        raise DecideError("auditing a PostgreSQL table needs the Python packages ibis-framework and psycopg: "
                          "pip install 'ibis-framework[postgres]'") from None
    try:
        # Read-only: the audit only reads, and a query given with --query can then change nothing.
        con = psycopg.connect(url, autocommit=True, options="-c default_transaction_read_only=on")
    except psycopg.Error as exc:
        raise DecideError(f"could not connect to the PostgreSQL database {redact(url)}: {_first_lines(exc)}. Check "
                          "the address, that the server is running, and that your password is in PGPASSWORD or "
                          "~/.pgpass") from None
    backend = ibis.postgres.from_connection(con)
    backend._con_kwargs = {}
    return backend


def _duckdb(url: str):
    import ibis

    path = url[len("duckdb://"):]
    if path in ("", ":memory:", "/:memory:"):
        return ibis.duckdb.connect()
    if not os.path.exists(path):
        raise DecideError(f"--db {url}: there is no DuckDB file {path}; write duckdb:/// and the file's path "
                          "(three slashes before an absolute path, e.g. duckdb:///home/me/referrals.duckdb)")
    try:
        return ibis.duckdb.connect(path, read_only=True)
    except Exception as exc:
        raise DecideError(f"could not open the DuckDB file {path}: {_first_lines(exc)}") from None


def files_read(url: str) -> list[str]:
    """The files a --db URL reads (a DuckDB file and its write-ahead log): inputs no output may replace, even
    with --force. Empty for a server or a cluster."""
    if engine_of(url) != "duckdb":
        return []
    path = url.strip()[len("duckdb://"):]
    return [] if path in ("", ":memory:", "/:memory:") else [path, path + ".wal"]


def _spark(master: str, config: dict):
    try:
        import ibis
        from pyspark.sql import SparkSession
    except ImportError:
        raise DecideError("auditing on Spark needs the Python packages ibis-framework and pyspark: "
                          "pip install 'ibis-framework[pyspark]'") from None
    if _LOCAL.match(master.lower()):
        # Workers on this computer run this Python, not whatever 'python3' is first on PATH.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        config = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false", **config}
    builder = SparkSession.builder.master(master).appName("decide audit")
    for key, value in config.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:
        text = _first_lines(exc, 4)
        hint = (" Spark needs Java 17 or newer: install it (e.g. sudo apt-get install -y default-jre-headless) "
                "or set JAVA_HOME." if "JAVA" in text.upper() or "gateway" in text.lower() else "")
        raise DecideError(f"could not start a Spark session with master {master}: {text}.{hint}") from None
    return ibis.pyspark.connect(session)


# ------------------------------------------------------------------------------------------------
# Naming the rows
# ------------------------------------------------------------------------------------------------


def _engine_name(con) -> str:
    return {"postgres": "PostgreSQL", "duckdb": "DuckDB", "pyspark": "Spark"}.get(con.name, con.name)


def open_rows(con, *, table: str | None = None, query: str | None = None):
    """The rows to audit as an Ibis table on ``con``, and a label for messages and the report.

    ``table`` may be qualified (``schema.table``, or ``catalog.schema.table`` on Spark); ``query`` is one SQL
    SELECT in the engine's own dialect. Exactly one of the two.
    """
    from decide.audit.common import _listing, _suggest

    engine = _engine_name(con)
    if (table is None) == (query is None):
        raise DecideError("name the rows to audit: --table NAME (a table or view) or --query 'SELECT ...', not both")
    if query is not None:
        if not query.strip():
            raise DecideError("--query is empty: give a SELECT statement")
        query = _only_a_select(query.strip().rstrip(";"), con, engine)
        try:
            schema = (_postgres_schema(con, query) if con.name == "postgres" else
                      _duckdb_schema(con, query) if con.name == "duckdb" else None)
            return con.sql(query, schema=schema), f"a query on {engine}"
        except Exception as exc:
            raise DecideError(f"{engine} refused the query: {_first_lines(exc)}. Check it runs on its own "
                              "(e.g. in psql) and is a single SELECT") from None
    parts = [p.strip().strip('"`') for p in table.split(".")]
    if not all(parts) or len(parts) > 3:
        raise DecideError(f"--table {table!r}: give a table's name, optionally after its schema (schema.table)")
    name = parts[-1]
    database = None if len(parts) == 1 else parts[0] if len(parts) == 2 else tuple(parts[:2])
    label = f"{engine} table {'.'.join(parts)}"
    try:
        return con.table(name, database=database), label
    except Exception as exc:
        try:
            known = con.list_tables(database=database)
        except Exception:
            known = []
        where = f" in {'.'.join(parts[:-1])}" if database else ""
        listing = f" The tables{where} are: {_listing(sorted(known), 20)}." if known else ""
        suggestion = _suggest(name, known).lstrip("; ")
        lower = str(exc).lower()
        if known and name not in known or "not found" in lower or "does not exist" in lower or "cannot be found" in lower:
            raise DecideError(f"there is no table or view '{name}'{where} in the {engine} database"
                              + (f"; {suggestion}" if suggestion else ".") + listing) from None
        raise DecideError(f"{engine} could not open the table {'.'.join(parts)}: {_first_lines(exc)}") from None


def _only_a_select(query: str, con, engine: str) -> str:
    """The query, if it is one SELECT (or WITH ... SELECT); refuses anything else before the engine sees it (Spark
    runs a DROP or an INSERT the moment it is handed one, and the audit must never change the data)."""
    import sqlglot
    from sqlglot import exp

    dialect = {"postgres": "postgres", "duckdb": "duckdb", "pyspark": "spark"}.get(con.name)
    try:
        statements = [s for s in sqlglot.parse(query, read=dialect) if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise DecideError(f"--query could not be read as {engine} SQL: {_first_lines(exc, 1)}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise DecideError("--query must be a single SELECT giving the rows to audit (the audit only reads; it never "
                          f"runs statements that change data), got: {query[:80]!r}")
    return query


def _postgres_schema(con, query: str):
    """The columns and types a query gives, asked without making a temporary view (which Ibis would make, and a
    read-only connection refuses): run it with LIMIT 0 and name the types PostgreSQL reports."""
    import ibis
    from ibis.backends.sql.datatypes import PostgresType

    with con.con.cursor() as cur:
        cur.execute(f"SELECT * FROM ({query}) AS decide_rows LIMIT 0")
        columns = [(c.name, c.type_code) for c in cur.description]
        names = dict(cur.execute("SELECT oid::int, format_type(oid, NULL) FROM pg_type WHERE oid = ANY(%s)",
                                 [sorted({oid for _, oid in columns})]).fetchall())
    return ibis.schema({name: PostgresType.from_string(names[oid]) for name, oid in columns})


def _duckdb_schema(con, query: str):
    """The columns and types a query gives, from DuckDB itself (the query is bound, not run): Ibis 12 asks for them
    with a call DuckDB 2 no longer has (fetch_arrow_table on the connection), so every --query failed."""
    import ibis
    from ibis.backends.sql.datatypes import DuckDBType

    rows = con.con.sql(query)
    return ibis.schema({name: DuckDBType.from_string(str(kind)) for name, kind in zip(rows.columns, rows.types)})


def open_db(url: str, *, table: str | None = None, query: str | None = None, spark_config: dict | None = None):
    """Connect (see :func:`connect`) and name the rows (see :func:`open_rows`): an Ibis table and its label."""
    return open_rows(connect(url, spark_config=spark_config), table=table, query=query)


def table_from_args(args):
    """The rows `decide audit --db URL --table NAME | --query SQL` names: an Ibis table and its label.
    Refuses a password written into the URL (use PGPASSWORD or ~/.pgpass)."""
    url = args.db
    if has_password(url):
        raise DecideError("--db: do not write the password into the address (everyone on this computer can see a "
                          "command's arguments, and the shell keeps them in its history). Leave it out and put it in "
                          "the PGPASSWORD environment variable or in ~/.pgpass (one line host:port:database:user:"
                          "password, readable only by you)")
    if getattr(args, "counts", False):
        raise DecideError("--counts reads a CSV table of counts; with --db the counting is done by the engine: leave "
                          "out --counts")
    if not getattr(args, "table", None) and not getattr(args, "query", None):
        raise DecideError("with --db, name the rows to audit: --table NAME or --query 'SELECT ...'")
    if getattr(args, "data", None):
        raise DecideError(f"give either a file ({args.data}) or --db with --table or --query, not both")
    return open_db(url, table=getattr(args, "table", None), query=getattr(args, "query", None))


def engine_errors(engine_label: str):
    """A context in which an engine's own errors while counting (a permission refused, a lost connection) become a
    DecideError naming the engine, instead of a traceback."""
    from contextlib import contextmanager

    @contextmanager
    def guard():
        try:
            yield
        except DecideError:
            raise
        except Exception as exc:
            module = type(exc).__module__.split(".")[0]
            if module in ("psycopg", "pyspark", "py4j", "duckdb", "ibis"):
                raise DecideError(f"{engine_label}: the engine refused the count: {_first_lines(exc)}") from None
            raise

    return guard()

