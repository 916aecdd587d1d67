"""Record: a content-hashed, chained and optionally signed snapshot of a decision as of the day it was taken.

A later review must judge the decision by what was known then, not by what happened since. So
the record keeps everything the decision-makers had in front of them: the case (every judgement
and the evidence known), the option they chose and why, the simulation settings (draws, seed)
and the numbers the analysis showed, and the versions of ``decide`` and the libraries that
produce those numbers.

The file is JSON (never pickle: loading a record never runs code). Three layers of protection,
each with exactly the guarantee it can give:

* **Content hash** (every record): the SHA-256 of the record's canonical JSON. It shows a slip
  or a damaged file, but not a deliberate edit: anyone can edit a record and compute a new hash.
* **Chain** (every record of format 2): each record written into a folder carries a sequence
  number and its predecessor's hash, so ``decide verify FOLDER`` finds a record removed from the
  middle, reordered, or changed and re-hashed while a later record still names the original.
  The newest record, or a whole re-written chain, can still be replaced unnoticed.
* **Signature** (``--sign KEYFILE``): an Ed25519 signature of the content hash, made with a key the
  organisation holds (:mod:`decide.signing`). Checked against a trusted public key
  (``--trust``), it refuses any record edited after signing, re-hashed or not.

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
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from decide import defaults
from decide.errors import CaseError, DecideError
from decide.frame import Decision

#: The format of a record; bump it if the layout changes (old records stay readable by their version).
#: Format 2 added the chain (sequence number, predecessor's hash) and the signing key's fingerprint.
SCHEMA = "decide-record/2"
#: Formats this version reads. Format 1 records are neither chained nor signed.
READABLE = ("decide-record/1", SCHEMA)
#: A record of a large case is a few hundred kilobytes; a file far larger is not a record.
MAX_RECORD_BYTES = 20_000_000

#: Libraries whose versions can change the numbers a record shows (random streams, fitting, quantiles).
NUMERIC_PACKAGES = ("decide", "numpy", "scipy", "preliz", "pandas", "xarray")
#: Recorded for information only.
OTHER_PACKAGES = ("pydantic", "pymc", "arviz", "matplotlib")

#: The analysis settings stored with every record (and used by the review to re-run it): the
#: project's one set of defaults, so a record shows the numbers `decide report` and `compare` show.
DEFAULT_DRAWS = defaults.DRAWS
DEFAULT_SEED = defaults.SEED
DEFAULT_INTERVAL = defaults.INTERVAL


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
    signature: dict | None = None  # the signature block of the file (not part of the hashed content)

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
    def sequence(self) -> int | None:
        """The record's place in its folder's chain (1 for the first); None for a record not yet written, or of format 1."""
        return (self.content.get("chain") or {}).get("sequence")

    @property
    def previous(self) -> str | None:
        """The content hash of the record before it in its folder (None for the first)."""
        return (self.content.get("chain") or {}).get("previous")

    @property
    def signed_by(self) -> str | None:
        """The fingerprint of the key the record says signed it (part of the hashed content), or None."""
        return self.content.get("signed_by")

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
            from decide.compare import TORNADO_COLUMNS

            df = df.reindex(columns=TORNADO_COLUMNS) if df.empty else df  # all inputs fixed: no rows, but the columns
            df.attrs.update(self.content["analysis"]["tornado_base"])
        return df


def canonical_json(content: dict) -> str:
    """The one text that is hashed: sorted keys, no spaces, no NaN."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def content_hash(content: dict) -> str:
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def render_file(content: dict, sha256: str, signature: dict | None = None) -> str:
    """The exact text of a record file: readable, and fixed, so that any change to it is detected."""
    data = {"record": content, "sha256": sha256}
    if signature is not None:
        data["signature"] = signature
    return json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def slug(text: str, limit: int = 40) -> str:
    s = re.sub(r"[^a-z0-9_]+", "-", text.lower()).strip("-_")
    return s[:limit].strip("-") or "case"


#: The range of draws and seeds a record accepts: those `decide compare` accepts (fewer draws give too
#: coarse a picture; more need more memory than a laptop has; numpy takes 32-bit seeds).
MIN_DRAWS = 100
MAX_SEED = 2**32 - 1


