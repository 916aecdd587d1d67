"""Command line: a thin layer over the library. `decide --help` lists the commands.

Each command lives in its own function, registered in COMMANDS; bad input gives a clear
message on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from pathlib import Path

from decide import defaults
from decide.errors import DecideError, for_terminal

#: Fewest draws a comparison accepts: below this the Monte Carlo error in P(best) is several
#: percentage points, too coarse to read.
MIN_DRAWS = 100
#: Seeds numpy accepts as one 32-bit number.
MAX_SEED = 2**32 - 1


def _whole(text: str, name: str, lo: int, hi: int, why: str) -> int:
    try:
        value = int(text.strip().replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name} must be a whole number from {lo:,} to {hi:,}{why}; got {text!r}") from None
    if not lo <= value <= hi:
        raise argparse.ArgumentTypeError(f"{name} must be from {lo:,} to {hi:,}{why}; got {value:,}")
    return value


def draws_type(text: str) -> int:
    """--draws: enough for a readable P(best), few enough for an ordinary laptop's memory."""
    return _whole(text, "--draws", MIN_DRAWS, defaults.MAX_DRAWS,
                  " (fewer give too coarse a picture; more need more memory than a laptop has)")


def seed_type(text: str) -> int:
    """--seed: numpy takes seeds from 0 to 2**32 - 1."""
    return _whole(text, "--seed", 0, MAX_SEED, "")


def _add_case_command(sub, name, help_text):
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.add_argument("case", help="path to a YAML case file (see data/cases/ for examples)")
    return p


def cmd_check(args) -> int:
    """Validate a case file and say what it holds."""
    from decide.frame import Decision

    d = Decision.from_yaml(args.case)
    n_out = sum(len(o.outcomes) for o in d.options)
    print(f"{args.case}: valid. {len(d.options)} options, {n_out} outcomes, {len(d.quantities)} shared quantities, "
          f"{len(d.factors)} factors, {len(d.known_at_time)} items of evidence; decided {d.date} by {', '.join(d.decided_by)}.")
    later = len(d.learned_after)
    if later:
        print(f"{later} item{'s' if later != 1 else ''} of evidence learned after the decision: kept for the review, "
              "left out of the analysis.")
    _print_warnings(d, fits=False)  # the fits are checked by compare, report and record, which make them anyway
    return 0


def _print_warnings(d, fits: bool = True) -> None:
    """The case's warnings, after the result they qualify (they never change the exit status)."""
    from decide.errors import warnings_text

    text = warnings_text(d.warnings(fits=fits))
    if text:
        print(text)


def cmd_compare(args) -> int:
    """Simulate a case and print the comparison table (or write it as CSV)."""
    import pandas as pd

    from decide.compare import lead, summary
    from decide.frame import Decision
    from decide.simulate import simulate

    from decide.files import plan_outputs, safe_csv

    d = Decision.from_yaml(args.case)
    plan_outputs([args.csv], inputs=[args.case], force=args.force)  # before the slow part, so a refusal is quick
    if args.csv and Path(args.csv).suffix.lower() != ".csv":  # --force must not turn a record or a key into a table
        raise DecideError(f"{args.csv}: --csv writes a table; give a file name ending in .csv (e.g. table.csv)")
    sim = simulate(d, args.draws, seed=args.seed)
    table = summary(sim)
    if args.csv:
        from decide._html import write_new

        write_new(args.csv, safe_csv(table), force=args.force)
        print(f"wrote {args.csv}")
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(_plain_table(table).to_string())
    print(horizons_line(d))
    _print_warnings(d)
    settings = f"harm weight {d.values.harm_weight:g}, {args.draws} draws, seed {args.seed}"
    top = lead(sim)
    if len(top.tied) > 1:
        names = ", ".join(top.tied)
        print(f"\nHighest expected value: {names} cannot be told apart "
              f"(their expected values differ by less than the simulation's own error; {settings})")
    else:
        print(f"\nHighest expected value: {top.best}, {top.lead:.1f} points ahead of {top.runner_up} ({settings})")
    return 0


def horizons_line(d) -> str:
    """The spans the options' chances are judged over, one line: a comparison means little without them."""
    per_option = []
    for o in d.options:
        spans = list(dict.fromkeys(x.horizon for x in sorted(o.outcomes, key=lambda x: -x.horizon_years)))
        per_option.append(f"{o.name} over " + (spans[0] if len(spans) == 1 else ", ".join(spans[:-1]) + " and " + spans[-1]))
    return "Chances judged over: " + "; ".join(per_option) + "."


