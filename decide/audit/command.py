"""`decide audit`: the command line. Light at import (argparse only): the audit's modules, pandas and the
engines load when the command runs, so registering it costs `decide --help` nothing."""

from __future__ import annotations

import math
import shlex
import sys
import warnings

from decide.defaults import INTERVAL, MAX_AUDIT_GROUPS, SEED
from decide.errors import DecideError, for_terminal



def _label_bias_spec(specs: list[str] | None, default=(0.8, 1.25)):
    """--label-bias LO:HIGH (every group but the reference) and/or GROUP=LO:HIGH (one group); checked here."""
    ranges, all_groups = {}, default
    for spec in specs or []:
        group, sep, rng = spec.rpartition("=")
        try:
            lo, hi = (float(v) for v in rng.split(":"))
        except ValueError:
            raise DecideError(f"--label-bias {spec[:60]!r}: write LOW:HIGH (e.g. 0.8:1.25) or GROUP=LOW:HIGH") from None
        if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo <= hi):
            raise DecideError(f"--label-bias {spec[:60]!r}: LOW and HIGH must be finite with 0 < LOW <= HIGH "
                              "(1 = recorded as it happened; e.g. 0.8:1.25)")
        if hi / lo > 100:
            raise DecideError(f"--label-bias {spec[:60]!r}: a factor range wider than 100-fold says nothing; "
                              "give a range you can argue for, e.g. 0.8:1.25")
        if group.strip():
            ranges[group.strip()] = (lo, hi)
        elif sep:
            raise DecideError(f"--label-bias {spec[:60]!r}: the group name before '=' is empty")
        else:
            all_groups = (lo, hi)
    return ranges, all_groups


#: Largest number of Monte Carlo draws `decide audit` accepts: more only costs memory.
MAX_AUDIT_DRAWS = 200_000


def _check_arguments(args) -> None:
    """Refuse bad settings before reading anything, with the fix."""
    from decide.audit.counting import check_score_range

    if args.seed < 0:
        raise DecideError(f"--seed must be a whole number 0 or more, got {args.seed}")
    if args.max_groups < 2:
        raise DecideError(f"--max-groups must be at least 2 (an audit compares groups), got {args.max_groups}")
    if not 100 <= args.draws <= MAX_AUDIT_DRAWS:
        raise DecideError(f"--draws must be between 100 and {MAX_AUDIT_DRAWS:,}, got {args.draws:,}")
    for name, value in (("--interval", args.interval), ("--decisive", args.decisive),
                        ("--difference-band", args.difference_band)):
        if not math.isfinite(value):
            raise DecideError(f"{name} must be a finite number, got {value}")
    lo, hi = args.ratio_band
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < 1 < hi):
        raise DecideError(f"--ratio-band must be two finite numbers with LOW below 1 and HIGH above it "
                          f"(e.g. 0.8 1.25), got {lo:g} {hi:g}")
    if not 1 <= args.bands <= 100:
        raise DecideError(f"--bands must be between 1 and 100, got {args.bands}")
    if args.threshold is not None and not math.isfinite(args.threshold):
        raise DecideError(f"--threshold must be a finite number inside the score's range, got {args.threshold}")
    if args.score_range is not None:
        check_score_range(args.score_range)
    if args.counts and (args.threshold is not None or args.score or args.flag or args.outcome):
        raise DecideError("with --counts the table already holds flag, outcome and n columns: leave out "
                          "--threshold, --score, --flag and --outcome")


def _data_of(args):
    """What to audit, and the input files no output may replace (None: the files the path or pattern names)."""
    if getattr(args, "db", None):  # engines (E): the rows are in a database or on a cluster
        from decide.audit.engines import files_read, table_from_args
        table, args.db_label = table_from_args(args)
        return table, files_read(args.db)
    if getattr(args, "table", None) or getattr(args, "query", None):
        raise DecideError("--table and --query name rows in a database: give its address with --db URL too")
    if args.data is None:
        raise DecideError("give the data to audit: a CSV or Parquet file, or a pattern such as 'data/*.parquet'")
    return args.data, None


