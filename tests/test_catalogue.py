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
