"""`decide workshop CASE.yaml`: run an elicitation workshop in the browser (Panel is imported only here, when run)."""

from __future__ import annotations

from pathlib import Path

HELP = "run an elicitation workshop in the browser: practitioners judge, see the group, revise; writes a new case file"


def cmd_workshop(args) -> int:
    from decide.errors import DecideError
    from decide.workshop.session import Workshop

    if not 1 <= args.port <= 65535:
        raise DecideError(f"--port must be from 1 to 65,535 (e.g. 5006); got {args.port}")
    case = Path(args.case)
    store = Path(args.store) if args.store else Path(f"{case.stem}.workshop.sqlite")
    quantities = [q for q in (args.quantities or "").split(",") if q.strip()]
    workshop = Workshop.start(case, store, quantities or None, calibration=args.calibration)
    print(f"Workshop on {case}, kept in {store} ({workshop.stage}).")
    print("Preparing the fitting (up to 20 seconds the first time)...", flush=True)
    _warm_up()
    try:
        from decide.workshop.app import serve
    except ImportError:
        raise DecideError("the workshop needs the Python package panel: pip install 'panel>=1.10,<2'") from None
    serve(store, Path(args.records), args.port)
    return 0


def _warm_up() -> None:
    """Fit one judgement of each form now, so the first participant does not wait for the fitting to compile."""
    from decide.judge import Judgement

    Judgement(verbal="likely").to_distribution()
    Judgement(low=0.1, likely=0.2, high=0.4).to_distribution().ppf(0.5)
    Judgement(low=10, likely=20, high=40).to_distribution("magnitude", (0.0, 100.0)).ppf(0.5)


def register(subparsers) -> None:
    p = subparsers.add_parser("workshop", help=HELP, description=HELP + ". Example: decide workshop "
                              "data/cases/return_home.yaml --quantities foster_placement_moves,harm_of_reabuse. It "
                              "prints a facilitator's link and a join link with a session code; the session is kept "
                              "in --store, so running the same command again carries on where it stopped.")
    p.add_argument("case", help="path to a YAML case file (see data/cases/ for examples); it is never changed")
    p.add_argument("--port", type=int, default=5006, help="port on 127.0.0.1 to serve the workshop on (default 5006)")
    p.add_argument("--quantities", help="the quantities to elicit, separated by commas (default: chosen in the "
                                        "facilitator's page)")
    p.add_argument("--store", help="the workshop's SQLite file (default: CASE.workshop.sqlite in this folder); give "
                                   "the same file again to carry on a workshop")
    p.add_argument("--calibration", metavar="FILE",
                   help="calibration questions with published answers (YAML: questions with name, question, answer, "
                        "kind, source), for performance weights in the manner of Cooke's classical model")
    p.add_argument("--records", default="workshops",
                   help="folder for the workshop's record, written with the new case file (default: workshops)")
    p.set_defaults(func=cmd_workshop)
