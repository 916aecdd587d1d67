"""decide.files: outputs go only to ordinary files, and files read whole (records, keys) are ordinary and small.
A device, a pipe or a socket given by mistake must be refused at once: --force replacing /dev/null (as root) or a
records folder holding a pipe named *.json (a read that waits for ever) are what these guard against."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from decide.errors import DecideError
from decide._html import write_new
from decide.files import plan_outputs, read_small_file

ROOT = Path(__file__).resolve().parents[1]


def _small(path):
    return read_small_file(path, what="record", limit=1000, too_large="is too large for a record",
                           missing_hint="check the path")


def test_force_never_replaces_a_pipe(tmp_path):
    pipe = tmp_path / "report.html"
    os.mkfifo(pipe)
    with pytest.raises(DecideError, match=r"report.html is not an ordinary file \(a device, pipe or socket\)"):
        plan_outputs([pipe], force=True)
    assert pipe.exists() and not pipe.is_file()


def test_force_never_replaces_a_device(tmp_path):
    link = tmp_path / "out.html"
    link.symlink_to("/dev/null")
    with pytest.raises(DecideError, match="not an ordinary file"):
        plan_outputs([link], force=True)
    assert Path("/dev/null").is_char_device()


def test_an_ordinary_file_is_still_replaced_with_force(tmp_path):
    out = tmp_path / "report.html"
    out.write_text("old")
    assert plan_outputs([out], force=True) == [out]


def test_a_pipe_or_an_endless_device_is_refused_when_read_whole(tmp_path):
    pipe = tmp_path / "x.json"
    os.mkfifo(pipe)
    with pytest.raises(DecideError, match="not an ordinary file"):
        _small(pipe)  # without the check this waits for a writer for ever
    zero = tmp_path / "y.json"
    zero.symlink_to("/dev/zero")
    with pytest.raises(DecideError, match="not an ordinary file"):
        _small(zero)  # and this reads without end


def test_a_file_over_the_limit_is_refused(tmp_path):
    big = tmp_path / "big.json"
    big.write_bytes(b"x" * 1001)
    with pytest.raises(DecideError, match="too large for a record"):
        _small(big)
    ok = tmp_path / "ok.json"
    ok.write_bytes(b"x" * 1000)
    assert _small(ok) == b"x" * 1000


def test_verify_of_a_folder_holding_a_pipe_ends_with_a_message(tmp_path):
    """Through the command line, with a time limit: the pipe is named as a problem, nothing hangs."""
    folder = tmp_path / "records"
    folder.mkdir()
    os.mkfifo(folder / "case_2026-01-01_abc.json")
    proc = subprocess.run([sys.executable, "-m", "decide", "verify", str(folder)], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert "Traceback" not in proc.stderr
    assert "not an ordinary file" in proc.stdout + proc.stderr


def test_writing_a_report_never_renames_over_a_device(tmp_path):
    link = tmp_path / "out.html"
    link.symlink_to("/dev/null")
    with pytest.raises(DecideError, match="not an ordinary file"):
        write_new(link, "<html></html>", force=True)
    assert Path("/dev/null").is_char_device()


def test_an_output_named_with_a_trailing_slash_is_a_folder_not_a_file(tmp_path):
    with pytest.raises(DecideError, match=r"newdir/ names a folder; give a file name"):
        plan_outputs([f"{tmp_path}/newdir/"])
    assert not (tmp_path / "newdir").exists()
