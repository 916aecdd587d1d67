"""The workshop's state in one SQLite file, so a session survives a server restart.

Every change is one transaction on a fresh connection (threads never share one); WAL lets
readers go on while someone writes; UNIQUE constraints make a repeated submission replace
the same answer instead of adding a second. Nothing here knows about judgements: answers are
stored as the JSON the session checked.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from pathlib import Path

from decide.errors import DecideError

#: The layout version; a store written by another layout is refused, not misread.
LAYOUT = 1

#: The stages of a session, in order.
STAGES = ("choosing", "round 1", "revealed 1", "round 2", "revealed 2")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS session (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    layout INTEGER NOT NULL,
    case_path TEXT NOT NULL,
    case_sha256 TEXT NOT NULL,
    case_text TEXT NOT NULL,
    code TEXT NOT NULL,
    facilitator_key TEXT NOT NULL,
    stage TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS quantity (
    name TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS participant (
    token TEXT PRIMARY KEY,
    role TEXT NOT NULL UNIQUE,
    joined_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS answer (
    token TEXT NOT NULL REFERENCES participant(token),
    quantity TEXT NOT NULL REFERENCES quantity(name),
    round INTEGER NOT NULL CHECK (round IN (1, 2)),
    judgement TEXT NOT NULL,
    first_at TEXT NOT NULL,
    last_at TEXT NOT NULL,
    changes INTEGER NOT NULL DEFAULT 0,
    UNIQUE (token, quantity, round)
);
CREATE TABLE IF NOT EXISTS calibration (
    name TEXT PRIMARY KEY,
    question TEXT NOT NULL,
    answer REAL NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS calibration_answer (
    token TEXT NOT NULL REFERENCES participant(token),
    name TEXT NOT NULL REFERENCES calibration(name),
    low REAL NOT NULL,
    likely REAL NOT NULL,
    high REAL NOT NULL,
    at TEXT NOT NULL,
    UNIQUE (token, name)
);
CREATE TABLE IF NOT EXISTS event (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    what TEXT NOT NULL,
    detail TEXT NOT NULL
);
"""