def check_settings(draws, seed, interval=DEFAULT_INTERVAL) -> None:
    """Simulation settings a record can be made (and re-made) with; a clear error for anything else."""
    if isinstance(draws, bool) or not isinstance(draws, int) or not MIN_DRAWS <= draws <= defaults.MAX_DRAWS:
        raise DecideError(f"draws must be a whole number from {MIN_DRAWS:,} to {defaults.MAX_DRAWS:,} (default "
                          f"{DEFAULT_DRAWS:,}); got {draws!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise DecideError(f"seed must be a whole number from 0 to {MAX_SEED:,} (default {DEFAULT_SEED}); got {seed!r}")
    if isinstance(interval, bool) or not isinstance(interval, int | float) or not 0 < interval < 1:
        raise DecideError(f"interval must be a share between 0 and 1, e.g. {DEFAULT_INTERVAL}; got {interval!r}")


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
    choice was not stated and takes the option with the highest expected value (refused when options cannot be told
    apart, as none is then the highest). The record gets
    its place in a chain (and its signature) when :func:`write_record` writes it into a folder.
    """
    if not isinstance(decision, Decision):
        raise DecideError(f"make_record needs a Decision (from decide.load_case), got {type(decision).__name__}")
    check_settings(draws, seed, interval)
    options = [o.name for o in decision.options]
    if chosen is not None and chosen not in options:
        import difflib

        close = difflib.get_close_matches(chosen, options, n=1, cutoff=0.5)
        raise DecideError(
            f"chosen option '{chosen}' is not an option of this case" + (f" (did you mean '{close[0]}'?)" if close else "")
            + f"; the options are: {'; '.join(options)}"
        )
    numbers, sim = analysis_numbers(decision, draws, seed, interval)
    if chosen is None:
        from decide.compare import lead

        tied = lead(sim).tied
        if len(tied) > 1:  # the first listed of tied options is not 'the highest': the record must say which was chosen
            names = ", ".join(f"'{o}'" for o in tied[:-1]) + f" and '{tied[-1]}'"
            raise DecideError(f"the options {names} cannot be told apart in the analysis (their "
                              "expected values are within the simulation's own error), so none is the highest; say "
                              "which was chosen with --chosen")
        chosen_by = "not stated: the option with the highest expected value in the analysis"
        chosen = numbers["preferred"]
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


def placed(record: Record, sequence: int, previous: str | None, signer=None) -> Record:
    """The record given its place in a chain (and, with ``signer``, an Ed25519 private key, signed).

    The sequence number, the predecessor's hash and the signing key's fingerprint are part of
    the hashed content, so none of them can be changed without changing the hash."""
    from decide import signing

    content = json.loads(canonical_json(record.content))
    content["schema"] = SCHEMA
    content["chain"] = {"sequence": int(sequence), "previous": previous}
    content["signed_by"] = signing.fingerprint(signer.public_key()) if signer is not None else None
    sha = content_hash(content)
    return Record(content, sha, record.path, signing.sign(signer, sha) if signer is not None else None)


def record_filename(record: Record) -> str:
    """case_date_hashprefix.json: by case, by date, and never the same for different content."""
    return f"{slug(record.content['case_name'])}_{record.content['decided_on']}_{record.sha256[:12]}.json"


def _check_folder(folder: Path) -> None:
    """Refuse, before any work, a records folder that cannot be written."""
    from decide.files import _existing_parent

    if folder.exists() and not folder.is_dir():
        raise DecideError(f"cannot write records into {folder}: it is a file, not a folder; give a folder with --folder")
    parent = folder if folder.exists() else _existing_parent(folder / "x")
    if not parent.is_dir():
        raise DecideError(f"cannot write records into {folder}: {parent} is a file, not a folder; choose another --folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise DecideError(f"cannot write records into {folder}: the folder {parent} is not writable; choose another --folder")


class _FolderLock:
    """An exclusive lock on a records folder while the next record is chained and written, so two people
    recording at once never give two records the same place in the chain (no lock where the system has none)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.fd = None

    def __enter__(self):
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return self
        self.fd = os.open(self.folder, os.O_RDONLY)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)  # closing releases the lock


