"""Reading the referrals: a CSV into pandas with checks that name the line (:func:`read_referrals`), or files,
globs and tables from Python into a query engine without loading them (:func:`open_table`).

Only this module and :mod:`decide.audit.counting` know about engines.
"""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path

import numpy as np

from decide.audit.common import _NA_TEXT, _listing, _suggest
from decide.errors import DecideError

# ----------------------------------------------------------------------------------------------
# Reading a CSV, with checks
# ----------------------------------------------------------------------------------------------

_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}


def _cut_short(path) -> str:
    return f"{path}: the gzip file is cut short (corrupt, or still being copied): copy it again"


def _sniff_csv(path: Path, delimiter: str | None, encoding: str | None, notes: list[str]) -> tuple[str, str, str]:
    """The separator and encoding of a CSV file, found from its first 64 kB, and that text; refuses a missing,
    empty or wrongly encoded file and a separator that does not fit the header."""
    if not path.exists():
        raise DecideError(f"{path}: no such file")
    if path.is_dir():
        raise DecideError(f"{path} is a folder, not a CSV file")
    try:
        with _open_bytes(path) as fh:
            head = fh.read(65536)
    except EOFError:
        raise DecideError(_cut_short(path)) from None
    except OSError as exc:  # gzip.BadGzipFile, or a file that cannot be read
        raise DecideError(f"{path}: cannot be read ({exc}); check the file (a .gz name needs a gzip-compressed file)") from None
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
    return delimiter, enc, text_head


def _open_bytes(path: Path):
    """A CSV file opened for reading its bytes; a .gz file uncompressed as it is read (DuckDB reads it so too)."""
    import gzip

    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def _partial_head(path: Path) -> bool:
    """Whether the first 64 kB read by _sniff_csv may end inside a line (a .gz file's size says nothing of it)."""
    return path.stat().st_size > 65000 or path.name.lower().endswith(".gz")


def _checked_csv_head(paths, columns, delimiter, encoding, notes) -> tuple[str, list[str], list[str]]:
    """The first lines of CSV files checked before an engine reads them: the separator, rows with too few or too
    many fields in the first 64 kB named by line (the engine finds later ones), every needed column in the header.
    Returns the separator, the header's names as written and as meant (spaces around them trimmed)."""
    delimiter, _, head = _sniff_csv(paths[0], delimiter, encoding, notes)
    for path in paths:
        text = head if path == paths[0] else _sniff_csv(path, delimiter, encoding, [])[2]
        if _partial_head(path):
            text = text[:text.rfind("\n") + 1]  # whole lines only
        _check_shape(path, text, delimiter)
    raw = next(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter), [])
    names = [f.strip() for f in raw]
    _check_header(paths[0], names, columns)
    return delimiter, raw, names


def _check_header(path, names: list[str], columns, optional=()) -> None:
    """Every needed column present (with a suggestion when not), none named twice."""
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


def read_referrals(path, columns, *, delimiter: str | None = None, encoding: str | None = None,
                   string_columns=(), optional=(), notes: list[str] | None = None) -> "pd.DataFrame":
    """Read the columns an audit needs from a CSV file, with errors that say what to fix.

    The file is only ever opened for reading. ``delimiter=None`` detects comma, semicolon, tab or
    bar from the header (and says so when it is not a comma); ``encoding=None`` means UTF-8 (with
    or without a byte-order mark). ``string_columns`` are read as text, so group codes like
    ``01`` keep their leading zero; ``optional`` columns are read when present. Returns a DataFrame whose index is the data row number
    (0 = the line after the header).
    """
    import pandas as pd

    path = Path(path)
    notes = notes if notes is not None else []
    delimiter, enc, _ = _sniff_csv(path, delimiter, encoding, notes)
    try:
        with _open_bytes(path) as fh:
            text = fh.read().decode(enc, errors="strict")
    except UnicodeDecodeError as exc:
        with _open_bytes(path) as fh:
            raise DecideError(_encoding_message(path, fh.read(), exc, enc)) from None
    except EOFError:  # a .gz file cut short after its first 64 kB
        raise DecideError(_cut_short(path)) from None
    names, lines = _check_shape(path, text, delimiter)
    _check_header(path, names, columns, optional)
    wanted = set(columns) | set(optional)
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




