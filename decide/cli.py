"""Command line: a thin layer over the library. `decide --help` lists the commands.

Each command lives in its own function, registered in COMMANDS; bad input gives a clear
message on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from decide.errors import DecideError


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
          f"{len(d.factors)} factors, {len(d.known)} items of evidence; decided {d.date} by {', '.join(d.decided_by)}.")
    return 0


def cmd_compare(args) -> int:
    """Simulate a case and print the comparison table (or write it as CSV)."""
    import pandas as pd

    from decide.compare import preferred, summary
    from decide.frame import Decision
    from decide.simulate import simulate

    d = Decision.from_yaml(args.case)
    sim = simulate(d, args.draws, seed=args.seed)
    table = summary(sim)
    if args.csv:
        from decide._html import write_new

        write_new(args.csv, table.to_csv(), force=args.force)
        print(f"wrote {args.csv}")
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(table.round(3).to_string())
    print(f"\nHighest expected value: {preferred(sim)} (harm weight {d.values.harm_weight:g}, {args.draws} draws, seed {args.seed})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="decide",
        description="Decision support under uncertainty for children's social care.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    p = _add_case_command(sub, "check", "validate a case file and summarise it")
    p.set_defaults(func=cmd_check)
    p = _add_case_command(sub, "compare", "simulate a case and print the comparison of its options")
    p.add_argument("--draws", type=int, default=4000, help="number of simulation draws (default 4000)")
    p.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same numbers (default 1)")
    p.add_argument("--csv", help="also write the table to this CSV file")
    p.add_argument("--force", action="store_true", help="replace an existing output file")
    p.set_defaults(func=cmd_compare)
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub)
    return parser


#: Modules that add commands: each has register(subparsers), which adds its parser(s) and
#: sets func=callable(args) -> exit status. One line per module.
COMMAND_MODULES: list[str] = [
    "decide.audit_report",
    "decide.record",
    "decide.case_report",
]


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except DecideError as exc:
        print(f"decide {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
