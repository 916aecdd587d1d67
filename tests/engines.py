"""What the engine tests share: a throwaway PostgreSQL server and a local Spark session, each started once per
test session, and the skip/fail rule.

PostgreSQL: Debian's `postgresql` package (binaries under /usr/lib/postgresql/*/bin, not on PATH). `initdb` makes a
cluster in a temporary folder owned by an unprivileged user (initdb refuses root), `pg_ctl` starts it on a free
local port with its unix socket in that folder, and at the end it is stopped and the folder removed. Local
connections are trusted; connections over TCP need a password (scram), so the tests can check that a password is
read from PGPASSWORD, never from the command line.

Spark: pyspark with a Java runtime (Debian's `default-jre-headless`), a `local[2]` session without its web UI,
workers started with this interpreter (PYSPARK_PYTHON), made through decide.audit.engines.connect as a user's is.

Without the binaries a local run skips and says what to install; under CI=true it fails.
"""

from __future__ import annotations

import csv
import glob
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERRALS = ROOT / "data" / "synthetic" / "referrals.csv"

#: The password of the role the password tests log in as over TCP (a throwaway cluster's, nothing real).
ANALYST_PASSWORD = "throwaway-test-password"


def missing(what: str, install: str) -> None:
    message = f"{what}. Install it with `{install}` (the project's .ci/run does)."
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true, so a missing engine is a failure: " + message)
    pytest.skip(message)


def postgres_bin() -> Path:
    """The folder of Debian's PostgreSQL binaries (the newest version installed), or skip (fail in CI)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing("The Python package psycopg is not installed", "pip install 'ibis-framework[postgres]'")
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    missing("PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin or on PATH)",
            "sudo apt-get install -y postgresql")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Postgres:
    """A running throwaway server: connect with :attr:`url` (unix socket, trusted) or :attr:`tcp_url` plus
    PGPASSWORD=ANALYST_PASSWORD (role 'analyst', scram over 127.0.0.1)."""

    folder: Path
    port: int
    database: str = "decide"

    @property
    def url(self) -> str:
        return f"postgresql://decide@/{self.database}?host={self.folder}&port={self.port}"

    @property
    def tcp_url(self) -> str:
        return f"postgresql://analyst@127.0.0.1:{self.port}/{self.database}"

    def connect(self):
        import psycopg

        return psycopg.connect(self.url, autocommit=True)

    def execute(self, sql: str, params=None) -> None:
        with self.connect() as con:
            con.execute(sql, params)

    def load(self, name: str, frame, types: dict[str, str]) -> None:
        """Replace table ``name`` with the rows of a pandas DataFrame, by COPY (columns typed by ``types``);
        floats are written with 17 significant digits, so they arrive bit for bit."""
        columns = ", ".join(f'"{c}" {types[c]}' for c in frame.columns)
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, header=False, float_format="%.17g", quoting=csv.QUOTE_MINIMAL, na_rep="")
        with self.connect() as con:
            con.execute(f'DROP TABLE IF EXISTS "{name}"')
            con.execute(f'CREATE TABLE "{name}" ({columns})')
            with con.cursor() as cur, cur.copy(f'COPY "{name}" FROM STDIN (FORMAT csv)') as copy:
                view = buffer.getvalue()
                for start in range(0, len(view), 1 << 22):
                    copy.write(view[start:start + (1 << 22)])
            con.execute(f'ANALYZE "{name}"')


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb and pg_ctl refuse root: run them as the 'postgres' user (or 'nobody') when we are root."""
    if os.geteuid() != 0:
        return cmd
    import pwd

    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        return ["runuser", "-u", user, "--", *cmd]
    pytest.fail("running as root and there is neither a 'postgres' nor a 'nobody' user to run PostgreSQL as")


def _owner_uid() -> tuple[int, int] | None:
    if os.geteuid() != 0:
        return None
    import pwd

    for user in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    return None


def start_postgres() -> tuple[Postgres, callable]:
    """Make and start a throwaway cluster; returns it and the function that stops and removes it."""
    bindir = postgres_bin()
    folder = Path(tempfile.mkdtemp(prefix="decide-pg-"))
    os.chmod(folder, 0o755)  # the server's user must reach its socket and data folders
    data = folder / "data"
    owner = _owner_uid()
    if owner:
        os.chown(folder, *owner)
    log = folder / "server.log"
    run = dict(check=True, capture_output=True, text=True, timeout=120)
    port = free_port()
    try:
        subprocess.run(_as_postgres([str(bindir / "initdb"), "-D", str(data), "-U", "decide", "--auth-local=trust",
                                     "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"]), **run)
        options = (f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off "
                   "-c synchronous_commit=off -c max_connections=20 -c shared_buffers=128MB")
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
                                     "-w", "-t", "60", "start"]), **run)
    except subprocess.CalledProcessError as exc:
        text = log.read_text() if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"could not start a throwaway PostgreSQL: {exc.stderr}\n{text[-2000:]}")
    server = Postgres(folder, port)

    def stop() -> None:
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                       capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)

    try:
        with __import__("psycopg").connect(f"postgresql://decide@/postgres?host={folder}&port={port}",
                                           autocommit=True) as con:
            con.execute("CREATE DATABASE decide")
        server.execute(f"CREATE ROLE analyst LOGIN PASSWORD '{ANALYST_PASSWORD}'")
        server.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO analyst")
        server.execute("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO analyst")
    except Exception:
        stop()
        raise
    return server, stop


@pytest.fixture(scope="session")
def postgres():
    server, stop = start_postgres()
    try:
        yield server
    finally:
        stop()


# ------------------------------------------------------------------------------------------------
# Spark
# ------------------------------------------------------------------------------------------------

#: Settings of the tests' local session: no web UI, few shuffle partitions (the count tables are small).
SPARK_CONFIG = {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4",
                "spark.driver.memory": "1g", "spark.sql.session.timeZone": "UTC"}


def spark_ready() -> None:
    """Skip (fail in CI) unless pyspark and a Java runtime are there."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing("The Python package pyspark is not installed", "pip install 'ibis-framework[pyspark]'")
    java = Path(os.environ["JAVA_HOME"]) / "bin" / "java" if os.environ.get("JAVA_HOME") else shutil.which("java")
    if not java or not Path(java).exists():
        missing("Spark needs Java and there is none (no java on PATH or under JAVA_HOME)",
                "sudo apt-get install -y default-jre-headless")


@pytest.fixture(scope="session")
def spark():
    """An Ibis connection to a local Spark session (``local[2]``), made as `decide audit --db local[2]` makes one."""
    spark_ready()
    from decide.audit.engines import connect

    con = connect("local[2]", spark_config=SPARK_CONFIG)
    try:
        yield con
    finally:
        con._session.stop()


def spark_view(con, name: str, frame, folder: Path) -> None:
    """Make ``name`` a temporary view of a pandas DataFrame in the Spark session, through a Parquet file (Spark
    reads it itself: no Python workers, and floats arrive bit for bit)."""
    path = folder / f"{name}.parquet"
    frame.to_parquet(path, index=False)
    con._session.read.parquet(str(path)).createOrReplaceTempView(name)


def tool_env() -> dict[str, str]:
    """The environment for a `decide` subprocess: this one's (PyTensor's cache folder included), a plotting back-end
    without a display, and Spark's workers on this interpreter."""
    env = dict(os.environ)
    env.setdefault("MPLBACKEND", "Agg")
    env["PYSPARK_PYTHON"] = sys.executable
    return env