def now() -> str:
    """The time in UTC, to the microsecond (answers from one moment still sort)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


class Store:
    """One workshop's SQLite file. Each method opens its own connection: safe from any thread."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.is_dir():
            raise DecideError(f"{self.path} is a folder; give a file name for the workshop's store, e.g. "
                              f"{self.path / 'workshop.sqlite'}")

    @contextlib.contextmanager
    def _connect(self, write: bool):
        try:
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise DecideError(f"cannot open the workshop store {self.path}: {exc}; choose another --store") from None
        try:
            con.execute("PRAGMA busy_timeout = 30000")
            con.execute("PRAGMA foreign_keys = ON")
            if write:
                con.execute("BEGIN IMMEDIATE")  # one writer at a time, so checks and writes see the same state
            try:
                yield con
            except BaseException:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise
            if con.in_transaction:
                con.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            raise DecideError(f"the workshop store {self.path} could not be used: {exc}; check the file and its folder "
                              "are writable, or give another --store") from None
        except sqlite3.DatabaseError as exc:
            raise DecideError(f"{self.path} is not a workshop store decide can read ({exc}); give the file written by "
                              "`decide workshop --store`, or a new name") from None
        finally:
            con.close()

    # --- creating and opening ------------------------------------------------------------------

    def exists(self) -> bool:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return False
        with self._connect(write=False) as con:
            return con.execute("SELECT name FROM sqlite_master WHERE name = 'session'").fetchone() is not None

    def create(self, *, case_path: str, case_sha256: str, case_text: str, code: str, facilitator_key: str) -> None:
        """A new session (refused if this store already holds one: it is never overwritten)."""
        with self._connect(write=False) as con:
            con.execute("PRAGMA journal_mode = WAL")  # kept in the file: every later connection uses it
        with self._connect(write=True) as con:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    con.execute(statement)
            if con.execute("SELECT 1 FROM session").fetchone():
                raise DecideError(f"{self.path} already holds a workshop; open it again with --store {self.path}, or "
                                  "give a new file name to start another")
            con.execute("INSERT INTO session VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (LAYOUT, case_path, case_sha256, case_text, code, facilitator_key, STAGES[0], now()))
            _log(con, "workshop started", {"case": case_path, "case_sha256": case_sha256})

    def session(self) -> dict:
        with self._connect(write=False) as con:
            con.row_factory = sqlite3.Row
            row = con.execute("SELECT * FROM session").fetchone()
        if row is None:
            raise DecideError(f"{self.path} holds no workshop; start one with `decide workshop CASE.yaml`")
        if row["layout"] != LAYOUT:
            raise DecideError(f"{self.path} was written by another version of decide (layout {row['layout']}); open it "
                              "with that version")
        return dict(row)

    # --- changes -------------------------------------------------------------------------------

    def set_quantities(self, names: list[str]) -> None:
        with self._connect(write=True) as con:
            _need_stage(con, ("choosing",), "choose the quantities")
            con.execute("DELETE FROM quantity")
            con.executemany("INSERT INTO quantity VALUES (?, ?)", [(n, i) for i, n in enumerate(names)])
            _log(con, "quantities chosen", {"quantities": names})

    def set_calibration(self, items: list[dict]) -> None:
        """The calibration questions (known answers), fixed before round 1."""
        with self._connect(write=True) as con:
            _need_stage(con, ("choosing",), "set the calibration questions")
            con.execute("DELETE FROM calibration")
            con.executemany("INSERT INTO calibration VALUES (?, ?, ?, ?, ?, ?)",
                            [(c["name"], c["question"], c["answer"], c["kind"], c["source"], i) for i, c in enumerate(items)])
            _log(con, "calibration questions set", {"questions": [c["name"] for c in items]})

    def calibration(self) -> list[dict]:
        with self._connect(write=False) as con:
            rows = con.execute("SELECT name, question, answer, kind, source FROM calibration ORDER BY position").fetchall()
        return [dict(zip(("name", "question", "answer", "kind", "source"), r)) for r in rows]

    def put_calibration_answer(self, token: str, name: str, low: float, likely: float, high: float) -> None:
        """A calibration answer, only in round 1 (after it, the known answers are shown)."""
        with self._connect(write=True) as con:
            _need_stage(con, ("round 1",), "answer the calibration questions")
            if con.execute("SELECT 1 FROM participant WHERE token = ?", (token,)).fetchone() is None:
                raise DecideError("you have not joined this workshop; join with the session code and a role first")
            if con.execute("SELECT 1 FROM calibration WHERE name = ?", (name,)).fetchone() is None:
                raise DecideError(f"'{name}' is not one of this workshop's calibration questions")
            con.execute("INSERT INTO calibration_answer VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (token, name) DO UPDATE SET "
                        "low = excluded.low, likely = excluded.likely, high = excluded.high, at = excluded.at",
                        (token, name, low, likely, high, now()))

    def calibration_answers(self) -> list[dict]:
        with self._connect(write=False) as con:
            rows = con.execute("SELECT p.role, c.name, c.low, c.likely, c.high, c.at FROM calibration_answer c "
                               "JOIN participant p USING (token) ORDER BY c.at, p.role").fetchall()
        return [dict(zip(("role", "name", "low", "likely", "high", "at"), r)) for r in rows]

    def quantities(self) -> list[str]:
        with self._connect(write=False) as con:
            return [r[0] for r in con.execute("SELECT name FROM quantity ORDER BY position")]

    def advance(self, to: str, detail: dict, *, check=None) -> None:
        """Move to the next stage (only from the one before it), logging what was shown then.

        ``check(connection)`` runs inside the same transaction, before the move."""
        with self._connect(write=True) as con:
            stage = con.execute("SELECT stage FROM session").fetchone()[0]
            if STAGES.index(to) != STAGES.index(stage) + 1:
                raise DecideError(f"the workshop is at '{stage}'; it cannot move to '{to}' from there")
            if check is not None:
                check(con)
            con.execute("UPDATE session SET stage = ?", (to,))
            _log(con, f"moved to {to}", detail)

    def join(self, token: str, role: str) -> None:
        with self._connect(write=True) as con:
            taken = con.execute("SELECT token FROM participant WHERE role = ?", (role,)).fetchone()
            if taken and taken[0] != token:
                raise DecideError(f"the role '{role}' is already taken in this workshop; if two people share a role, "
                                  f"add a number (e.g. '{role} 2')")
            if taken:
                return
            con.execute("INSERT INTO participant VALUES (?, ?, ?)", (token, role, now()))
            _log(con, "joined", {"role": role})

    def role_of(self, token: str) -> str | None:
        with self._connect(write=False) as con:
            row = con.execute("SELECT role FROM participant WHERE token = ?", (token,)).fetchone()
        return row[0] if row else None

    def roles(self) -> list[str]:
        with self._connect(write=False) as con:
            return [r[0] for r in con.execute("SELECT role FROM participant ORDER BY joined_at, role")]

    def put_answer(self, token: str, quantity: str, judgement: dict) -> int:
        """Store an answer for the round now open (replacing this person's earlier answer to it); returns the round."""
        text = json.dumps(judgement, sort_keys=True)
        with self._connect(write=True) as con:
            stage = _need_stage(con, ("round 1", "round 2"), "answer")
            rnd = int(stage[-1])
            if con.execute("SELECT 1 FROM participant WHERE token = ?", (token,)).fetchone() is None:
                raise DecideError("you have not joined this workshop; join with the session code and a role first")
            if con.execute("SELECT 1 FROM quantity WHERE name = ?", (quantity,)).fetchone() is None:
                raise DecideError(f"'{quantity}' is not one of the quantities of this workshop")
            at = now()
            con.execute(
                "INSERT INTO answer (token, quantity, round, judgement, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (token, quantity, round) DO UPDATE SET judgement = excluded.judgement, "
                "last_at = excluded.last_at, changes = changes + (answer.judgement != excluded.judgement)",
                (token, quantity, rnd, text, at, at))
        return rnd

    def answers(self, round_: int | None = None) -> list[dict]:
        """Every answer (of one round, or all), with the role that gave it, oldest first."""
        query = ("SELECT p.role, a.quantity, a.round, a.judgement, a.first_at, a.last_at, a.changes FROM answer a "
                 "JOIN participant p USING (token)" + (" WHERE a.round = ?" if round_ else "")
                 + " ORDER BY a.round, a.first_at, p.role, a.quantity")
        with self._connect(write=False) as con:
            rows = con.execute(query, (round_,) if round_ else ()).fetchall()
        return [{"role": r[0], "quantity": r[1], "round": r[2], "judgement": json.loads(r[3]), "first_at": r[4],
                 "last_at": r[5], "changes": r[6]} for r in rows]

    def log(self, what: str, detail: dict) -> None:
        with self._connect(write=True) as con:
            _log(con, what, detail)

    def events(self) -> list[dict]:
        with self._connect(write=False) as con:
            rows = con.execute("SELECT at, what, detail FROM event ORDER BY id").fetchall()
        return [{"at": r[0], "what": r[1], "detail": json.loads(r[2])} for r in rows]


def _log(con, what: str, detail: dict) -> None:
    con.execute("INSERT INTO event (at, what, detail) VALUES (?, ?, ?)", (now(), what, json.dumps(detail, sort_keys=True)))


def _need_stage(con, stages: tuple[str, ...], doing: str) -> str:
    stage = con.execute("SELECT stage FROM session").fetchone()[0]
    if stage not in stages:
        when = " or ".join(f"'{s}'" for s in stages)
        raise DecideError(f"the workshop is at '{stage}'; you can {doing} only at {when}")
    return stage
