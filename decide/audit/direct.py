"""Counting local CSV or Parquet files with DuckDB's own SQL, without Ibis.

The common case of `decide audit FILE`: clean files whose scores lie on a grid of few values (or no score, only a
flag) are counted in one ``GROUP BY`` written here as SQL text, the query the Ibis path of
:mod:`decide.audit.counting` compiles to (a CSV's group texts meaning 'missing' are made empty in the few cells
fetched, not in every row). Importing Ibis and building and compiling its expressions cost about half
a second, as much as DuckDB's count of ten million CSV rows. The files are read with the same options, each column
is coded the same way, and the cells go through the same checks (:func:`decide.audit.counting._counts_from_cells`),
so the table is the same, value for value (tests/test_audit_direct.py runs both paths on many files).

Anything else (an engine's refusal, a column of another type, scores on no grid, an empty or wrong value, a
message to word) gives None, and the caller counts the file the general way, which gives the message.
"""

from __future__ import annotations

import os

import numpy as np

#: DuckDB types read here, and how a fetched column of each is kept (see decide.audit.counting._column).
_INTEGER = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT")
_FLOATING = ("FLOAT", "DOUBLE")
_TEXT = ("VARCHAR",)


def _name(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _texts(values) -> str:
    return ", ".join(_text(v) for v in values)


def _codes(column: str, kind: str) -> str | None:
    """A 0/1 column as one small code per row, as decide.audit.counting._codes writes it (None: a type not read
    here)."""
    from decide.audit.counting import _FALSE, _TRUE

    c = _name(column)
    if kind == "BOOLEAN":
        return f"CASE WHEN {c} THEN 1 WHEN NOT ({c}) THEN 0 ELSE NULL END"
    if kind in _INTEGER:
        return f"LEAST(GREATEST({c}, -1), 2)"
    if kind in _FLOATING:
        x = c if kind == "DOUBLE" else f"CAST({c} AS DOUBLE)"
        return (f"CASE WHEN {x} = 0.0 THEN 0 WHEN {x} = 1.0 THEN 1 WHEN ({x} IS NULL) OR ISNAN({x}) "
                "THEN CAST(NULL AS BIGINT) ELSE -1 END")
    if kind in _TEXT:
        key = f"LOWER(TRIM({c}, {_text(' ' + chr(9) + chr(10) + chr(13) + chr(11) + chr(12))}))"
        return (f"CASE WHEN {key} IN ({_texts(sorted(_TRUE))}) THEN 1 WHEN {key} IN ({_texts(sorted(_FALSE))}) THEN 0 "
                f"WHEN {c} IS NULL THEN CAST(NULL AS BIGINT) ELSE -1 END")
    return None


def _kind(duck_type: str) -> str:
    return "int" if duck_type in _INTEGER else "float" if duck_type in _FLOATING else "object"


def _fetch(con, sql: str, kinds: dict[str, str]) -> dict[str, np.ndarray]:
    from decide.audit.counting import _column

    rows = con.sql(sql).fetchall()
    columns = list(zip(*rows)) if rows else [()] * len(kinds)
    return {name: _column(values, kind) for (name, kind), values in zip(kinds.items(), columns)}


def _csv_source(paths, columns, groups, delimiter, encoding, notes):
    """The SQL that reads the needed columns of CSV files as decide.audit.reading.open_table reads them (with
    ``typed_quickly``), and the SELECT list giving each needed column under its own name; the same checks of the
    first lines and the header first."""
    from decide.audit.reading import _checked_csv_head

    delimiter, raw, names = _checked_csv_head(paths, columns, delimiter, encoding, notes)
    wanted = [r for r, n in zip(raw, names) if n in columns]
    as_text = sorted(r for r, n in zip(raw, names) if n in groups)
    files = f"list_value({_texts(os.path.abspath(p) for p in paths)})"
    types = ", ".join(f"{_name(r)} := 'TEXT'" for r in as_text)
    source = (f"read_csv({files}, (delim = {_text(delimiter)}), (\"header\" = true), (\"quote\" = '\"'), "
              f"(\"escape\" = '\"'), (nullstr = list_value('')), (force_not_null = list_value({_texts(as_text)})), "
              f"(auto_detect = true), (\"types\" = struct_pack({types})))")
    return source, {r.strip(): (r, _name(r)) for r in wanted}


def _empty_groups(cells: dict, groups: list[str]) -> bool:
    """A CSV's group texts that mean 'missing' made empty (None) in the fetched cells, as open_table makes them in
    every row (here once per cell, not once per row); whether any was. Cells whose keys become equal are added up
    by the counting after (decide.audit.counting._sum_cells)."""
    from decide.audit.common import _NA_TEXT

    na_text = [v for v in _NA_TEXT if v != "NA"]  # as read_referrals: 'NA' may be a real group's name
    changed = False
    for i in range(len(groups)):
        values = cells[f"g{i}"]
        empty = np.isin(values, na_text)
        if empty.any():
            values[empty] = None
            changed = True
    return changed


def count_files(paths, *, score, outcome, group, threshold, flag, score_range, drop_missing, max_bins, source,
                delimiter=None, encoding=None):
    """The count table of local CSV or Parquet files (``paths``, all of one kind) by DuckDB's SQL, or None when
    the general way must count them (see the module's help). Raises what the general way raises for a request
    or a file it refuses before reading rows (a missing column, a bad separator)."""
    import duckdb

    from decide.audit.counting import (RAW_CELLS, SAMPLE_ROWS, SPREAD_SEED, _check_request, _on_a_grid,
                                       _raw_prepared, _sum_cells)
    from decide.audit.reading import file_kind, read_by_engine

    groups = [group] if isinstance(group, str) else list(group)
    needed = [c for c in [score, outcome, flag, *groups] if c]
    kinds = {file_kind(p) for p in paths}
    if len(kinds) != 1 or kinds == {"csv"} and not read_by_engine(encoding):
        return None
    notes: list[str] = []
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        csv = kinds == {"csv"}
        if csv:
            rows_sql, select = _csv_source(paths, needed, groups, delimiter, encoding, notes)
        else:
            rows_sql = f"read_parquet(list_value({_texts(os.path.abspath(p) for p in paths)}))"
            select = None
        described = con.sql(f"SELECT * FROM {rows_sql}")
        types = dict(zip(described.columns, (str(t) for t in described.types)))
        if select is None:
            select = {c: _name(c) for c in types}
        else:  # each needed column under its own name, read as text (groups) or as parsed
            if any(raw not in types for raw, _ in select.values()):
                return None  # DuckDB names a column otherwise than its header does (it trims spaces)
            types = {name: types[raw] for name, (raw, _) in select.items()}
            if any(types[c] in _TEXT for c in select if c not in groups):
                return None  # a number column the type detection reads as text: the careful way (see open_table)
            select = {name: expr for name, (_, expr) in select.items()}
        threshold, score_range = _check_request(list(select), source, score=score, outcome=outcome, groups=groups,
                                                threshold=threshold, flag=flag, score_range=score_range)
        if any(types[g] not in _TEXT + _INTEGER for g in groups):
            return None
        table = f"(SELECT {', '.join(f'{expr} AS {_name(n)}' for n, expr in select.items() if n in needed)} FROM {rows_sql})"
        cols = {f"g{i}": _name(g) for i, g in enumerate(groups)}
        kinds_of = {f"g{i}": _kind(types[g]) for i, g in enumerate(groups)}
        for key, column in (("y", outcome), ("f", flag)):
            if column is not None:
                code = _codes(column, types[column])
                if code is None:
                    return None
                cols[key], kinds_of[key] = code, "int"
        keys = [f"g{i}" for i in range(len(groups))] + ["b", "f", "y"]
        work = ", ".join(f"{expr} AS {_name(k)}" for k, expr in cols.items())
        if score is None:
            got = _fetch(con, f"SELECT {', '.join(_name(k) for k in cols)}, 0 AS \"b\", COUNT(*) AS \"n\" FROM "
                         f"(SELECT {work} FROM {table}) GROUP BY ALL", {**kinds_of, "b": "int", "n": "int"})
            if csv and _empty_groups(got, groups):
                got = _sum_cells(got, keys)
            return _finish(got, keys, notes, raw=False, lo_s=None, hi_s=None, finest=None, groups=groups, score=score,
                           outcome=outcome, flag=flag, threshold=threshold, score_range=score_range,
                           max_bins=max_bins, source=source)
        if types[score] not in _INTEGER + _FLOATING:
            return None
        s = _name(score) if types[score] == "DOUBLE" else f"CAST({_name(score)} AS DOUBLE)"
        # As decide.audit.counting._count_one_pass: a look at the first rows, and (Parquet) at blocks spread over
        # the whole table; scores on a grid of few values are grouped as they are.
        first = _fetch(con, f"SELECT {s} AS \"s\" FROM {table} LIMIT {SAMPLE_ROWS}", {"s": "float"})["s"]
        seen = first[np.isfinite(first)]
        whole = first.size < SAMPLE_ROWS
        if not seen.size or not _on_a_grid(np.unique(seen), max_bins):
            return None
        if not whole and kinds == {"parquet"}:
            rows = int(_fetch(con, f"SELECT COUNT(*) AS \"n\" FROM {table}", {"n": "int"})["n"][0])
            if rows > 2 * SAMPLE_ROWS:
                share = 2 * SAMPLE_ROWS / rows
                spread = _fetch(con, f"SELECT * FROM (SELECT {s} AS \"s\" FROM {table}) TABLESAMPLE system "
                                f"({share * 100!r} PERCENT) REPEATABLE ({SPREAD_SEED}) LIMIT {2 * SAMPLE_ROWS}",
                                {"s": "float"})["s"]
                if not _on_a_grid(np.unique(np.concatenate([seen, spread[np.isfinite(spread)]])), max_bins):
                    return None
        keyed = list(cols) + ["s"]
        raw = _fetch(con, f"SELECT {', '.join(_name(k) for k in keyed)}, COUNT(*) AS \"n\" FROM (SELECT {work}, "
                     f"{s} AS \"s\" FROM {table}) GROUP BY ALL LIMIT {RAW_CELLS}",
                     {**kinds_of, "s": "float", "n": "int"})
        if len(raw["n"]) >= RAW_CELLS:
            return None
        if csv:
            _empty_groups(raw, groups)
        prepared = _raw_prepared(raw, score_range, max_bins)
        if prepared is None:
            return None
        cells, lo_s, hi_s, finest = prepared
        return _finish(cells, keys, notes, raw=True, lo_s=lo_s, hi_s=hi_s, finest=finest, groups=groups, score=score,
                       outcome=outcome, flag=flag, threshold=threshold, score_range=score_range, max_bins=max_bins,
                       source=source)
    except duckdb.Error:
        return None  # the general way reads the file again and words the engine's refusal
    finally:
        con.close()


def _finish(cells, keys, notes, **options):
    from decide.audit.counting import _counts_from_cells

    counts = _counts_from_cells(cells, keys, band_scores=None, bands=None, **options)
    if counts is not None:
        counts.notes[:0] = notes
    return counts
