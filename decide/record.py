"""Record: an immutable, content-hashed snapshot of a decision and its analysis as of the day it was taken.

A later review must judge the decision by what was known then, not by what happened since. So
the record keeps everything the decision-makers had in front of them: the case (every judgement
and the evidence known), the option they chose and why, the simulation settings (draws, seed)
and the numbers the analysis showed, and the versions of ``decide`` and the libraries that
produce those numbers.

The file is JSON (never pickle: loading a record never runs code). Its content hash is the
SHA-256 of the record's canonical JSON (sorted keys, no spaces); the file itself is a fixed,
readable rendering of that content, so any edit, even of one byte, is detected on loading.
Records are written atomically, read-only, and never over an existing file; their names carry
the case, the date and the start of the hash, so two records never collide.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import math
import os
import platform
import re
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from decide.errors import CaseError, DecideError
from decide.frame import Decision

#: The format of a record; bump it if the layout changes (old records stay readable by their version).
SCHEMA = "decide-record/1"

#: Libraries whose versions can change the numbers a record shows (random streams, fitting, quantiles).
NUMERIC_PACKAGES = ("decide", "numpy", "scipy", "preliz", "pandas", "xarray")
#: Recorded for information only.
OTHER_PACKAGES = ("pydantic", "pymc", "arviz", "matplotlib")

#: The analysis settings stored with every record (and used by the review to re-run it).
DEFAULT_DRAWS = 4000
DEFAULT_SEED = 1
DEFAULT_INTERVAL = 0.9


def installed_versions(packages=NUMERIC_PACKAGES + OTHER_PACKAGES) -> dict[str, str]:
    """Versions of the packages that matter, as installed now (``'not installed'`` if absent)."""
    out = {"python": platform.python_version()}
    for name in packages:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


# --- the numbers a record shows ----------------------------------------------------------------------


def _plain(value):
    """A value as JSON-safe plain Python; NaN becomes None (strict JSON has no NaN)."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def table_to_json(table: pd.DataFrame, index: str | None = None) -> list[dict]:
    """A table as a list of rows (plain floats, which JSON keeps exactly: Python writes the shortest exact repr)."""
    df = table.reset_index() if index else table
    return [{k: _plain(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def analysis_numbers(decision: Decision, draws: int, seed: int, interval: float = DEFAULT_INTERVAL) -> dict:
    """Simulate the decision and collect the numbers a record stores (and a review must reproduce)."""
    from decide.compare import outcome_table, preferred, summary, tornado
    from decide.simulate import simulate

    sim = simulate(decision, int(draws), seed=int(seed))
    summ = summary(sim, interval)
    torn = tornado(sim)
    return {
        "summary": table_to_json(summ, index="option"),
        "outcomes": table_to_json(outcome_table(sim, interval)),
        "tornado": table_to_json(torn),
        "tornado_base": {k: _plain(v) for k, v in torn.attrs.items()},
        "preferred": preferred(sim),
    }, sim


# --- the record ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """A loaded (and verified) record. ``content`` is exactly what was hashed."""

    content: dict
    sha256: str
    path: Path | None = None

    @property
    def decision(self) -> Decision:
        """The case as it stood on the day (validated again, so a record from a changed schema says so)."""
        try:
            return Decision.from_dict(self.content["case"], source=f"record {self.name}: case")
        except CaseError as exc:
            raise DecideError(
                f"{exc}\nThe case stored in record {self.name} is no longer valid for decide "
                f"{installed_versions(('decide',))['decide']} (it was written by decide {self.versions.get('decide')}); "
                "review it with the version that wrote it"
            ) from None

    @property
    def name(self) -> str:
        return self.path.name if self.path else f"{self.content['case_name']} ({self.sha256[:12]})"

    @property
    def chosen(self) -> str:
        return self.content["chosen"]["option"]

    @property
    def settings(self) -> dict:
        return self.content["analysis"]["settings"]

    @property
    def versions(self) -> dict:
        return self.content["versions"]

    @property
    def decided_on(self) -> dt.date:
        return dt.date.fromisoformat(self.content["decided_on"])

    def table(self, which: str) -> pd.DataFrame:
        """One of the stored tables ('summary', 'outcomes', 'tornado') as a DataFrame, exactly as recorded."""
        rows = self.content["analysis"][which]
        df = pd.DataFrame(rows)
        if which == "summary":
            df = df.set_index("option")
            df.attrs.update(interval=self.settings["interval"], harm_weight=self.content["case"]["values"]["harm_weight"],
                            draws=self.settings["draws"])
        elif which == "outcomes":
            df.attrs.update(interval=self.settings["interval"])
        elif which == "tornado":
            df.attrs.update(self.content["analysis"]["tornado_base"])
        return df


def canonical_json(content: dict) -> str:
    """The one text that is hashed: sorted keys, no spaces, no NaN."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def content_hash(content: dict) -> str:
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def render_file(content: dict, sha256: str) -> str:
    """The exact text of a record file: readable, and fixed, so that any change to it is detected."""
    return json.dumps({"record": content, "sha256": sha256}, sort_keys=True, indent=1, ensure_ascii=False,
                      allow_nan=False) + "\n"


def slug(text: str, limit: int = 40) -> str:
    s = re.sub(r"[^a-z0-9_]+", "-", text.lower()).strip("-_")
    return s[:limit].strip("-") or "case"


def make_record(
    decision: Decision,
    *,
    chosen: str | None = None,
    reason: str = "",
    case_name: str | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    interval: float = DEFAULT_INTERVAL,
    recorded_by: str = "",
    recorded_at: dt.datetime | None = None,
) -> Record:
    """Build (but do not write) the record of a decision: the case, the choice, the analysis and versions.

    ``chosen`` is the option the decision-makers chose; if it is not given the record says the
    choice was not stated and takes the option with the highest expected value.
    """
    if not isinstance(decision, Decision):
        raise DecideError(f"make_record needs a Decision (from decide.load_case), got {type(decision).__name__}")
    options = [o.name for o in decision.options]
    numbers, _ = analysis_numbers(decision, draws, seed, interval)
    if chosen is None:
        chosen_by = "not stated: the option with the highest expected value in the analysis"
        chosen = numbers["preferred"]
    elif chosen not in options:
        import difflib

        close = difflib.get_close_matches(chosen, options, n=1, cutoff=0.5)
        raise DecideError(
            f"chosen option '{chosen}' is not an option of this case" + (f" (did you mean '{close[0]}'?)" if close else "")
            + f"; the options are: {'; '.join(options)}"
        )
    else:
        chosen_by = "the decision-makers"
    recorded_at = recorded_at or dt.datetime.now(dt.timezone.utc)
    content = {
        "schema": SCHEMA,
        "case_name": case_name or slug(decision.question),
        "decided_on": decision.date.isoformat(),
        "decided_by": list(decision.decided_by),
        "recorded_at": recorded_at.isoformat(),
        "recorded_by": recorded_by,
        "question": decision.question,
        "chosen": {"option": chosen, "reason": reason, "chosen_by": chosen_by},
        "case": decision.model_dump(mode="json"),
        "analysis": {
            "settings": {"draws": int(draws), "seed": int(seed), "interval": float(interval),
                         "harm_weight": decision.values.harm_weight,
                         "harm_weight_range": list(decision.values.harm_weight_range)},
            **numbers,
        },
        "versions": installed_versions(),
    }
    # Round-trip through JSON now, so the record in memory is exactly what a later load gives.
    content = json.loads(canonical_json(content))
    return Record(content, content_hash(content))


def record_filename(record: Record) -> str:
    """case_date_hashprefix.json: by case, by date, and never the same for different content."""
    return f"{slug(record.content['case_name'])}_{record.content['decided_on']}_{record.sha256[:12]}.json"


def write_record(record: Record, folder: str | os.PathLike = "records") -> Path:
    """Write a record into ``folder`` atomically, read-only, and never over an existing file.

    If a file of that name already exists (the same content written twice), the new one gets a
    numbered suffix; the existing file is never touched.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text = render_file(record.content, record.sha256)
    base = record_filename(record)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{base}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        for n in range(1, 1000):
            path = folder / (base if n == 1 else base.replace(".json", f"-{n}.json"))
            try:
                os.link(tmp, path)  # fails if the name exists: create-exclusive, so nothing is overwritten
            except FileExistsError:
                continue
            return path
        raise DecideError(f"{folder} already holds 999 copies of record {base}; choose another folder")
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def record(
    case: Decision | str | os.PathLike,
    folder: str | os.PathLike = "records",
    **kw,
) -> Path:
    """Record a decision (a Decision or a YAML case file) into ``folder``; returns the new file's path."""
    if not isinstance(case, Decision):
        path = Path(case)
        kw.setdefault("case_name", path.stem)
        case = Decision.from_yaml(path)
    return write_record(make_record(case, **kw), folder)


def load_record(path: str | os.PathLike) -> Record:
    """Read a record and check it is exactly as written; refuse, with a clear message, one that was edited."""
    path = Path(path)
    advice = ("A record is evidence of what was known on the day and must not be edited. Restore the original "
              "file (from a backup or version control), or make a new record with `decide record`")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DecideError(f"{path}: no such record file; check the path (records are named CASE_DATE_HASH.json)") from None
    except IsADirectoryError:
        raise DecideError(f"{path} is a folder; give one record file inside it (CASE_DATE_HASH.json)") from None
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except UnicodeDecodeError as exc:
        raise DecideError(f"{path}: not a readable record (not UTF-8 at byte {exc.start}): it has been changed or damaged. {advice}") from None
    except json.JSONDecodeError as exc:
        raise DecideError(f"{path}: not a readable record (broken JSON at line {exc.lineno}, column {exc.colno}): "
                          f"it has been changed or damaged. {advice}") from None
    if not isinstance(data, dict) or set(data) != {"record", "sha256"} or not isinstance(data["record"], dict):
        raise DecideError(f"{path}: not a decide record (a record holds exactly 'record' and 'sha256'). "
                          "Make one with `decide record CASE.yaml`")
    content, stated = data["record"], data["sha256"]
    schema = content.get("schema")
    if schema != SCHEMA:
        raise DecideError(f"{path}: record format {schema!r} is not one this version of decide reads ({SCHEMA!r})")
    try:
        actual = content_hash(content)
    except ValueError:  # NaN or Infinity slipped in by hand
        actual = None
    if actual != stated:
        raise DecideError(
            f"{path}: this record has been changed since it was written: its content hash is "
            f"{actual[:16] if actual else 'not computable'}... but the record says {str(stated)[:16]}.... {advice}"
        )
    if text != render_file(content, stated):
        raise DecideError(
            f"{path}: the content hash matches but the file is not byte-for-byte as decide wrote it (spacing or "
            f"layout was edited). {advice}"
        )
    return Record(content, stated, path)


# --- command line ------------------------------------------------------------------------------


def cmd_record(args) -> int:
    path = record(args.case, args.folder, chosen=args.chosen, reason=args.reason or "", draws=args.draws,
                  seed=args.seed, recorded_by=args.by or "")
    rec = load_record(path)
    print(f"wrote {path}")
    print(f"  decided on {rec.content['decided_on']} by {', '.join(rec.content['decided_by'])}; chosen: {rec.chosen} "
          f"({rec.content['chosen']['chosen_by']})")
    print(f"  analysis: {rec.settings['draws']} draws, seed {rec.settings['seed']}; highest expected value: "
          f"{rec.content['analysis']['preferred']}")
    print(f"  sha256 {rec.sha256}")
    return 0


def register(subparsers) -> None:
    help_text = "write an immutable, content-hashed record of a decision as of its date (JSON)"
    p = subparsers.add_parser("record", help=help_text, description=help_text + ". Example: decide record "
                              "data/cases/return_home.yaml --chosen 'phased return' --reason '...' --folder records")
    p.add_argument("case", help="path to a YAML case file (see data/cases/ for examples)")
    p.add_argument("--chosen", help="the option the decision-makers chose (default: the one with highest expected value, "
                                    "marked as not stated)")
    p.add_argument("--reason", help="the decision-makers' reasons, in their words")
    p.add_argument("--by", help="who is making the record (a role, not a name)")
    p.add_argument("--folder", default="records", help="folder to write the record into (default: records)")
    p.add_argument("--draws", type=int, default=DEFAULT_DRAWS, help=f"simulation draws (default {DEFAULT_DRAWS})")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed, stored in the record (default {DEFAULT_SEED})")
    p.set_defaults(func=cmd_record)
    from decide.review import register as register_review

    register_review(subparsers)