def write_record(record: Record, folder: str | os.PathLike = "records", *, sign_with=None) -> Path:
    """Chain a record to the newest one in ``folder`` (and sign it with ``sign_with``, an Ed25519 private key),
    then write it atomically, read-only, and never over an existing file; returns its path.

    Refused if the folder's chain is not whole (``decide verify`` says what is wrong): a new record
    must not vouch for a tampered one. The record written differs from ``record`` by its place in
    the chain; :func:`load_record` the returned path to have it.
    """
    from decide.files import plan_outputs

    folder = Path(folder)
    _check_folder(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DecideError(f"cannot make the records folder {folder}: {exc.strerror or exc}; choose another --folder") from None
    with _FolderLock(folder):
        chain = read_chain(folder)
        if chain.problems:
            first = chain.problems[0]
            more = f" (and {len(chain.problems) - 1} more)" if len(chain.problems) > 1 else ""
            raise DecideError(f"{folder}: the records already there do not form a whole chain, so a new record cannot be "
                              f"added to it: {first}{more}. Run `decide verify {folder}` to see every problem, then "
                              "restore the folder from a backup, or record into a new folder")
        head = chain.records[-1] if chain.records else None
        rec = placed(record, head.sequence + 1 if head else 1, head.sha256 if head else None, sign_with)
        text = render_file(rec.content, rec.sha256, rec.signature)
        base = record_filename(rec)
        if not (folder / base).exists():  # (the same name again gets a numbered suffix below)
            plan_outputs([folder / base], force=False)
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
    *,
    sign_with=None,
    **kw,
) -> Path:
    """Record a decision (a Decision or a YAML case file) into ``folder``; returns the new file's path.

    ``sign_with`` is an Ed25519 private key, or the path of a key file from ``decide key new``."""
    from decide import signing

    if sign_with is not None and not hasattr(sign_with, "sign"):
        sign_with = signing.load_private_key(sign_with)
    _check_folder(Path(folder))  # before the analysis, so a bad folder is said at once
    if not isinstance(case, Decision):
        path = Path(case)
        kw.setdefault("case_name", path.stem)
        case = Decision.from_yaml(path)
    return write_record(make_record(case, **kw), folder, sign_with=sign_with)


# --- reading a record ----------------------------------------------------------------------------

_ADVICE = ("A record is evidence of what was known on the day and must not be edited. Restore the original "
           "file (from a backup or version control), or make a new record with `decide record`")


def where_differ(a: str, b: str) -> str:
    """Two hashes in full, and the first position where they differ (a changed last character must show)."""
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"{a}\n  but the record says   {b}\n  (they differ from character {i + 1} of {max(len(a), len(b))})"


_HEX64 = re.compile(r"[0-9a-f]{64}")


