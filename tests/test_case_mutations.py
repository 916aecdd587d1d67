"""Property test: any small corruption of an example case file or evidence file is either
accepted or refused clearly -- never a traceback, never NaN or inf printed, never a changed file.

Each example is a real file from data/; hypothesis picks one scalar (or key, or line) and breaks
it the way a careless or hostile user might: NaN, infinity, a huge or negative number, a yes/no,
text, null, a list; a key deleted or written twice; the file cut short. Every run goes through
the real command line (`decide check`, `decide compare --draws 300`, `decide evidence`).
"""

from __future__ import annotations

import contextlib
import copy
import io
import math
import signal
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostile import _NON_FINITE, _digest

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "data" / "cases").glob("*.yaml"))
EVIDENCE = sorted((ROOT / "data" / "evidence").glob("*.csv"))

#: What a scalar may be replaced with.
BAD_VALUES = [math.nan, math.inf, -math.inf, 1e308, -1e308, 1e7, -3.0, 0, True, False, "x", "", None, [1, 2], {"a": 1}]


def _scalar_paths(data, prefix=()):
    """Every path to a scalar (text, number, date, yes/no) in the parsed file."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _scalar_paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _scalar_paths(v, (*prefix, i))
    else:
        yield prefix


def _key_paths(data, prefix=()):
    """Every (mapping path, key) pair: the keys that could be deleted."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield prefix, k
            yield from _key_paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _key_paths(v, (*prefix, i))


def _at(data, path):
    for k in path:
        data = data[k]
    return data


@st.composite
def mutated_case(draw):
    """(name of the example, text of the mutated case file, what was done)."""
    path = draw(st.sampled_from(CASES))
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    how = draw(st.sampled_from(["replace", "replace", "replace", "delete", "duplicate", "truncate"]))
    if how == "replace":
        target = draw(st.sampled_from(list(_scalar_paths(data))))
        value = draw(st.sampled_from(BAD_VALUES))
        changed = copy.deepcopy(data)
        _at(changed, target[:-1])[target[-1]] = copy.deepcopy(value)
        return path.name, yaml.safe_dump(changed, sort_keys=False, allow_unicode=True), f"{target} -> {value!r}"
    if how == "delete":
        parent, key = draw(st.sampled_from(list(_key_paths(data))))
        changed = copy.deepcopy(data)
        del _at(changed, parent)[key]
        return path.name, yaml.safe_dump(changed, sort_keys=False, allow_unicode=True), f"deleted {(*parent, key)}"
    lines = text.splitlines(keepends=True)
    if how == "duplicate":
        keyed = [i for i, line in enumerate(lines) if ":" in line and not line.lstrip().startswith("#")]
        i = draw(st.sampled_from(keyed))
        return path.name, "".join(lines[: i + 1] + [lines[i]] + lines[i + 1 :]), f"line {i + 1} written twice"
    cut = draw(st.integers(0, len(text) - 1))
    return path.name, text[:cut], f"cut at character {cut}"


def _run(argv, folder: Path, given_file: Path, timeout: int = 30):
    """Run decide in-process; return (status, stdout, stderr) after checking the promises."""
    from decide.cli import main

    before = _digest(given_file)
    out, err = io.StringIO(), io.StringIO()

    def on_alarm(signum, frame):
        raise TimeoutError(f"decide {' '.join(argv)} took longer than {timeout} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(timeout)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main([a.replace("{dir}", str(folder)) for a in argv])
            except SystemExit as exc:
                status = exc.code if isinstance(exc.code, int) else 2
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    stdout, stderr = out.getvalue(), err.getvalue()
    assert status in (0, 2), f"exit {status}\n{stderr[-2000:]}"
    assert "Traceback" not in stderr, stderr[-2000:]
    assert _digest(given_file) == before, "the user's file was changed"
    if status == 0:
        assert not _NON_FINITE.search(stdout), f"NaN or inf printed:\n{stdout[-2000:]}"
    else:
        assert stderr.strip(), "refused without a message"
    return status, stdout, stderr


@pytest.fixture(scope="module", autouse=True)
def _warm():
    """Load preliz and the simulation once, outside the per-run time limit."""
    from decide.judge import _preliz

    _preliz()
    import decide.compare  # noqa: F401
    import decide.evidence  # noqa: F401
    import decide.simulate  # noqa: F401


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_case())
def test_a_mutated_case_is_accepted_or_refused_clearly(case):
    name, text, what = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / name
        path.write_text(text, encoding="utf-8")
        status, _, stderr = _run(["check", str(path)], folder, path)
        if status == 2:
            assert name in stderr, f"{what}: the message does not name the file:\n{stderr}"
        status_compare, _, _ = _run(["compare", str(path), "--draws", "300"], folder, path)
        assert status_compare == status, f"{what}: check said {status}, compare said {status_compare}"
        assert sorted(p.name for p in folder.iterdir()) == [name], f"{what}: compare wrote a file"


@st.composite
def mutated_evidence(draw):
    path = draw(st.sampled_from(EVIDENCE))
    lines = path.read_text(encoding="utf-8").splitlines()
    import csv

    rows = list(csv.reader(lines))
    how = draw(st.sampled_from(["cell", "cell", "cell", "drop-field", "drop-line", "duplicate-line", "truncate"]))
    if how == "cell":
        i = draw(st.integers(0, len(rows) - 1))
        j = draw(st.integers(0, len(rows[i]) - 1))
        rows[i][j] = draw(st.sampled_from(["nan", "inf", "-inf", "-1", "1e400", "1e30", "2.5", "", "x", "=1+1", "0", "yes"]))
    elif how == "drop-field":
        i = draw(st.integers(0, len(rows) - 1))
        j = draw(st.integers(0, len(rows[i]) - 1))
        del rows[i][j]
    elif how == "drop-line":
        del rows[draw(st.integers(0, len(rows) - 1))]
    elif how == "duplicate-line":
        i = draw(st.integers(1, len(rows) - 1))
        rows.insert(i, list(rows[i]))
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    text = buf.getvalue()
    if how == "truncate":
        text = text[: draw(st.integers(0, len(text) - 1))]
    return path.name, text, how


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_evidence())
def test_a_mutated_evidence_file_is_accepted_or_refused_clearly(case):
    name, text, how = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / name
        path.write_text(text, encoding="utf-8")
        status, _, stderr = _run(["evidence", str(path)], folder, path)
        if status == 2:
            assert name in stderr, f"{how}: the message does not name the file:\n{stderr}"