def _plain_table(table):
    """The comparison for a person to read: one column per option, one row per measure, each
    measure in the plain words the case report uses (the CSV keeps the short column names)."""
    from decide.case_report import HEADERS

    import pandas as pd

    rows = {}
    for column in table.columns:
        values = table[column]
        if column == "lower":
            rows[f"{defaults.INTERVAL:.0%} interval (points)"] = [f"{lo:.1f} to {hi:.1f}" for lo, hi in zip(values, table["upper"])]
        elif column != "upper":
            label = HEADERS.get(column, column.replace("_", " "))
            rows[label] = [f"{x:.0%}" for x in values] if column == "probability_best" else [f"{x:.1f}" for x in values]
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(table.index))


def cmd_evidence(args) -> int:
    """Check an evidence CSV and say, per quantity, how many studies and children it holds."""
    from decide.evidence import read_evidence

    table = read_evidence(args.csv)
    rows, names = len(table), table["quantity"].nunique()
    print(f"{args.csv}: valid. {rows} row{'s' if rows != 1 else ''} of counts for {names} "
          f"quantit{'ies' if names != 1 else 'y'}.")
    for name, rows in table.groupby("quantity", sort=True):
        events, total = int(rows["events"].sum()), int(rows["total"].sum())
        horizons = ", ".join(f"{h:g}" for h in sorted(rows["horizon_years"].unique()))
        studies = len(rows)
        print(f"  {name}: {studies} stud{'y' if studies == 1 else 'ies'}, {events:,} of {total:,} children "
              f"({events / total:.1%} before pooling), followed {horizons} year{'s' if horizons != '1' else ''}")
    return 0


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser; given the arguments about to be parsed, only the module of the command
    they name is imported (the others appear in the command list by their COMMAND_INDEX line), so
    `decide --help` and `decide check` do not load what `decide report` or `decide audit` need."""
    parser = argparse.ArgumentParser(
        prog="decide",
        description="Decision support under uncertainty for children's social care.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    p = _add_case_command(sub, "check", "validate a case file and summarise it")
    p.set_defaults(func=cmd_check)
    p = _add_case_command(sub, "compare", "simulate a case and print the comparison of its options")
    p.add_argument("--draws", type=draws_type, default=defaults.DRAWS,
                   help=f"number of simulation draws, {MIN_DRAWS:,} to {defaults.MAX_DRAWS:,} (default {defaults.DRAWS:,})")
    p.add_argument("--seed", type=seed_type, default=defaults.SEED,
                   help=f"random seed, 0 to {MAX_SEED}; the same seed gives the same numbers (default {defaults.SEED})")
    p.add_argument("--csv", help="also write the table to this CSV file")
    p.add_argument("--force", action="store_true", help="replace an existing output file")
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser("evidence", help="check an evidence file (CSV of counts) and summarise it",
                       description="Check an evidence file: counts of children from studies and local records, "
                                   "one row per study (see data/evidence/README.md for the columns).")
    p.add_argument("csv", help="path to an evidence CSV file (see data/evidence/ for examples)")
    p.set_defaults(func=cmd_evidence)
    wanted = None if argv is None else _command_of(argv)
    indexed = {module for module, _ in COMMAND_INDEX.values()}
    registered = set(sub.choices)
    for module in COMMAND_MODULES:
        if module not in indexed:  # not in the index yet: correct, only slower to start
            importlib.import_module(module).register(sub)
            registered = set(sub.choices)
    for name, (module, help_text) in COMMAND_INDEX.items():
        if name in registered or module not in COMMAND_MODULES:
            continue
        if argv is None or COMMAND_INDEX.get(wanted, ("",))[0] == module:
            importlib.import_module(module).register(sub)
        else:
            sub.add_parser(name, help=help_text, description=help_text)
        registered = set(sub.choices)
    return parser


def _command_of(argv: list[str]) -> str | None:
    """The command named in the arguments: the first one that is not an option (the top level
    has no options that take a value)."""
    return next((a for a in argv if not a.startswith("-")), None)


#: Modules that add commands: each has register(subparsers), which adds its parser(s) and
#: sets func=callable(args) -> exit status. One line per module.
COMMAND_MODULES: list[str] = [
    "decide.audit.command",
    "decide.record",
    "decide.case_report",
    "decide.schema",
    "decide.starter",
    "decide.workshop.command",
]

#: Each command a module in COMMAND_MODULES adds -> (module, its one-line help), so that listing the
#: commands imports none of them. tests/test_startup.py holds this to what register() adds, and
#: prints the lines to paste when a module is added; until then that module is imported every time.
COMMAND_INDEX: dict[str, tuple[str, str]] = {
    "audit": ("decide.audit.command",
              "audit a risk tool's scores for bias by group, with posterior intervals (HTML report + CSV tables)"),
    "record": ("decide.record",
               "write a content-hashed, chained (and optionally signed) record of a decision as of its date (JSON)"),
    "verify": ("decide.record",
               "check the chain of records in a folder: none removed, reordered or altered (and, with --trust, signed)"),
    "review": ("decide.record", "review a recorded decision against what later happened, without hindsight (HTML)"),
    "key": ("decide.record", "make a key pair for signing records (Ed25519)"),
    "report": ("decide.case_report",
               "write a case report (HTML): which option looks best and how sure we are, what would change it, "
               "whether to decide now or find out more, and how robust the choice is"),
    "schema": ("decide.schema", "write the JSON Schema of a case file, for editors that check YAML as you type"),
    "reference": ("decide.schema", "write the case-file reference (Markdown): every field, the verbal scales, "
                  "horizons, sharing judgements"),
    "new": ("decide.starter", "write a commented starting case file (never over an existing file)"),
    "workshop": ("decide.workshop.command", "run an elicitation workshop in the browser: practitioners judge, see the "
                 "group, revise; writes a new case file"),
}


def _quiet_stdout() -> None:
    """Point stdout at the null device, so Python's own flush at exit does not complain about the closed pipe again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (tests capture it in memory)
        pass