def _layout_problems(content: dict, schema: str) -> list[str]:
    """What is missing or of the wrong kind in a record's content (a re-hashed record can hold anything)."""
    problems = []

    def need(where: str, value, kinds, what: str):
        if isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,)):
            problems.append(f"{where} should be {what}")
        elif not isinstance(value, kinds):
            problems.append(f"{where} is missing" if value is None else f"{where} should be {what}")
            return False
        return True

    for key in ("case_name", "decided_on", "recorded_at", "recorded_by", "question"):
        need(key, content.get(key), str, "text")
    for key in ("decided_on", "recorded_at"):
        if isinstance(content.get(key), str):
            try:
                (dt.date if key == "decided_on" else dt.datetime).fromisoformat(content[key])
            except ValueError:
                problems.append(f"{key} should be a date (YYYY-MM-DD)")
    if need("decided_by", content.get("decided_by"), list, "a list of roles"):
        if not all(isinstance(x, str) for x in content["decided_by"]):
            problems.append("decided_by should be a list of roles (text)")
    if need("chosen", content.get("chosen"), dict, "the chosen option, reason and who chose"):
        for key in ("option", "reason", "chosen_by"):
            need(f"chosen.{key}", content["chosen"].get(key), str, "text")
    need("case", content.get("case"), dict, "the case as a mapping")
    need("versions", content.get("versions"), dict, "the library versions as a mapping")
    if need("analysis", content.get("analysis"), dict, "the stored analysis"):
        a = content["analysis"]
        for key in ("summary", "outcomes", "tornado"):
            need(f"analysis.{key}", a.get(key), list, "a table (a list of rows)")
        need("analysis.tornado_base", a.get("tornado_base"), dict, "a mapping")
        need("analysis.preferred", a.get("preferred"), str, "an option's name")
        if need("analysis.settings", a.get("settings"), dict, "the simulation settings"):
            st_ = a["settings"]
            try:
                check_settings(st_.get("draws"), st_.get("seed"), st_.get("interval"))
            except DecideError as exc:
                problems.append(f"analysis.settings: {exc}")
            w, rng = st_.get("harm_weight"), st_.get("harm_weight_range")
            if not (isinstance(w, int | float) and not isinstance(w, bool) and math.isfinite(w)):
                problems.append("analysis.settings.harm_weight should be a number")
            if not (isinstance(rng, list) and len(rng) == 2
                    and all(isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in rng)
                    and rng[0] < rng[1]):
                problems.append("analysis.settings.harm_weight_range should be two numbers, lowest first")
    if schema != "decide-record/1":
        chain = content.get("chain")
        if need("chain", chain, dict, "the record's place in its folder (sequence and previous)"):
            seq, prev = chain.get("sequence"), chain.get("previous")
            if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
                problems.append("chain.sequence should be a whole number, 1 or more")
            elif (seq == 1) != (prev is None):
                problems.append("chain.previous should be empty for the first record and a hash for every other")
            if prev is not None and not (isinstance(prev, str) and _HEX64.fullmatch(prev)):
                problems.append("chain.previous should be a SHA-256 hash (64 hex characters)")
        fp = content.get("signed_by")
        if "signed_by" not in content:
            problems.append("signed_by is missing")
        elif fp is not None and not (isinstance(fp, str) and _HEX64.fullmatch(fp)):
            problems.append("signed_by should be a key fingerprint (64 hex characters) or empty")
    return problems


def load_record(path: str | os.PathLike) -> Record:
    """Read a record and check it is exactly as written; refuse, with a clear message, one that was edited.

    This checks the content hash and layout (accidental change, damage, a removed signature); whether
    the record was signed by a trusted key is checked by :func:`check_signature`."""
    from decide.files import read_small_file

    path = Path(path)
    raw = read_small_file(path, what="record", limit=MAX_RECORD_BYTES,
                          too_large="is far larger than any record decide writes (at most {limit:,}); it is not a "
                                    "record. Check you gave the right file",
                          missing_hint="check the path (records are named CASE_DATE_HASH.json)",
                          folder_hint=f"; give one record file inside it (CASE_DATE_HASH.json), or check the whole "
                                      f"folder with `decide verify {path}`")
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except UnicodeDecodeError as exc:
        raise DecideError(f"{path}: not a readable record (not UTF-8 at byte {exc.start}): it has been changed or damaged. {_ADVICE}") from None
    except json.JSONDecodeError as exc:
        raise DecideError(f"{path}: not a readable record (broken JSON at line {exc.lineno}, column {exc.colno}): "
                          f"it has been changed or damaged. {_ADVICE}") from None
    except RecursionError:
        raise DecideError(f"{path}: not a record (its brackets are nested far deeper than any record's)") from None
    if not isinstance(data, dict) or not {"record", "sha256"} <= set(data) or not set(data) <= {"record", "sha256", "signature"} \
            or not isinstance(data["record"], dict):
        raise DecideError(f"{path}: not a decide record (a record holds 'record', 'sha256' and, if signed, 'signature'). "
                          "Make one with `decide record CASE.yaml`")
    content, stated, signature = data["record"], data["sha256"], data.get("signature")
    schema = content.get("schema")
    if schema not in READABLE:
        shown = repr(schema) if isinstance(schema, str) and len(schema) < 60 else "an unknown one"
        raise DecideError(f"{path}: record format {shown} is not one this version of decide reads "
                          f"({', '.join(READABLE)}); review it with the version of decide that wrote it")
    try:
        actual = content_hash(content)
    except ValueError:  # NaN or Infinity slipped in by hand
        actual = None
    if not isinstance(stated, str):
        stated = str(stated)
    if actual != stated:
        raise DecideError(
            f"{path}: this record has been changed since it was written: its content hash is\n  "
            + (where_differ(actual, stated) if actual else f"not computable (it holds NaN or infinity), but the record says {stated[:64]}")
            + f"\n{_ADVICE}"
        )
    if signature is not None and (schema == "decide-record/1" or not isinstance(signature, dict)):
        raise DecideError(f"{path}: the record's signature is not in the form decide writes; it has been changed. {_ADVICE}")
    if text != render_file(content, stated, signature):
        raise DecideError(
            f"{path}: the content hash matches but the file is not byte-for-byte as decide wrote it (spacing or "
            f"layout was edited). {_ADVICE}"
        )
    problems = _layout_problems(content, schema)
    if problems:
        raise DecideError(f"{path}: not a complete record: " + "; ".join(problems[:6])
                          + (f" (and {len(problems) - 6} more)" if len(problems) > 6 else "")
                          + ". decide never writes such a record; it was made or edited by hand. " + _ADVICE)
    if schema != "decide-record/1":
        from decide.signing import short

        said = content.get("signed_by")
        if said and signature is None:
            raise DecideError(f"{path}: the record says it was signed with key {short(said)}, but its signature has been "
                              f"removed. {_ADVICE}")
        if signature is not None and signature.get("key_fingerprint") != said:
            raise DecideError(f"{path}: the record's signature names a different key from the one the record says "
                              f"signed it; the record or its signature has been changed. {_ADVICE}")
    return Record(content, stated, path, signature)