def cmd_audit(args) -> int:
    from decide.audit.counting import count
    from decide.audit.rates import audit_counts
    from decide.audit.reading import file_kind, file_paths, read_referrals
    from decide.audit.report import output_paths, plain_summary, write_report
    from decide.files import plan_outputs

    _check_arguments(args)
    ranges, default = _label_bias_spec(args.label_bias)
    data, inputs = _data_of(args)
    inputs = inputs if inputs is not None else file_paths(data)
    # Every output path is checked before anything is read or written: a refusal leaves nothing behind.
    plan_outputs(output_paths(args.output, not args.no_csv), inputs=inputs, force=args.force)
    notes: list[str] = []
    groups = args.group
    if args.counts:
        if len(inputs) != 1 or file_kind(inputs[0]) != "csv":
            raise DecideError(f"{args.data or getattr(args, 'db_label', '--db')}: --counts reads one CSV table of counts "
                              "(a few thousand rows at most); "
                              "save the counts as a CSV file, or leave out --counts to count the rows of these files")
        table = read_referrals(data, [*groups, "flag", "outcome", "n"], optional=["score", "score_sum"],
                               delimiter=args.delimiter, encoding=args.encoding, string_columns=groups, notes=notes)
        counts = table
    else:  # counted where the data live: a file is never loaded whole (see decide.audit.counting.count)
        counts = count(data, score=args.score, outcome=args.outcome, group=groups, threshold=args.threshold,
                       flag=args.flag, score_range=args.score_range, drop_missing=args.drop_missing,
                       source=getattr(args, "db_label", None) or str(args.data), delimiter=args.delimiter, encoding=args.encoding)
    result = audit_counts(counts, reference=args.reference, group=groups, prior=args.prior, interval=args.interval,
                          draws=args.draws, seed=args.seed, ratio_band=tuple(args.ratio_band),
                          difference_band=args.difference_band, decisive=args.decisive, bands=args.bands,
                          max_groups=args.max_groups)
    if args.counts:
        result.settings.update(source=str(args.data), outcome_column="outcome")
        result.notes[:0] = notes
        tp, fp, fn, tn = (int(result.groups[c].sum()) for c in ("tp", "fp", "fn", "tn"))
        for empty, what in ((tp + fp == 0, "nobody is flagged"), (fn + tn == 0, "everybody is flagged"),
                            (tp + fn == 0, "nobody has the outcome"), (fp + tn == 0, "everybody has the outcome")):
            if empty:
                raise DecideError(f"{args.data}: in the counts table {what}, so there is nothing to compare: "
                                  "check the flag and outcome columns")
    lb = result.label_bias(ranges, default=default)
    for note in result.notes:
        print(f"decide audit: warning: {for_terminal(note, one_line=True)}", file=sys.stderr)
    command = "decide audit " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if len(sys.argv) > 2 else None
    from decide._html import without_property_lists

    with without_property_lists():  # the figures load matplotlib
        written = write_report(result, lb, args.output, force=args.force, csv=not args.no_csv, inputs=inputs,
                               intervention=args.intervention, title=args.title, command=command)
    for line in plain_summary(result, lb, args.intervention)[2:5]:
        print("- " + for_terminal(line, one_line=True))
    print(f"wrote {written[0]}" + (f" and {len(written) - 1} CSV tables beside it" if len(written) > 1 else ""))
    return 0