# ----------------------------------------------------------------------------------------------
# Reading where the data live: files and tables as an Ibis table (DuckDB by default)
# ----------------------------------------------------------------------------------------------

_PARQUET = (".parquet", ".pq", ".parq")
_CSV = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")
_TABLES = itertools.count()
_UTF8 = ("utf-8", "utf8", "utf-8-sig", "utf8-sig")


def connect():
    """A fresh in-process DuckDB (the embedded default engine): nothing to install or start, it reads Parquet and
    CSV files in parallel and keeps only the columns a query uses."""
    import ibis

    con = ibis.duckdb.connect()
    con.raw_sql("SET enable_progress_bar = false")  # its bar would be drawn over the command's own output
    return con


def file_paths(source) -> list[Path]:
    """The files a path or a glob names, in order; refuses a path that names none."""
    import glob

    text = str(source)
    if any(ch in text for ch in "*?["):
        found = sorted(Path(p) for p in glob.glob(text, recursive=True))
        if not found:
            raise DecideError(f"{text}: no file matches this pattern; check the folder and the pattern (e.g. data/*.parquet)")
        folders = [p for p in found if p.is_dir()]
        if folders:
            raise DecideError(f"{text}: the pattern matches a folder ({folders[0]}); make it match files only")
        return found
    path = Path(text)
    if not path.exists():
        raise DecideError(f"{path}: no such file")
    if path.is_dir():
        raise DecideError(f"{path} is a folder, not a CSV or Parquet file; to read every file in it give a pattern "
                          f"such as '{path / '*.parquet'}'")
    return [path]


def file_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(_PARQUET):
        return "parquet"
    if name.endswith(_CSV):
        return "csv"
    with open(path, "rb") as fh:
        return "parquet" if fh.read(4) == b"PAR1" else "csv"