# --- what a record's protection is worth ----------------------------------------------------------


def check_signature(record: Record, trusted=None) -> str:
    """Say, in one sentence for a reader, which guarantee a record has; refuse it under ``trusted`` keys
    (a list of :class:`decide.signing.PublicKey`) when it is unsigned, signed by another key or altered."""
    from decide import signing

    trusted = list(trusted or [])
    accidental = ("This record is protected only against accidental change: its content hash shows a slip or a "
                  "damaged file, but anyone who can edit the file can change it and compute a new hash without a "
                  "review noticing.")
    if record.content.get("schema") == "decide-record/1":
        status = "It is an older record (format 1), neither signed nor chained to the records before it."
        if trusted:
            raise DecideError(f"{record.name}: {status} Its origin cannot be checked against a trusted key; review it "
                              "without --trust, knowing it is protected only against accidental change")
        return f"{status} {accidental}"
    fp = record.signed_by
    if trusted:
        names = ", ".join(signing.short(k.fingerprint) for k in trusted)
        if fp is None or record.signature is None:
            raise DecideError(f"{record.name}: the record is not signed, so it cannot be shown to come from a trusted "
                              f"key ({names}); anyone could have written or edited it. Ask for the signed original")
        match = [k for k in trusted if k.fingerprint == fp]
        if not match:
            raise DecideError(f"{record.name}: signed by key {signing.short(fp)}, which is not a trusted key (trusted: "
                              f"{names}). Check you have the right public key, or ask who signed it")
        if not signing.verify(match[0].key, record.sha256, record.signature):
            raise DecideError(f"{record.name}: its signature does not match its content: the record was changed after "
                              f"key {signing.short(fp)} signed it (and re-hashed). Ask for the signed original")
        return (f"Signed with the trusted key {signing.short(fp)}, and the signature matches: this record is exactly "
                f"as the holder of that key signed it. It is record {record.sequence} in its folder's chain "
                "(`decide verify` on the folder checks that none before it was removed or changed).")
    if fp is not None:
        return (f"It says it is signed with key {signing.short(fp)}, but the signature was not checked, because no "
                f"trusted public key was given (--trust). {accidental}")
    return f"It is not signed. {accidental}"


@dataclass
class ChainReport:
    """The records of a folder in chain order, and every problem found (empty when the chain is whole)."""

    folder: Path
    records: list[Record]
    problems: list[str]
    notes: list[str]

    @property
    def head(self) -> Record | None:
        return self.records[-1] if self.records else None


