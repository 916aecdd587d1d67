"""Run the catalogue of bad and hostile inputs (tests/catalogue/) through the real command line.

At the end of the run the catalogue's size and classes are printed (see conftest.py)."""

from __future__ import annotations

import collections

import pytest

from hostile import all_entries, run

ENTRIES = all_entries()
SIZE = collections.Counter(e.klass for e in ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
def test_catalogue_entry(entry, tmp_path):
    run(entry, tmp_path / "work")


def test_catalogue_is_large_enough():
    assert len(ENTRIES) >= 250, f"the catalogue holds {len(ENTRIES)} entries; the aim is at least 250"


def _entry(seconds: float):
    from hostile import Entry

    return Entry(id="harness/spin", klass="valid input", argv=["check", "x.yaml"], expect="valid", timeout=seconds)


def test_an_entry_that_computes_too_long_is_a_hang(tmp_path, monkeypatch):
    """The limit counts computing time, so a loop that never ends is caught at the entry's limit."""
    import decide.cli

    def spin(argv):
        while True:
            sum(range(1000))

    monkeypatch.setattr(decide.cli, "main", spin)
    with pytest.raises(AssertionError, match=r"longer than 1 s of computing \(a hang\)"):
        run(_entry(1), tmp_path / "work")


def test_an_entry_that_waits_without_computing_is_a_hang_on_the_clock(tmp_path, monkeypatch):
    """Waiting computes nothing, so the clock's wider limit (WAIT_FACTOR times the entry's) catches it."""
    import time

    import decide.cli
    from hostile import WAIT_FACTOR

    monkeypatch.setattr(decide.cli, "main", lambda argv: time.sleep(3600))
    with pytest.raises(AssertionError, match=rf"longer than {0.25 * WAIT_FACTOR:g} s in all \(a hang\)"):
        run(_entry(0.25), tmp_path / "work")
