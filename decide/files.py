"""Reading and writing the user's files safely.

Two promises: no file the user gave us is ever written (with or without ``--force``), and a
command checks every output path before it writes anything, so a refusal leaves nothing
half-written. CSV output is made safe to open in a spreadsheet.
"""

from __future__ import annotations

import os
from pathlib import Path

from decide.errors import DecideError

#: What a spreadsheet reads as the start of a formula (OWASP's CSV injection rule).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plan_outputs(outputs, *, inputs=(), force: bool = False) -> list[Path]:
    """Check every output path of a command before any is written; return them as Paths.

    Refuses (with a message naming the path and the fix): an output that is one of the
    inputs, even with --force; two outputs with the same path; an existing file without
    --force; an existing folder; a parent that is a file or is not writable.
    """
    planned: list[Path] = []
    given = [Path(p) for p in inputs if p is not None]
    for out in outputs:
        if out is None:
            continue
        if str(out).endswith(("/", os.sep)):  # Path() drops the slash, and "newdir/" would become a file "newdir"
            raise DecideError(f"{out} names a folder; give a file name for the output, e.g. {Path(out) / 'report.html'}")
        path = Path(out)
        for src in given:
            if _same_file(path, src):
                raise DecideError(
                    f"{path} is the file you gave as input; decide never writes over its input, even with "
                    "--force. Choose another output name with -o"
                )
        if any(_same_file(path, p) for p in planned):
            raise DecideError(f"{path} is named for two outputs; give each output its own name")
        if path.is_dir():
            raise DecideError(f"{path} is a folder; give a file name for the output, e.g. {path / 'report.html'}")
        refuse_special_file(path)  # a device, a pipe, a socket: --force must never replace one
        if path.exists() and not force:
            raise DecideError(f"{path} already exists; choose another name with -o, or pass --force to replace it")
        parent = _existing_parent(path)
        if not parent.is_dir():
            raise DecideError(f"cannot write {path}: {parent} is a file, not a folder; choose another output path")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise DecideError(f"cannot write {path}: the folder {parent} is not writable; choose another output path")
        if path.exists() and not os.access(path, os.W_OK):
            raise DecideError(f"cannot replace {path}: it is read-only; choose another output path")
        planned.append(path)
    return planned


def refuse_special_file(path: Path) -> None:
    """Refuses an output path that exists and is not an ordinary file (a device, pipe or socket)."""
    if path.exists() and not path.is_file():
        raise DecideError(f"{path} is not an ordinary file (a device, pipe or socket); decide writes only to "
                          "ordinary files: choose another output path")


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _existing_parent(path: Path) -> Path:
    """The nearest folder (or file) above path that exists; output folders are created below it."""
    parent = path.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return parent


def read_small_file(path, *, what: str, limit: int, too_large: str, missing_hint: str, folder_hint: str = "") -> bytes:
    """The bytes of a file decide reads whole (a record, a key), refusing a folder, a missing or
    unreadable file, and one far larger than any such file (so a wrong path cannot fill memory).

    ``too_large`` says why the size is wrong; ``{size}`` and ``{limit}`` in it are filled in."""
    path = Path(path)
    try:
        if path.is_dir():
            raise DecideError(f"{path} is a folder, not a {what} file{folder_hint}")
        if path.exists() and not path.is_file():  # a pipe would wait for ever, /dev/zero never end
            raise DecideError(f"{path} is not an ordinary file (a device, pipe or socket), not a {what} file")
        size = path.stat().st_size
        if size > limit:
            raise DecideError(f"{path}: {size:,} bytes " + too_large.format(size=size, limit=limit))
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)  # the size can change between the look and the read
        if len(data) > limit:
            raise DecideError(f"{path}: more than {limit:,} bytes " + too_large.format(size=len(data), limit=limit))
        return data
    except FileNotFoundError:
        raise DecideError(f"{path}: no such {what} file; {missing_hint}") from None
    except PermissionError:
        raise DecideError(f"{path}: cannot read this {what} file (permission denied)") from None
    except OSError as exc:
        raise DecideError(f"{path}: cannot read this {what} file ({exc.strerror or exc})") from None


def spreadsheet_safe(value):
    """A cell that a spreadsheet will show as text, never run as a formula.

    Text beginning with = + - @ tab or carriage return gets a leading apostrophe (OWASP's rule);
    numbers, including negative ones, are left untouched.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_csv(table, **to_csv_kwargs) -> str:
    """A pandas table as CSV text with every text cell, index label and header neutralised."""
    import pandas as pd

    df = table.copy()
    obj_cols = [c for c in df.columns if df[c].dtype == object or isinstance(df[c].dtype, pd.StringDtype)]
    for c in obj_cols:
        df[c] = df[c].map(spreadsheet_safe)
    df.columns = _safe_index(df.columns)
    df.index = _safe_index(df.index)
    return df.to_csv(**to_csv_kwargs)


def _safe_index(index):
    import pandas as pd

    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples([tuple(spreadsheet_safe(v) for v in t) for t in index], names=index.names)
    return pd.Index([spreadsheet_safe(v) for v in index], name=spreadsheet_safe(index.name))