def register(subparsers) -> None:
    help_text = "audit a risk tool's scores for bias by group, with posterior intervals (HTML report + CSV tables)"
    p = subparsers.add_parser("audit", help=help_text, description=help_text + ". Example: decide audit "
                              "data/synthetic/referrals.csv --score risk_score --outcome re_referred --group deprivation "
                              "--threshold 0.3 --reference 'less deprived' -o audit.html")
    p.add_argument("data", nargs="?", help="CSV or Parquet file, or a pattern of them in quotes ('data/*.parquet'): "
                   "one row per referral, counted where it lies without loading it (with --counts: a CSV table of counts)")
    p.add_argument("--score", help="column holding the tool's score")
    p.add_argument("--outcome", help="column holding the recorded outcome, 0/1 (e.g. re-referral)")
    p.add_argument("--group", action="append", required=True, metavar="COLUMN",
                   help="column defining groups; repeat for intersections (e.g. --group deprivation --group area)")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--threshold", type=float, help="flag referrals with score >= T")
    how.add_argument("--flag", metavar="COLUMN", help="0/1 column holding the tool's flag or the decision")
    p.add_argument("--reference", required=True, metavar="GROUP",
                   help="the group every disparity is measured against (for several --group columns: 'a,b' or 'a / b')")
    p.add_argument("-o", "--output", required=True, help="the HTML report to write (CSV tables go beside it)")
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.add_argument("--no-csv", action="store_true", help="write only the HTML report")
    p.add_argument("--counts", action="store_true",
                   help="DATA is already counted: group column(s), flag, outcome, n and optionally score (e.g. from SQL)")
    p.add_argument("--intervention", choices=["punitive", "assistive"],
                   help="what the flag leads to: an investigation (punitive) or support (assistive); shapes the guidance")
    p.add_argument("--prior", choices=["jeffreys", "uniform"], default="jeffreys",
                   help="Beta prior on every rate: Jeffreys Beta(1/2,1/2) (default) or uniform Beta(1,1)")
    p.add_argument("--interval", type=float, default=INTERVAL, help=f"posterior interval width (default {INTERVAL:g})")
    p.add_argument("--draws", type=int, default=4000, help="Monte Carlo draws for disparities (default 4000)")
    p.add_argument("--seed", type=int, default=SEED, help=f"random seed; the same seed gives the same numbers (default {SEED})")
    p.add_argument("--ratio-band", type=float, nargs=2, default=[0.8, 1.25], metavar=("LOW", "HIGH"),
                   help="tolerable range for ratios (default 0.8 1.25, the four-fifths rule both ways)")
    p.add_argument("--difference-band", type=float, default=0.05, metavar="D",
                   help="tolerable absolute difference in rates (default 0.05: five percentage points)")
    p.add_argument("--decisive", type=float, default=0.9,
                   help="posterior probability needed to call a disparity outside or within the band (default 0.9)")
    p.add_argument("--max-groups", type=int, default=MAX_AUDIT_GROUPS, metavar="N",
                   help=f"most groups to report (default {MAX_AUDIT_GROUPS}); more are refused, as a column of identifiers would make")
    p.add_argument("--bands", type=int, default=10, help="number of score bands for calibration (default 10)")
    p.add_argument("--score-range", type=float, nargs=2, metavar=("LOW", "HIGH"),
                   help="the score's valid range (e.g. 0 1); scores outside it are an error")
    p.add_argument("--label-bias", action="append", metavar="[GROUP=]LOW:HIGH",
                   help="range of the surveillance factor on recorded outcomes: LOW:HIGH for every group but the "
                        "reference (default 0.8:1.25), GROUP=LOW:HIGH for one group; repeatable")
    p.add_argument("--drop-missing", action="store_true", help="leave out rows with an empty score, outcome or flag (reported)")
    p.add_argument("--delimiter", help="field separator (default: detected from the header)")
    p.add_argument("--encoding", help="file encoding (default utf-8; e.g. cp1252 for files from Excel on Windows)")
    p.add_argument("--title", help="title of the report")
    # engines (E)
    where = p.add_argument_group("data in a database or on a cluster (instead of DATA)")
    where.add_argument("--db", metavar="URL", help="the engine holding the referrals: postgresql://USER@HOST:PORT/DATABASE "
                       "(the password from PGPASSWORD or ~/.pgpass, never here), duckdb:///FILE.duckdb, or a Spark master "
                       "(local[4], spark://HOST:7077, yarn); the counting runs there and only the counts come back")
    rows = where.add_mutually_exclusive_group()
    rows.add_argument("--table", metavar="NAME", help="with --db: the table or view to audit (schema.table allowed)")
    rows.add_argument("--query", metavar="SQL", help="with --db: a SELECT giving the rows to audit, in the engine's SQL")
    p.set_defaults(func=_run)


def _run(args) -> int:
    if not args.counts and not args.outcome:
        raise DecideError("name the recorded outcome column: --outcome COLUMN")
    if not args.counts and not args.score and args.threshold is not None:
        raise DecideError("--threshold needs the score column: --score COLUMN")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # notes are printed by cmd_audit, once
        return cmd_audit(args)