def open_table(source, columns, *, delimiter: str | None = None, encoding: str | None = None, string_columns=(),
               notes: list[str] | None = None, con=None, as_text: bool = False, parse_once: bool = True,
               typed_quickly: bool = False):
    """The referrals as an Ibis table and a label for messages, without loading them.

    ``source`` is an Ibis table (used as it is, on its own engine), a pandas, polars or pyarrow table
    (registered with DuckDB, not copied into it), or the path of a Parquet or CSV file or a glob of
    them (read by DuckDB, which reads only the columns a query needs). ``columns`` must exist (a
    refusal names the closest match). A CSV is read as :func:`read_referrals` reads it: separator
    detected from the header, the same texts taken as empty, ``string_columns`` read as text (group
    codes keep leading zeros; 'NA' stays a group's name). ``as_text`` reads every needed column of a
    CSV as text, so that values the type detection did not expect reach the audit's own checks.
    ``parse_once=False`` leaves CSV files as files, parsed on every query: one pass over the rows then costs one
    parse, and :func:`parsed` makes the engine's own copy when more passes are needed.

    Texts meaning 'missing' in a CSV's number columns (read_referrals's list) are missing, whatever the type:
    those columns are read as text, such texts made NULL and the rest cast to the type DuckDB detects with them
    taken as empty (a value that is not such a number stops the query with an engine error). ``typed_quickly``
    reads them as the engine parses them instead, with only an empty field missing (matching each field against
    every such text costs a fifth of the parse): then "nan" and "-nan" (any case) are NaN, which every check of
    the counting takes as missing, as it takes NULL, and any other such text stops the query with an engine error,
    after which the caller opens the file again without it. A needed number column that the type detection reads
    as text is read the careful way straight away.
    """
    notes = notes if notes is not None else []
    if type(source).__module__.startswith("ibis."):
        return _checked(source, columns, "table"), "table"
    if not isinstance(source, (str, Path)):
        import ibis

        kind = type(source).__module__.split(".")[0]
        if kind not in ("pandas", "polars", "pyarrow"):
            raise DecideError(f"cannot audit a {type(source).__name__}: give a pandas, polars or pyarrow table, an Ibis "
                              "table, or the path of a CSV or Parquet file")
        return _checked(ibis.memtable(source), columns, f"{kind} table"), f"{kind} table"
    paths = file_paths(source)
    label = str(source)
    con = con or connect()
    kinds = {file_kind(p) for p in paths}
    if len(kinds) > 1:
        raise DecideError(f"{label}: the pattern matches both CSV and Parquet files; make it match one kind")
    if kinds == {"parquet"}:
        try:
            table = con.read_parquet([str(p) for p in paths])
        except Exception as exc:  # a damaged file, or not Parquet at all
            raise DecideError(f"{label}: not a readable Parquet file: {_first_line(exc)}") from None
        return _checked(table, columns, label), label
    if not read_by_engine(encoding):
        # DuckDB reads UTF-8 only (without downloading an extension): other encodings go through pandas.
        import ibis
        import pandas as pd

        frames = [read_referrals(p, columns, delimiter=delimiter, encoding=encoding, string_columns=string_columns,
                                 notes=notes) for p in paths]
        return ibis.memtable(pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]), label
    delimiter, raw, names = _checked_csv_head(paths, columns, delimiter, encoding, notes)
    if any(r != r.strip() for r in raw):  # DuckDB trims spaces around a header's names: its own names, by position
        found = con.read_csv([str(p) for p in paths], delim=delimiter, header=True, quote='"', escape='"',
                             auto_detect=True).columns
        if len(found) == len(raw) and all(f.strip() == n for f, n in zip(found, names)):
            raw = list(found)
    wanted = [r for r, n in zip(raw, names) if n in columns]
    text = {r for r, n in zip(raw, names) if n in string_columns or as_text}
    numbers = [r for r in wanted if r not in text]

    def read(as_strings, missing=("",)):
        return con.read_csv([str(p) for p in paths], delim=delimiter, header=True, quote='"', escape='"',
                            nullstr=list(missing), force_not_null=sorted(as_strings),
                            types={r: "VARCHAR" for r in as_strings}, auto_detect=True)

    # Only an empty field is missing while parsing: DuckDB would turn any other text meaning 'missing' in a
    # group column into an empty one (losing a group called 'NA'), and matching every field against each such
    # text costs a fifth of the parse. In number columns those texts are dealt with as the docstring says.
    table = read(text)
    cast = {}
    if numbers and (not typed_quickly or any(table[r].type().is_string() for r in numbers)):
        detected = read(text, _NA_TEXT).schema()  # the types found with such texts taken as empty (a sample)
        cast = {r: detected[r] for r in numbers}
        table = read(text | set(numbers))
    na_text = [v for v in _NA_TEXT if v != "NA"]  # as read_referrals: 'NA' may be a real group's name
    cols = {}
    for r in wanted:
        name = r.strip()
        col = table[r]
        if name in string_columns:
            col = col.nullif("") if not na_text else _null_if_in(col, na_text)
        elif as_text or r in cast:
            col = _null_if_in(col, list(_NA_TEXT))
            if r in cast and not cast[r].is_string():
                col = col.cast(cast[r])  # as the parse would read it; a value that is not such a number stops it
        cols[name] = col
    table = table.select(**cols)
    return (parsed(table) if parse_once else table), label


def read_by_engine(encoding: str | None) -> bool:
    """Whether DuckDB reads a CSV file in this encoding itself (UTF-8 only, without downloading an extension);
    other encodings go through pandas."""
    return encoding is None or encoding.lower().replace("_", "-") in _UTF8


def parsed(table):
    """The rows of a CSV file parsed once into the engine's own columns (only the needed ones), for counting that
    takes several passes: parsing text is the slow part of each pass."""
    return table._find_backend().create_table(f"referrals_{next(_TABLES)}", table, temp=True)


def _null_if_in(col, values):
    import ibis

    return ibis.ifelse(col.isin(values), ibis.null("string"), col)


def _checked(table, columns, label: str):
    names = [str(c) for c in table.columns]
    missing = [c for c in columns if c not in names]
    if missing:
        parts = [f"column '{c}' not found{_suggest(c, names)}" for c in missing]
        raise DecideError(f"{label}: " + "; ".join(parts) + f". The columns are: {_listing(names, 30)}")
    return table


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
