"""Catalogue: records, signatures, chains and reviews (decide record / review / verify / key).

Records and keys are made in each entry's folder by its ``setup`` (from one small record built
once per run), then damaged or forged the way a careless or hostile person would: edited and
re-hashed the way decide hashes, signed by another key, cut short, reordered, removed.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import shutil
from pathlib import Path

from _shared import MINIMAL_CASE, dump
from hostile import Entry

CASE = {"case.yaml": dump(MINIMAL_CASE)}
WHEN = dt.datetime(2026, 1, 15, 16, 30, tzinfo=dt.timezone.utc)
REVIEW = ["--outcome", "harm", "-o", "review.html"]


@functools.cache
def _draft():
    """One small unwritten record of the minimal case (built once; each entry writes its own copies)."""
    from decide.frame import Decision
    from decide.record import make_record

    return make_record(Decision.from_dict(MINIMAL_CASE), chosen="home", draws=200, seed=1, case_name="minimal",
                       recorded_at=WHEN)


def _key(folder: Path, name: str = "team.key"):
    from decide.signing import load_private_key, new_key_pair

    if not (folder / name).exists():
        new_key_pair(folder / name)
    return load_private_key(folder / name)


def _chain(folder: Path, n: int = 1, *, sign: str | None = None, into: str = "recs") -> list[Path]:
    from decide.record import write_record

    key = _key(folder, sign) if sign else None
    return [write_record(_draft(), folder / into, sign_with=key) for _ in range(n)]


def _one(folder: Path, *, sign: str | None = None, name: str = "rec.json") -> Path:
    """A single record at a fixed name, so the command line can name it."""
    path = _chain(folder, 1, sign=sign, into="made")[0]
    target = folder / name
    os.replace(path, target)
    shutil.rmtree(folder / "made")
    return target


def _rewrite(path: Path, change, *, keep_signature: bool = True, rehash: bool = True) -> None:
    """Edit a record's content, then (by default) re-hash it exactly as decide does."""
    from decide.record import content_hash, render_file

    data = json.loads(path.read_text(encoding="utf-8"))
    content = data["record"]
    change(content)
    sha = content_hash(content) if rehash else data["sha256"]
    path.chmod(0o644)
    path.write_text(render_file(content, sha, data.get("signature") if keep_signature else None), encoding="utf-8")


def _reason(c):
    c["chosen"]["reason"] = "written after the event"


# --- setups --------------------------------------------------------------------------------------


def warm(folder):
    """Nothing in the folder: only pay the first fit's one-off import (preliz, several seconds on a busy machine)
    before the clock starts, so the time limit measures the command, not the import."""
    _draft()


def signed_record(folder):
    _one(folder, sign="team.key")


def unsigned_record(folder):
    _one(folder)


def two_keys_signed_by_team(folder):
    _one(folder, sign="team.key")
    _key(folder, "other.key")


def forged_keep_signature(folder):
    _rewrite(_one(folder, sign="team.key"), _reason)


def forged_strip_signature(folder):
    def strip(c):
        _reason(c)
        c["signed_by"] = None

    _rewrite(_one(folder, sign="team.key"), strip, keep_signature=False)


def signature_removed_only(folder):
    _rewrite(_one(folder, sign="team.key"), lambda c: None, keep_signature=False, rehash=False)


def signature_garbage(folder):
    path = _one(folder, sign="team.key")
    data = json.loads(path.read_text())
    data["signature"]["value"] = "AAAA" + data["signature"]["value"][4:]
    from decide.record import render_file

    path.chmod(0o644)
    path.write_text(render_file(data["record"], data["sha256"], data["signature"]))


def wrong_version(folder):
    _rewrite(_one(folder), lambda c: c.update(schema="decide-record/99"))


def format_one(folder):
    def old(c):
        c["schema"] = "decide-record/1"
        c.pop("chain")
        c.pop("signed_by")

    _rewrite(_one(folder), old)
    _key(folder)


