"""What a workshop leaves behind: a new case file with the group's judgements, and a record of the session.

The new case file is the original with each elicited quantity's judgement replaced by the
participants' judgements (by role, equal weights); it is checked as ``decide check`` checks a
case before it is written, and never written over the original or any existing file. The
record holds both rounds, every answer with its times, and what was revealed when; it is
hashed, written once and read-only, the way decision records are (decide.record's canonical
JSON, hash and file layout; decide.signing's signature), so any later edit is detected.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from decide.errors import DecideError
from decide.workshop.session import Workshop

#: The layout of a workshop record; bump it if the layout changes.
SCHEMA = "decide-workshop/1"


def final_round(workshop: Workshop) -> int:
    """The round whose answers go into the case file: 2 once it has been opened, else 1 (after its reveal)."""
    stage = workshop.stage
    if stage in ("choosing", "round 1"):
        raise DecideError(f"the workshop is at '{stage}'; write the case file after the answers have been revealed "
                          "(and, usually, after round 2)")
    return 2 if stage in ("round 2", "revealed 2") else 1


#: The ways the judgements of the roles can be weighted in the new case file.
WEIGHTINGS = ("equal", "performance")


def role_weights(workshop: Workshop, weights: str) -> dict[str, float] | None:
    """None for equal weights; for performance weights, each role's Cooke weight (refused unless every role that
    answered a quantity answered every calibration question)."""
    if weights not in WEIGHTINGS:
        raise DecideError(f"weights must be one of {', '.join(WEIGHTINGS)}; got {weights!r}")
    if weights == "equal":
        return None
    if not workshop.calibration_questions():
        raise DecideError("performance weights need calibration questions (questions with published answers, "
                          "given with --calibration); this workshop has none, so use equal weights")
    found = workshop.performance_weights()
    answering = {a["role"] for a in workshop.store.answers()}
    missing = sorted(answering - set(found))
    if missing:
        raise DecideError("performance weights need every participant's answers to every calibration question; "
                          f"missing for: {', '.join(missing)}. Use equal weights instead")
    return found


def case_text(workshop: Workshop, when: dt.date | None = None, weights: str = "equal") -> str:
    """The new case file's text: the original case with the workshop's judgements, checked as a case file."""
    import yaml

    from decide.frame import Decision

    rnd = final_round(workshop)
    by_role = role_weights(workshop, weights)
    how = "equal weights" if by_role is None else "performance weights from calibration questions (Cooke's classical model)"
    data = json.loads(json.dumps(workshop._data, default=str))  # a deep copy in plain types (dates as text)
    when = when or dt.date.today()
    elicited = []
    for q in data["quantities"]:
        name = q.get("name") if isinstance(q, dict) else None
        if name not in workshop.quantities:
            continue
        judged = workshop.judgements(name, rnd)
        if not judged:
            continue  # nobody answered: the case keeps its own judgement
        weight = {role: 1.0 if by_role is None else by_role[role] for role in judged}
        left_out = [role for role, w in weight.items() if not w > 0]
        kept = {role: j for role, j in judged.items() if weight[role] > 0}
        if not kept:
            raise DecideError(f"every role's performance weight is zero for {workshop.describe(name)}; use equal weights")
        q.pop("judgement", None)
        q["judgements"] = [j.model_dump(exclude_none=True, exclude_defaults=True) | {"by": role, "weight": weight[role]}
                           for role, j in kept.items()]
        q["source"] = (f"elicitation workshop on {when.isoformat()}: {len(kept)} "
                       f"role{'s' if len(kept) != 1 else ''}, {'two rounds' if rnd == 2 else 'one round'}, {how}"
                       + (f"; left out for a zero weight: {', '.join(left_out)}" if left_out else "")
                       + (f" (before it: {q['source']})" if q.get("source") else ""))
        elicited.append(name)
    if not elicited:
        raise DecideError("no quantity has any answer yet, so there is nothing to write; wait for answers")
    header = (f"# Written by `decide workshop` on {when.isoformat()} from {workshop.case_path} "
              f"(sha256 {workshop.case_sha256[:12]}).\n# Judgements elicited for: {', '.join(elicited)}.\n")
    text = header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
    Decision.from_yaml_text(text, source="the workshop's case file")  # never write a case `decide check` refuses
    return text


def write_case(workshop: Workshop, path: str | Path, *, force: bool = False, weights: str = "equal") -> Path:
    """Write the new case file (never over the original; over another file only with ``force``)."""
    from decide._html import write_new
    from decide.files import plan_outputs

    (path,) = plan_outputs([path], inputs=[workshop.case_path], force=force)
    text = case_text(workshop, weights=weights)
    write_new(path, text, force=force)
    workshop.store.log("case file written", {"path": str(path), "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                                             "round": final_round(workshop), "weights": weights,
                                             "role_weights": role_weights(workshop, weights)})
    return path


def record_content(workshop: Workshop, *, recorded_at: dt.datetime | None = None, signed_by: str | None = None) -> dict:
    """Everything the session did: the case it was on, the quantities, both rounds' answers with their times,
    and every step (with what was revealed at each reveal)."""
    from decide.record import canonical_json, installed_versions

    content = {
        "schema": SCHEMA,
        "case": {"path": workshop.case_path, "sha256": workshop.case_sha256},
        "quantities": workshop.quantities,
        "roles": workshop.store.roles(),
        "stage": workshop.stage,
        "weights": "equal",
        "answers": workshop.store.answers(),
        "calibration": {"questions": workshop.calibration_questions(), "answers": workshop.store.calibration_answers(),
                        "scores": workshop.calibration_scores()},
        "events": workshop.store.events(),
        "recorded_at": (recorded_at or dt.datetime.now(dt.timezone.utc)).isoformat(),
        "versions": installed_versions(),
        "signed_by": signed_by,
    }
    return json.loads(canonical_json(content))


def write_record(workshop: Workshop, folder: str | Path = "records", *, sign_with=None) -> Path:
    """Write the workshop record into ``folder``: hashed, read-only, never over an existing file."""
    from decide import signing
    from decide.files import plan_outputs
    from decide.record import content_hash, render_file, slug

    folder = Path(folder)
    signed_by = signing.fingerprint(sign_with.public_key()) if sign_with is not None else None
    content = record_content(workshop, signed_by=signed_by)
    sha = content_hash(content)
    text = render_file(content, sha, signing.sign(sign_with, sha) if sign_with is not None else None)
    name = f"workshop_{slug(Path(workshop.case_path).stem)}_{content['recorded_at'][:10]}_{sha[:12]}.json"
    (path,) = plan_outputs([folder / name], inputs=[workshop.case_path])
    try:
        folder.mkdir(parents=True, exist_ok=True)
        signing._write_exclusive(path, text.encode("utf-8"), 0o444)
    except FileExistsError:
        raise DecideError(f"{path} already exists; a record is never written over another file") from None
    except OSError as exc:
        raise DecideError(f"cannot write {path}: {exc.strerror or exc}; choose another folder") from None
    workshop.store.log("record written", {"path": str(path), "sha256": sha})
    return path


def load_workshop_record(path: str | Path) -> tuple[dict, str]:
    """A workshop record's content and hash, refused with a clear message if it was changed after writing."""
    from decide.files import read_small_file
    from decide.record import MAX_RECORD_BYTES, content_hash, render_file, where_differ

    path = Path(path)
    raw = read_small_file(path, what="workshop record", limit=MAX_RECORD_BYTES,
                          too_large="is far larger than any record decide writes (at most {limit:,})",
                          missing_hint="check the path (workshop records are named workshop_CASE_DATE_HASH.json)")
    advice = "A record must not be edited; restore the original file from a backup"
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise DecideError(f"{path}: not a readable workshop record (damaged or edited). {advice}") from None
    if not isinstance(data, dict) or not isinstance(data.get("record"), dict) or data["record"].get("schema") != SCHEMA:
        raise DecideError(f"{path}: not a workshop record of format {SCHEMA}")
    content, stated = data["record"], str(data.get("sha256"))
    actual = content_hash(content)
    if actual != stated:
        raise DecideError(f"{path}: this record has been changed since it was written: its content hash is\n  "
                          f"{where_differ(actual, stated)}\n{advice}")
    if raw.decode("utf-8") != render_file(content, stated, data.get("signature")):
        raise DecideError(f"{path}: the content hash matches but the file is not byte-for-byte as decide wrote it. {advice}")
    return content, actual
