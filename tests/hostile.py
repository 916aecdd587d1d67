"""The catalogue of bad and hostile inputs: one harness that every area's list runs through.

Each entry is a :class:`Entry`: files to write into a fresh folder, a command line for
``decide`` and what must happen: ``"refused"`` (a clear message on stderr and exit status 2)
or ``"valid"`` (exit 0). Every entry, whatever its expectation, must also end with no
traceback, within its time limit, with no NaN or inf in anything written or printed, and with
every file the user gave unchanged. Commands run in-process through ``decide.cli.main`` (the
real argument parser and error handling) so 250+ entries stay cheap.

The areas (case files, evidence, audit CSVs, records, arguments...) each keep their entries in
``tests/catalogue/<area>.py`` as a list named ``ENTRIES``; ``tests/test_catalogue.py`` runs
them all and prints the catalogue's size and classes at the end of the test run.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import os
import re
import signal
import stat
from dataclasses import dataclass, field
from pathlib import Path

#: What every refusal message must contain at least: a word naming what is wrong.
_NON_FINITE = re.compile(r"(?<![A-Za-z])(nan|NaN|inf|-inf|Infinity)(?![A-Za-z])")


@dataclass(frozen=True)
class Entry:
    """One bad (or valid-but-odd) input and what must happen to it."""

    id: str  # short unique name, e.g. "case/chance-nan"
    klass: str  # the class of input, e.g. "non-finite number", "formula injection", "forged record"
    argv: list[str]  # command line after 'decide'; '{dir}' is replaced by the entry's folder
    expect: str = "refused"  # "refused" (exit 2, clear message) or "valid" (exit 0)
    files: dict[str, str | bytes] = field(default_factory=dict)  # relative path -> content
    message: str | None = None  # a regular expression the refusal message must match (case-insensitive)
    readonly: tuple[str, ...] = ()  # files (relative) to make read-only before running
    timeout: float = 10  # seconds
    setup: object = None  # optional callable(folder: Path) run after writing files (e.g. to sign a record)

    def __post_init__(self):
        # A misplaced positional argument (files given where expect belongs) must not pass as "valid".
        if self.expect not in ("refused", "valid") or not isinstance(self.klass, str) or not isinstance(self.files, dict):
            raise TypeError(f"catalogue entry {self.id!r}: expect must be 'refused' or 'valid', got {self.expect!r:.60}")


@dataclass
class Outcome:
    status: int
    stdout: str
    stderr: str


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "<missing>"


class _Timeout(Exception):
    pass


#: The clock may run this many times an entry's limit of computing time before the entry counts as hung.
WAIT_FACTOR = 6


def run(entry: Entry, folder: Path) -> Outcome:
    """Write the entry's files into folder, run the command in-process, and check the promises
    every run must keep. Raises AssertionError naming what went wrong."""
    from decide.cli import main

    _warm_up()
    folder.mkdir(parents=True, exist_ok=True)
    for rel, content in entry.files.items():
        p = folder / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
    if entry.setup is not None:
        entry.setup(folder)
    for rel in entry.readonly:
        p = folder / rel
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    given = {p: _digest(p) for p in folder.rglob("*") if p.is_file()}
    argv = [a.replace("{dir}", str(folder)) for a in entry.argv]

    out, err = io.StringIO(), io.StringIO()

    def on_alarm(signum, frame):
        raise _Timeout("of computing" if signum == signal.SIGPROF else "in all")

    # The limit is on the time spent computing (CPU, every thread), so a busy machine does not turn a
    # quick refusal into a 'hang'; a generous limit on the clock catches waiting that computes nothing.
    old = signal.signal(signal.SIGALRM, on_alarm)
    old_prof = signal.signal(signal.SIGPROF, on_alarm)
    signal.setitimer(signal.ITIMER_PROF, entry.timeout)
    signal.setitimer(signal.ITIMER_REAL, entry.timeout * WAIT_FACTOR)
    cwd = os.getcwd()
    try:
        os.chdir(folder)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(argv)
            except SystemExit as exc:  # argparse's own refusals exit 2 with a usage message
                status = exc.code if isinstance(exc.code, int) else 2
    except _Timeout as exc:
        limit = entry.timeout if str(exc) == "of computing" else entry.timeout * WAIT_FACTOR
        raise AssertionError(f"{entry.id}: took longer than {limit} s {exc} (a hang)") from None
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        signal.signal(signal.SIGPROF, old_prof)
        os.chdir(cwd)
    result = Outcome(status, out.getvalue(), err.getvalue())

    assert "Traceback" not in result.stderr, f"{entry.id}: traceback\n{result.stderr[-2000:]}"
    for p, before in given.items():
        assert _digest(p) == before, f"{entry.id}: the user's file {p.relative_to(folder)} was changed"
    if entry.expect == "refused":
        assert result.status == 2, f"{entry.id}: expected a refusal (exit 2), got exit {result.status}\n{result.stdout[-1500:]}{result.stderr[-1500:]}"
        assert result.stderr.strip(), f"{entry.id}: refused without a message"
        if entry.message:
            assert re.search(entry.message, result.stderr, re.IGNORECASE), (
                f"{entry.id}: message does not match {entry.message!r}:\n{result.stderr[-1500:]}"
            )
    else:
        assert result.status == 0, f"{entry.id}: expected success, got exit {result.status}\n{result.stderr[-2000:]}"
        assert not _NON_FINITE.search(result.stdout), f"{entry.id}: NaN or inf printed\n{result.stdout[-1500:]}"
    for p in folder.rglob("*"):
        if p.is_file() and p not in given and p.suffix in (".csv", ".html", ".json", ".txt"):
            text = p.read_text(encoding="utf-8", errors="replace")
            if p.suffix == ".html":
                text = re.sub(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+", "", text)
            assert not _NON_FINITE.search(text), f"{entry.id}: NaN or inf written into {p.name}"
            if p.suffix == ".csv":
                for line in text.splitlines():
                    for cell in _csv_cells(line):
                        assert not ((cell[:1] != "" and cell[:1] in "=+@\t\r") or (cell[:1] == "-" and not _is_number(cell))), (
                            f"{entry.id}: {p.name} has a cell a spreadsheet would run as a formula: {cell[:40]!r}"
                        )
    if entry.expect == "refused":
        made = [p for p in folder.rglob("*") if p.is_file() and p not in given]
        assert not made, f"{entry.id}: refused, but wrote {[str(p.relative_to(folder)) for p in made]} (partial output)"
    return result


_WARM = []


def _warm_up() -> None:
    """Import and compile the heavy libraries once, before any entry's clock starts: the time limit
    is for the entry's own work, not for a first import of PyMC or preliz on a busy machine."""
    if _WARM:
        return
    import matplotlib.pyplot  # noqa: F401

    import decide.cli  # noqa: F401
    from decide.frame import Decision
    from decide.simulate import simulate

    case = {
        "question": "warm-up", "date": "2026-01-01", "decided_by": ["tester"],
        "quantities": [{"name": "rate", "kind": "probability", "judgement": {"verbal": "likely"}},
                       {"name": "size", "kind": "magnitude", "judgement": {"low": 20, "likely": 30, "high": 40}}],
        "options": [{"name": name, "outcomes": [{"name": "x", "kind": "harm", "chance": "rate", "horizon": "1 year",
                                                  "magnitude": "size"}]} for name in ("a", "b")],
    }
    simulate(Decision.from_dict(case), 200, seed=1)
    _WARM.append(True)


def _csv_cells(line: str) -> list[str]:
    import csv

    return next(csv.reader([line]), [])


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def all_entries() -> list[Entry]:
    """Every entry in tests/catalogue/*.py, checked for unique ids."""
    import importlib.util

    entries: list[Entry] = []
    import sys

    folder = Path(__file__).parent / "catalogue"
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        spec = importlib.util.spec_from_file_location(f"catalogue_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        entries.extend(module.ENTRIES)
    ids = [e.id for e in entries]
    dups = {i for i in ids if ids.count(i) > 1}
    assert not dups, f"catalogue ids used twice: {sorted(dups)}"
    return entries