def missing_analysis(folder):
    _rewrite(_one(folder), lambda c: c.pop("analysis"))


def missing_chain(folder):
    _rewrite(_one(folder), lambda c: c.pop("chain"))


def huge_draws(folder):
    _rewrite(_one(folder), lambda c: c["analysis"]["settings"].update(draws=10**9))


def altered_numbers(folder):
    def shift(c):
        c["analysis"]["summary"][0]["expected_value"] += 5.0

    _rewrite(_one(folder), shift)


def altered_case(folder):
    def raise_chance(c):
        c["case"]["options"][1]["outcomes"][0]["chance"] = 0.9

    _rewrite(_one(folder), raise_chance)


def nan_in_record(folder):
    path = _one(folder)
    text = path.read_text()
    path.chmod(0o644)
    path.write_text(text.replace('"seed": 1', '"seed": NaN', 1))


def last_hash_char(folder):
    path = _one(folder)
    data = json.loads(path.read_text())
    sha = data["sha256"]
    from decide.record import render_file

    path.chmod(0o644)
    path.write_text(render_file(data["record"], sha[:-1] + ("0" if sha[-1] != "0" else "1")))


def truncated(folder):
    path = _one(folder)
    text = path.read_text()
    path.chmod(0o644)
    path.write_text(text[: len(text) // 2])


def huge_record(folder):
    with open(folder / "rec.json", "wb") as fh:
        fh.truncate(25_000_000)


def record_named_html(folder):
    _one(folder, name="rec.html")


def unsigned_and_keys(folder):
    _one(folder)
    _key(folder)


def chain_whole(folder):
    _chain(folder, 3)


def chain_whole_signed(folder):
    _chain(folder, 3, sign="team.key")


def chain_one_unsigned(folder):
    _chain(folder, 2, sign="team.key")
    _chain(folder, 1)


def chain_signed_other_key(folder):
    _chain(folder, 2, sign="other.key")
    _key(folder, "team.key")


def chain_removed(folder):
    _chain(folder, 3)[1].unlink()


def chain_removed_first(folder):
    _chain(folder, 3)[0].unlink()


def chain_reordered(folder):
    paths = _chain(folder, 4)
    _rewrite(paths[1], lambda c: c["chain"].update(sequence=3))
    _rewrite(paths[2], lambda c: c["chain"].update(sequence=2))


def chain_altered(folder):
    path = _chain(folder, 3)[1]
    text = path.read_text()
    path.chmod(0o644)
    path.write_text(text.replace("home", "h0me", 1))


def chain_rehashed_middle(folder):
    _rewrite(_chain(folder, 3)[1], _reason)


def chain_copied_in(folder):
    _chain(folder, 2)
    other = _chain(folder, 2, into="elsewhere")
    shutil.copy(other[1], folder / "recs" / "copied.json")
    shutil.rmtree(folder / "elsewhere")


def chain_with_old_record(folder):
    _chain(folder, 2)
    def old(c):
        c["schema"] = "decide-record/1"
        c.pop("chain")
        c.pop("signed_by")

    path = _one(folder)
    _rewrite(path, old)
    os.replace(path, folder / "recs" / "old.json")


def chain_with_other_json(folder):
    _chain(folder, 2)
    (folder / "recs" / "notes.json").write_text('{"note": "not a record"}')


def empty_folder(folder):
    (folder / "recs").mkdir()


def key_exists(folder):
    _key(folder)


def pub_only_exists(folder):
    (folder / "team.key.pub").write_text("someone else's public key")


def readonly_folder(folder):
    _one(folder)
    (folder / "locked").mkdir()
    (folder / "locked").chmod(0o555)


def big_pub(folder):
    unsigned_record(folder)
    (folder / "big.pub").write_bytes(b"-----BEGIN PUBLIC KEY-----\n" + b"A" * 200_000)


def ec_key(folder):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    _one(folder, sign="team.key")
    (folder / "ec.pub").write_bytes(ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def review_exists(folder):
    _one(folder)
    (folder / "review.html").write_text("an earlier review")


R = "records/"
TIED = {"case.yaml": dump({**MINIMAL_CASE, "options": [MINIMAL_CASE["options"][0], {**MINIMAL_CASE["options"][0], "name": "also home"}]})}
ENTRIES = [
    # --- valid: the ordinary paths work on the smallest case ---
    Entry(R + "record-minimal", "valid input", ["record", "case.yaml", "--draws", "200", "--folder", "recs"], "valid", CASE,
          setup=warm),
    Entry(R + "record-signed", "valid input", ["record", "case.yaml", "--draws", "200", "--folder", "recs", "--sign", "team.key"],
          "valid", CASE, setup=key_exists),
    Entry(R + "record-second-in-chain", "valid input", ["record", "case.yaml", "--draws", "200", "--folder", "recs"], "valid", CASE,
          setup=chain_whole),
    Entry(R + "key-new", "valid input", ["key", "new", "team.key"], "valid"),
    # H2 A1: without --chosen the record took the first of two identical options as "the highest expected value"
    Entry(R + "record-tied-options-without-chosen", "valid but odd", ["record", "case.yaml", "--draws", "200", "--folder", "recs"],
          files=TIED, setup=warm, message=r"options 'home' and 'also home' cannot be told apart.*--chosen"),
    Entry(R + "record-tied-options-chosen", "valid but odd",
          ["record", "case.yaml", "--draws", "200", "--folder", "recs", "--chosen", "also home"], "valid", TIED, setup=warm),
    Entry(R + "key-new-in-new-folder", "valid input", ["key", "new", "keys/team.key"], "valid"),
    Entry(R + "review-unsigned", "valid input", ["review", "rec.json", *REVIEW], "valid", setup=unsigned_record),
    Entry(R + "review-signed-trusted", "valid input", ["review", "rec.json", *REVIEW, "--trust", "team.key.pub"], "valid",
          setup=signed_record),
    Entry(R + "review-signed-unchecked", "valid input", ["review", "rec.json", *REVIEW], "valid", setup=signed_record),
    Entry(R + "review-two-trusted-keys", "valid input",
          ["review", "rec.json", *REVIEW, "--trust", "other.key.pub", "team.key.pub"], "valid", setup=two_keys_signed_by_team),
    Entry(R + "review-not-happened", "valid input", ["review", "rec.json", "--not-happened", "harm", "-o", "r.html"], "valid",
          setup=unsigned_record),
    Entry(R + "review-into-new-folder", "valid input", ["review", "rec.json", "--outcome", "harm", "-o", "out/r.htm"],
          "valid", setup=unsigned_record),
    Entry(R + "verify-whole", "valid input", ["verify", "recs"], "valid", setup=chain_whole),
    Entry(R + "verify-whole-signed", "valid input", ["verify", "recs", "--trust", "team.key.pub"], "valid",
          setup=chain_whole_signed),
    # forged without --trust: accepted, and the review says it is unsigned / unchecked (tested in test_review)
    Entry(R + "forged-rehashed-stripped-no-trust", "forged record", ["review", "rec.json", *REVIEW], "valid",
          setup=forged_strip_signature),
    # --- forged or wrongly signed records under --trust ---
    Entry(R + "forged-rehashed-trust", "forged record", ["review", "rec.json", *REVIEW, "--trust", "team.key.pub"],
          setup=forged_keep_signature, message="signature does not match its content"),
    Entry(R + "forged-stripped-trust", "forged record", ["review", "rec.json", *REVIEW, "--trust", "team.key.pub"],
          setup=forged_strip_signature, message="not signed"),
    Entry(R + "signature-removed", "forged record", ["review", "rec.json", *REVIEW], setup=signature_removed_only,
          message="signature has been removed"),
    Entry(R + "signature-garbage-trust", "forged record", ["review", "rec.json", *REVIEW, "--trust", "team.key.pub"],
          setup=signature_garbage, message="does not match"),
    Entry(R + "wrong-key", "forged record", ["review", "rec.json", *REVIEW, "--trust", "other.key.pub"],
          setup=two_keys_signed_by_team, message="not a trusted key"),
    Entry(R + "unsigned-under-trust", "forged record", ["review", "rec.json", *REVIEW, "--trust", "team.key.pub"],
          setup=unsigned_and_keys, message="not signed"),
    Entry(R + "format-1-under-trust", "forged record", ["review", "rec.json", *REVIEW, "--trust", "team.key.pub"],
          setup=format_one, message="older record"),
    Entry(R + "rehashed-numbers", "forged record", ["review", "rec.json", *REVIEW], setup=altered_numbers,
          message="does not reproduce"),
    Entry(R + "rehashed-case", "forged record", ["review", "rec.json", *REVIEW], setup=altered_case,
          message="does not reproduce|differ"),
    # --- broken files ---
    Entry(R + "truncated-json", "broken record", ["review", "rec.json", *REVIEW], setup=truncated, message="broken JSON"),
    Entry(R + "not-json", "broken record", ["review", "rec.json", *REVIEW], files={"rec.json": "question: which?\n"},
          message="broken JSON"),
    Entry(R + "empty-file", "broken record", ["review", "rec.json", *REVIEW], files={"rec.json": ""}, message="broken JSON"),
    Entry(R + "binary", "broken record", ["review", "rec.json", *REVIEW], files={"rec.json": b"\xff\xfe\x00garbage"},
          message="not UTF-8"),
    Entry(R + "json-list", "broken record", ["review", "rec.json", *REVIEW], files={"rec.json": "[1, 2, 3]"},
          message="not a decide record"),
    Entry(R + "json-other-keys", "broken record", ["review", "rec.json", *REVIEW],
          files={"rec.json": '{"record": {}, "sha256": "x", "extra": 1}'}, message="not a decide record"),
    Entry(R + "wrong-version", "broken record", ["review", "rec.json", *REVIEW], setup=wrong_version,
          message="record format 'decide-record/99'"),
    Entry(R + "missing-analysis", "broken record", ["review", "rec.json", *REVIEW], setup=missing_analysis,
          message="not a complete record.*analysis is missing"),
    Entry(R + "missing-chain", "broken record", ["review", "rec.json", *REVIEW], setup=missing_chain,
          message="chain is missing"),
    Entry(R + "huge-draws-in-record", "broken record", ["review", "rec.json", *REVIEW], setup=huge_draws, message="draws"),
    Entry(R + "nan-in-record", "broken record", ["review", "rec.json", *REVIEW], setup=nan_in_record,
          message="changed since it was written"),
    Entry(R + "last-hash-character", "broken record", ["review", "rec.json", *REVIEW], setup=last_hash_char,
          message="differ from character 64"),
    Entry(R + "huge-file", "hostile file", ["review", "rec.json", *REVIEW], setup=huge_record, message="far larger"),
    Entry(R + "deep-nesting", "hostile file", ["review", "rec.json", *REVIEW],
          files={"rec.json": "[" * 200_000 + "]" * 200_000}, message="nested|not a"),
    Entry(R + "review-missing-record", "missing or unreadable file", ["review", "nope.json", *REVIEW],
          message="no such record"),
    Entry(R + "review-record-is-folder", "missing or unreadable file", ["review", "{dir}", *REVIEW], message="is a folder"),
    # --- outputs: never over an input, checked before anything is written ---
    Entry(R + "review-onto-record", "output over an input", ["review", "rec.json", "--outcome", "harm", "-o", "rec.json",
                                                              "--force"], setup=unsigned_record, message="HTML"),
    Entry(R + "review-onto-record-html", "output over an input", ["review", "rec.html", "--outcome", "harm", "-o",
                                                                   "rec.html", "--force"], setup=record_named_html,
          message="never writes over its input"),
    Entry(R + "review-onto-trusted-key", "output over an input", ["review", "rec.json", "--outcome", "harm", "--trust",
                                                                   "team.key.pub", "-o", "team.key.pub", "--force"],
          setup=signed_record, message="HTML"),
    Entry(R + "review-onto-case", "output over an input", ["review", "rec.json", "--outcome", "harm", "-o", "case.yaml",
                                                            "--force"], files=CASE, setup=unsigned_record, message="HTML"),
    Entry(R + "review-existing-no-force", "output exists", ["review", "rec.json", *REVIEW], setup=review_exists,
          message="already exists"),
    Entry(R + "review-parent-is-file", "bad output path", ["review", "rec.json", "--outcome", "harm", "-o",
                                                            "case.yaml/review.html"], files=CASE, setup=unsigned_record,
          message="is a file"),
    Entry(R + "review-output-is-folder", "bad output path", ["review", "rec.json", "--outcome", "harm", "-o", "d.html"],
          files={"d.html/x.txt": "x"}, setup=unsigned_record, message="is a folder"),
    # --- keys ---
    Entry(R + "key-new-over-existing", "output over an input", ["key", "new", "team.key"], setup=key_exists,
          message="already exists"),
    Entry(R + "key-new-pub-exists", "output over an input", ["key", "new", "team.key"], setup=pub_only_exists,
          message="already exists"),
    Entry(R + "key-new-over-case", "output over an input", ["key", "new", "case.yaml"], files=CASE, message="already exists"),
    # H2 C6: the private key was written into team.pub (the file people hand out), the public one into team.pub.pub
    Entry(R + "key-new-named-pub", "bad output path", ["key", "new", "team.pub"], message=r"team\.pub ends in \.pub.*team\.key"),
    Entry(R + "key-new-named-PUB", "bad output path", ["key", "new", "keys/Team.PUB"], message=r"ends in \.pub.*Team\.key"),
    Entry(R + "key-new-parent-is-file", "bad output path", ["key", "new", "case.yaml/team.key"], files=CASE, message="is a file"),
    Entry(R + "trust-missing", "missing or unreadable file", ["review", "rec.json", *REVIEW, "--trust", "nope.pub"],
          setup=signed_record, message="no such public key"),
    Entry(R + "trust-private-key", "bad key", ["review", "rec.json", *REVIEW, "--trust", "team.key"], setup=signed_record,
          message="is a private key"),
    Entry(R + "trust-not-a-key", "bad key", ["review", "rec.json", *REVIEW, "--trust", "case.yaml"], files=CASE,
          setup=signed_record, message="not a public key"),
    Entry(R + "trust-huge", "hostile file", ["review", "rec.json", *REVIEW, "--trust", "big.pub"], setup=big_pub,
          message="too large"),
    Entry(R + "trust-ec-key", "bad key", ["review", "rec.json", *REVIEW, "--trust", "ec.pub"], setup=ec_key,
          message="not an Ed25519"),
    Entry(R + "sign-missing-key", "missing or unreadable file", ["record", "case.yaml", "--folder", "recs", "--sign",
                                                                 "nope.key"], files=CASE, message="no such private key"),
    Entry(R + "sign-with-public-key", "bad key", ["record", "case.yaml", "--folder", "recs", "--sign", "team.key.pub"], files=CASE,
          setup=key_exists, message="is a public key"),
    Entry(R + "sign-with-case", "bad key", ["record", "case.yaml", "--folder", "recs", "--sign", "case.yaml"], files=CASE,
          message="not a private key"),
    # --- record arguments ---
    Entry(R + "record-into-broken-chain", "tampered chain", ["record", "case.yaml", "--draws", "200", "--folder", "recs"],
          files=CASE, setup=chain_removed, message="whole chain"),
    Entry(R + "record-folder-is-file", "bad output path", ["record", "case.yaml", "--folder", "case.yaml"], files=CASE,
          message="is a file"),
    Entry(R + "record-zero-draws", "bad argument", ["record", "case.yaml", "--draws", "0", "--folder", "recs"], files=CASE,
          message="draws"),
    Entry(R + "record-huge-draws", "bad argument", ["record", "case.yaml", "--draws", "1000000000", "--folder", "recs"], files=CASE,
          message="draws"),
    Entry(R + "record-negative-seed", "bad argument", ["record", "case.yaml", "--seed", "-1", "--folder", "recs"], files=CASE,
          message="seed"),
    Entry(R + "record-unknown-choice", "bad argument", ["record", "case.yaml", "--chosen", "hom", "--folder", "recs"], files=CASE, setup=warm,
          message="did you mean 'home'"),
    Entry(R + "review-unknown-option", "bad argument", ["review", "rec.json", *REVIEW, "--option", "nowhere"],
          setup=unsigned_record, message="not an option"),
    Entry(R + "review-no-outcome", "bad argument", ["review", "rec.json", "-o", "r.html"], setup=unsigned_record,
          message="say what happened"),
    Entry(R + "review-unknown-outcome", "bad argument", ["review", "rec.json", "--outcome", "harms", "-o", "r.html"],
          setup=unsigned_record, message="did you mean 'harm'"),
    Entry(R + "review-both-ways", "bad argument", ["review", "rec.json", "--outcome", "harm", "--not-happened", "harm",
                                                   "-o", "r.html"], setup=unsigned_record, message="both happened"),
    # --- verify: removed, reordered, altered, unsigned ---
    Entry(R + "verify-removed", "tampered chain", ["verify", "recs"], setup=chain_removed, message="record 2 missing"),
    Entry(R + "verify-removed-first", "tampered chain", ["verify", "recs"], setup=chain_removed_first,
          message="record 1 missing at the start"),
    Entry(R + "verify-reordered", "tampered chain", ["verify", "recs"], setup=chain_reordered, message="reordered"),
    Entry(R + "verify-altered", "tampered chain", ["verify", "recs"], setup=chain_altered,
          message="changed since it was written"),
    Entry(R + "verify-rehashed-middle", "tampered chain", ["verify", "recs"], setup=chain_rehashed_middle,
          message="changed and re-hashed"),
    Entry(R + "verify-copied-in", "tampered chain", ["verify", "recs"], setup=chain_copied_in, message="both say they are record"),
    Entry(R + "verify-old-record", "tampered chain", ["verify", "recs"], setup=chain_with_old_record, message="older record"),
    Entry(R + "verify-other-json", "tampered chain", ["verify", "recs"], setup=chain_with_other_json,
          message="not a decide record"),
    Entry(R + "verify-unsigned-under-trust", "tampered chain", ["verify", "recs", "--trust", "team.key.pub"],
          setup=chain_one_unsigned, message="not signed"),
    Entry(R + "verify-other-key", "tampered chain", ["verify", "recs", "--trust", "team.key.pub"],
          setup=chain_signed_other_key, message="not a trusted key"),
    Entry(R + "verify-empty", "bad argument", ["verify", "recs"], setup=empty_folder, message="holds no records"),
    Entry(R + "verify-missing", "bad argument", ["verify", "nowhere"], message="no such folder"),
    Entry(R + "verify-a-file", "bad argument", ["verify", "case.yaml"], files=CASE, message="a file, not a folder"),
]

if os.geteuid() != 0:  # root writes anywhere, so a read-only folder refuses nothing to it
    ENTRIES.append(Entry(R + "review-read-only-folder", "bad output path",
                         ["review", "rec.json", "--outcome", "harm", "-o", "locked/r.html"], setup=readonly_folder,
                         message="not writable"))
