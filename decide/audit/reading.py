"""Reading the referrals: a CSV into pandas with checks that name the line (:func:`read_referrals`), or files,
globs and tables from Python into a query engine without loading them (:func:`open_table`).

Only this module and :mod:`decide.audit.counting` know about engines.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from decide.audit.common import _NA_TEXT, _listing, _suggest
from decide.errors import DecideError

# ----------------------------------------------------------------------------------------------
# Reading a CSV, with checks
# ----------------------------------------------------------------------------------------------

_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}


def read_referrals(path, columns, *, delimiter: str | None = None, encoding: str | None = None,
                   string_columns=(), optional=(), notes: list[str] | None = None) -> pd.DataFrame:
    """Read the columns an audit needs from a CSV file, with errors that say what to fix.

    The file is only ever opened for reading. ``delimiter=None`` detects comma, semicolon, tab or
    bar from the header (and says so when it is not a comma); ``encoding=None`` means UTF-8 (with
    or without a byte-order mark). ``string_columns`` are read as text, so group codes like
    ``01`` keep their leading zero; ``optional`` columns are read when present. Returns a DataFrame whose index is the data row number
    (0 = the line after the header).
    """
    path = Path(path)
    notes = notes if notes is not None else []
    if not path.exists():
        raise DecideError(f"{path}: no such file")
    if path.is_dir():
        raise DecideError(f"{path} is a folder, not a CSV file")
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if not head.strip():
        raise DecideError(f"{path} is empty: expected a CSV file with a header line naming the columns")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) and (encoding or "").lower().replace("-", "") not in ("utf16", "utf16le", "utf16be"):
        raise DecideError(f"{path} is saved as UTF-16 (Excel's 'Unicode text'); pass --encoding utf-16, "
                          "or save it from your spreadsheet as 'CSV UTF-8'")
    enc = encoding or "utf-8-sig"
    try:
        text_head = head.decode(enc, errors="strict") if len(head) < 65536 else head[:65000].decode(enc, errors="ignore")
    except LookupError:
        raise DecideError(f"unknown encoding {encoding!r}; common ones are utf-8, cp1252 (Windows), latin-1, utf-16") from None
    except UnicodeDecodeError as exc:
        raise DecideError(_encoding_message(path, head, exc, enc)) from None
    if delimiter in ("\\t", "tab", "TAB"):
        delimiter = "\t"
    if delimiter is not None and (len(delimiter) != 1 or delimiter in "\"\r\n" or delimiter.isalnum()):
        raise DecideError(f"--delimiter must be one separator character such as ',' ';' '|' or '\\t', got {delimiter[:20]!r}")
    header = text_head.splitlines()[0] if text_head.splitlines() else ""
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(counts, key=counts.get)
    if delimiter is None:
        delimiter = best if counts[best] > 0 else ","
        if delimiter != ",":
            notes.append(f"{path.name}: read as {_DELIMITERS[delimiter]}-separated (detected from the header line)")
    elif counts.get(delimiter, header.count(delimiter)) == 0 and counts[best] > 0:
        raise DecideError(f"{path}: the header line has no {_DELIMITERS.get(delimiter, repr(delimiter))} in it but has "
                          f"{counts[best]} {_DELIMITERS[best]}s; the file looks {_DELIMITERS[best]}-separated: "
                          f"pass --delimiter '{best if best != chr(9) else chr(92) + 't'}' (or leave --delimiter out to detect it)")
    try:
        with open(path, "rb") as fh:
            text = fh.read().decode(enc, errors="strict")
    except UnicodeDecodeError as exc:
        with open(path, "rb") as fh:
            raise DecideError(_encoding_message(path, fh.read(), exc, enc)) from None
    names, lines = _check_shape(path, text, delimiter)
    missing = [c for c in columns if c not in names]
    if missing:
        parts = [f"column '{c}' not found{_suggest(c, names)}" for c in missing]
        raise DecideError(f"{path}: " + "; ".join(parts) + f". The file's columns are: {_listing(names, 30)}")
    wanted = set(columns) | set(optional)
    twice = sorted({c for c in names if c in wanted and names.count(c) > 1})
    if twice:
        where = "; ".join(f"'{c}' is columns {', '.join(str(i + 1) for i, n in enumerate(names) if n == c)}" for c in twice)
        raise DecideError(f"{path}: the header names {_listing(twice)} more than once ({where}); the audit will not guess "
                          "which one holds the data: rename or remove the extra column")
    # Group codes are text: 'NA' may be a real group's name (North America, Namibia), so it stays one.
    na = {c: ([v for v in _NA_TEXT if v != "NA"] if c in string_columns else list(_NA_TEXT)) for c in wanted}
    try:
        df = pd.read_csv(io.StringIO(text), sep=delimiter, usecols=lambda c: str(c).strip() in wanted,
                         dtype={c: str for c in string_columns}, low_memory=False, keep_default_na=False,
                         na_values=na, skip_blank_lines=True)
    except (pd.errors.ParserError, ValueError) as exc:
        raise DecideError(f"{path}: not a well-formed {_DELIMITERS.get(delimiter, repr(delimiter))}-separated file: "
                          f"{str(exc)[:200]}") from None
    df.columns = [str(c).strip() for c in df.columns]
    if len(df) == 0:
        raise DecideError(f"{path} has a header line but no data rows")
    df.attrs["source"] = str(path)
    if len(lines) == len(df):
        df.attrs["lines"] = lines  # the file's line number of each data row
    df.attrs["line_offset"] = 2  # data row 0 is line 2 of the file
    return df


def _check_shape(path, text: str, delimiter: str) -> tuple[list[str], np.ndarray]:
    """The header's names, and the line each data record starts on; refuses rows with too few or too many fields.

    pandas pads a short row with empty cells (shifting nothing, but emptying the last columns) and
    either refuses or silently drops a long row's extra fields; either way the row's values may be in
    the wrong columns, so the audit names those lines and stops.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header, starts, bad, prev = None, [], [], 0
    try:
        for record in reader:
            start, prev = prev + 1, reader.line_num
            if not record:
                continue
            if header is None:
                header = [f.strip() for f in record]
                continue
            if len(record) != len(header):
                bad.append((start, len(record)))
            starts.append(start)
    except csv.Error as exc:
        raise DecideError(f"{path}: not a well-formed {_DELIMITERS.get(delimiter, repr(delimiter))}-separated file "
                          f"near line {reader.line_num}: {exc}") from None
    if header is None:
        raise DecideError(f"{path} is empty: expected a CSV file with a header line naming the columns")
    if bad:
        short = [b for b in bad if b[1] < len(header)]
        long = [b for b in bad if b[1] > len(header)]
        parts = []
        for rows, word in ((short, "fewer"), (long, "more")):
            if rows:
                shown = ", ".join(f"line {ln} ({k} fields)" for ln, k in rows[:8]) + (f" and {len(rows) - 8} more" if len(rows) > 8 else "")
                parts.append(f"{len(rows)} row(s) have {word} fields than the header's {len(header)}: {shown}")
        hint = (" Every data row has one more field than the header: is there a separator at the end of each line?"
                if long and len(long) == len(starts) and all(k == len(header) + 1 for _, k in long) else "")
        raise DecideError(f"{path}: " + "; ".join(parts) + ". The audit will not guess which column each value belongs to: "
                          "fix those lines (a missing or extra separator, or a separator inside a value that needs quotes)." + hint)
    return header, np.asarray(starts, dtype=np.int64)


def _encoding_message(path, data: bytes, exc: UnicodeDecodeError, enc: str) -> str:
    # exc.start is relative to the chunk pandas decoded, so find the first bad line ourselves.
    line = None
    for i, raw in enumerate(data.splitlines(), start=1):
        try:
            raw.decode(enc if enc != "utf-8-sig" else "utf-8")
        except UnicodeDecodeError as e:
            line, byte = i, raw[e.start:e.start + 1]
            break
    else:
        byte = exc.object[exc.start:exc.start + 1] if isinstance(exc.object, bytes) else b"?"
    at = f" (byte 0x{byte.hex()} on line {line})" if line else ""
    return (f"{path} is not valid {enc.replace('-sig', '')}{at}; files saved by Excel on Windows are often cp1252: "
            "pass --encoding cp1252 (or latin-1), or save the file as 'CSV UTF-8'")