def _not_utf8(parser, args) -> str | None:
    """Which argument holds bytes that are not UTF-8 (the system hands them on as lone surrogates, with which a
    record cannot be hashed nor a page written), in words; None when all are text."""
    import argparse
    import os

    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    sub = actions[0].choices.get(getattr(args, "command", None)) if actions else None
    names = {a.dest: (a.option_strings[-1] if a.option_strings else None) for a in (sub or parser)._actions}
    for dest, value in vars(args).items():
        for item in value if isinstance(value, list | tuple) else [value]:
            text = os.fspath(item) if isinstance(item, str | os.PathLike) else None
            if isinstance(text, str) and any("\udc80" <= ch <= "\udcff" for ch in text):
                shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                option = names.get(dest)
                if option:
                    return f"{option} '{shown}' holds bytes that are not UTF-8; retype it as UTF-8 text"
                return (f"the file name '{shown}' holds bytes that are not UTF-8; use a name in UTF-8 (renaming the "
                        "file if it exists)")
    return None


def main(argv=None) -> int:
    parser = build_parser(sys.argv[1:] if argv is None else list(argv))
    args = parser.parse_args(argv)
    bad = _not_utf8(parser, args)
    if bad:
        print(f"decide {args.command}: {bad}", file=sys.stderr)
        return 2
    try:
        with collecting_less_often():
            return args.func(args)
    except DecideError as exc:
        print(f"decide {args.command}: {for_terminal(str(exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader stopped early (`decide compare case.yaml | head -1`): not a fault of any file
        _quiet_stdout()
        return 1
    except OSError as exc:  # a file that vanished, a full disk, a folder we may not read
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        print(f"decide {args.command}: cannot read or write a file{where}: {exc.strerror or exc}; "
              "check the path and its permissions", file=sys.stderr)
        return 2
    except RecursionError:
        print(f"decide {args.command}: the input is nested too deeply to read; check the file", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"decide {args.command}: not enough memory for this input; give a smaller file, or fewer --draws",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


@contextlib.contextmanager
def collecting_less_often():
    """Python's cycle collector less often while a command runs (thresholds 50,000/100/100, restored
    after). A command loads large libraries and makes many short-lived objects (a report's figures),
    and with the default thresholds the collector walked everything loaded some 350-500 times: 0.1-0.2 s
    of CPU, a twentieth of `decide report` or of auditing a 10^7-row file. The same garbage is freed,
    a little later."""
    import gc

    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 100, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


if __name__ == "__main__":
    sys.exit(main())