def read_chain(folder: str | os.PathLike, trusted=None) -> ChainReport:
    """Load every record in a folder and check their chain: each sequence number present once, from 1,
    and each record naming its predecessor's hash; with ``trusted`` keys, each record signed by one."""
    from decide import signing

    folder = Path(folder)
    problems: list[str] = []
    records: list[Record] = []
    for path in sorted(folder.glob("*.json")):
        if path.name.startswith("."):
            continue
        try:
            rec = load_record(path)
        except DecideError as exc:
            problems.append(str(exc).split(_ADVICE)[0].strip().rstrip("."))
            continue
        if rec.sequence is None:
            problems.append(f"{path.name} is an older record (format 1), written before records were chained; it is "
                            "outside the chain, so nothing shows whether it was added, changed or re-hashed later")
            continue
        records.append(rec)
    records.sort(key=lambda r: (r.sequence, r.path.name))
    by_hash = {r.sha256: r for r in records}
    expected = 1
    for i, rec in enumerate(records):
        name = rec.path.name
        if i and rec.sequence == records[i - 1].sequence:
            problems.append(f"{records[i - 1].path.name} and {name} both say they are record {rec.sequence}: one was "
                            "copied in from elsewhere or edited")
            continue
        if rec.sequence > expected:
            gap = (f"record {expected}" if rec.sequence == expected + 1 else f"records {expected} to {rec.sequence - 1}")
            after = f"after {records[i - 1].path.name}" if i else "at the start of the chain"
            problems.append(f"{gap} missing {after}, before {name} (record {rec.sequence}): removed from the folder")
        expected = rec.sequence + 1
        before = records[i - 1] if i and records[i - 1].sequence == rec.sequence - 1 else None
        if rec.previous is None or before is None:
            continue
        if rec.previous != before.sha256:
            named = by_hash.get(rec.previous)
            if named is not None:
                problems.append(f"{name} (record {rec.sequence}) says it follows {named.path.name} (record "
                                f"{named.sequence}), not {before.path.name}: the records were reordered and re-hashed")
            else:
                problems.append(f"{before.path.name} (record {before.sequence}) is not the record that {name} (record "
                                f"{rec.sequence}) was chained to: it was changed and re-hashed, or replaced. Hash now "
                                f"{where_differ(before.sha256, rec.previous).replace('the record says', f'{name} says')}")
    notes = []
    if trusted:
        for rec in records:
            try:
                check_signature(rec, trusted)
            except DecideError as exc:
                problems.append(str(exc))
    elif records:
        signed = sorted({r.signed_by for r in records if r.signed_by})
        notes.append(
            "Signatures were not checked (no --trust). The chain shows a record removed, reordered, or changed in the "
            "middle; but anyone who can edit the folder can change the newest record, or re-write the whole chain, "
            "and compute new hashes. "
            + (f"Records say they are signed by: {', '.join(signing.short(f) for f in signed)}." if signed
               else "No record is signed.")
        )
    if records:
        head = records[-1]
        notes.append(f"The newest record is record {head.sequence} ({head.path.name}), hash {head.sha256}. Removing the "
                     "newest records cannot be seen from the folder alone: note this number and hash somewhere else "
                     "(a case file, minutes) to check against later.")
    return ChainReport(folder, records, problems, notes)


# --- command line ------------------------------------------------------------------------------


def cmd_record(args) -> int:
    from decide import signing

    key = signing.load_private_key(args.sign) if args.sign else None  # before the analysis: a bad key is said at once
    path = record(args.case, args.folder, chosen=args.chosen, reason=args.reason or "", draws=args.draws,
                  seed=args.seed, recorded_by=args.by or "", sign_with=key)
    rec = load_record(path)
    print(f"wrote {path}")
    print(f"  decided on {rec.content['decided_on']} by {', '.join(rec.content['decided_by'])}; chosen: {rec.chosen} "
          f"({rec.content['chosen']['chosen_by']})")
    values = rec.table("summary")["expected_value"]
    level = [str(o) for o, v in values.items() if v == values.max()]  # options equal in expected value: none is 'the highest'
    print(f"  analysis: {rec.settings['draws']} draws, seed {rec.settings['seed']}; "
          + (f"highest expected value: {rec.content['analysis']['preferred']}" if len(level) == 1 else
             "no single highest expected value: " + ", ".join(f"'{o}'" for o in level[:-1]) + f" and '{level[-1]}' are level"))
    print(f"  record {rec.sequence} in {args.folder}" + (f", after the record with hash {rec.previous}" if rec.previous else
                                                        " (the first there)"))
    print(f"  sha256 {rec.sha256}")
    print("  signed with key " + signing.short(rec.signed_by) if rec.signed_by else
          "  not signed: protected only against accidental change (sign with --sign KEYFILE; see `decide key new`)")
    return 0


def cmd_verify(args) -> int:
    from decide import signing

    folder = Path(args.folder)
    if not folder.is_dir():
        raise DecideError(f"{folder}: " + ("a file, not a folder; give the folder that holds the records"
                                           if folder.exists() else "no such folder; give the folder that holds the records"))
    trusted = [signing.load_public_key(k) for k in args.trust or []]
    report = read_chain(folder, trusted)
    if not report.records and not report.problems:
        raise DecideError(f"{folder} holds no records (files CASE_DATE_HASH.json written by `decide record`)")
    for line in report.notes:
        print(line)
    if report.problems:
        what = "the chain is not whole, or not every record is signed by a trusted key" if trusted else "the chain is not whole"
        print(f"{folder}: {len(report.problems)} problem(s) found: {what}.", file=sys.stderr)
        for line in report.problems:
            print("- " + line, file=sys.stderr)
        return 2
    signed = (f"every one signed by a trusted key ({', '.join(signing.short(k.fingerprint) for k in trusted)})"
              if trusted else "signatures not checked")
    print(f"{folder}: the chain of {len(report.records)} record(s) is whole (records 1 to {report.head.sequence}, "
          f"each naming the one before it); {signed}.")
    return 0


def register(subparsers) -> None:
    help_text = "write a content-hashed, chained (and optionally signed) record of a decision as of its date (JSON)"
    p = subparsers.add_parser("record", help=help_text, description=help_text + ". Example: decide record "
                              "data/cases/return_home.yaml --chosen 'phased return' --reason '...' --folder records "
                              "--sign team.key")
    p.add_argument("case", help="path to a YAML case file (see data/cases/ for examples)")
    p.add_argument("--chosen", help="the option the decision-makers chose (default: the one with highest expected value, "
                                    "marked as not stated; required when the analysis cannot tell the best options apart)")
    p.add_argument("--reason", help="the decision-makers' reasons, in their words")
    p.add_argument("--by", help="who is making the record (a role, not a name)")
    p.add_argument("--folder", default="records", help="folder to write the record into; it is chained to the newest "
                                                       "record already there (default: records)")
    p.add_argument("--sign", metavar="KEYFILE", help="sign the record with this private key (from `decide key new`)")
    p.add_argument("--draws", type=int, default=DEFAULT_DRAWS,
                   help=f"simulation draws, {MIN_DRAWS:,} to {defaults.MAX_DRAWS:,} (default {DEFAULT_DRAWS:,}, as for compare and report)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED,
                   help=f"random seed, 0 to {MAX_SEED:,}, stored in the record (default {DEFAULT_SEED})")
    p.set_defaults(func=cmd_record)

    help_text = "check the chain of records in a folder: none removed, reordered or altered (and, with --trust, signed)"
    p = subparsers.add_parser("verify", help=help_text, description=help_text + ". Exit 0 when the chain is whole, 2 "
                              "otherwise. Example: decide verify records --trust team.key.pub")
    p.add_argument("folder", help="the folder of records (as given to `decide record --folder`)")
    p.add_argument("--trust", nargs="+", action="extend", metavar="PUBKEY",
                   help="public key file(s) (KEYFILE.pub) whose signatures are trusted; every record must be signed by one")
    p.set_defaults(func=cmd_verify)

    from decide.review import register as register_review
    from decide.signing import register as register_key

    register_review(subparsers)
    register_key(subparsers)
