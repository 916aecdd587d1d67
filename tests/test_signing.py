"""Signing: keys as files, and signatures checked by cryptography's own verify (an oracle), not only by decide."""

import base64
import datetime as dt
import hashlib
import json
import os
import stat

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from decide.errors import DecideError
from decide.frame import Decision
from decide.record import load_record, make_record, read_chain, write_record
from decide.signing import (
    SIGNED_PREFIX,
    fingerprint,
    load_private_key,
    load_public_key,
    new_key_pair,
    short,
    sign,
    signed_message,
    verify,
)

from conftest import BASE_CASE

WHEN = dt.datetime(2026, 1, 15, 16, 30, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("key")
    return new_key_pair(folder / "team.key")


@pytest.fixture(scope="module")
def signed_record(pair, tmp_path_factory):
    rec = make_record(Decision.from_dict(BASE_CASE), chosen="home", draws=200, seed=2, recorded_at=WHEN)
    return write_record(rec, tmp_path_factory.mktemp("recs"), sign_with=load_private_key(pair[0]))


def test_key_files_are_pem_owner_only_and_read_by_cryptography(pair):
    private_path, public_path, fp = pair
    assert public_path.name == private_path.name + ".pub"
    assert stat.S_IMODE(os.stat(private_path).st_mode) == 0o600
    assert not os.stat(public_path).st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)  # the oracle reads it
    pub = serialization.load_pem_public_key(public_path.read_bytes())
    assert isinstance(key, Ed25519PrivateKey)
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert raw == key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert fp == hashlib.sha256(raw).hexdigest() and len(raw) == 32


def test_a_records_signature_verifies_with_cryptography_directly(pair, signed_record):
    """Independent of decide's verify: cryptography checks the stored signature over the documented message."""
    data = json.loads(signed_record.read_text())
    pub = serialization.load_pem_public_key(pair[1].read_bytes())
    sig = base64.b64decode(data["signature"]["value"])
    sha = hashlib.sha256(json.dumps(data["record"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                         .encode("utf-8")).hexdigest()
    assert sha == data["sha256"]
    pub.verify(sig, b"decide-record-sha256:" + sha.encode("ascii"))  # raises if wrong
    assert data["record"]["signed_by"] == data["signature"]["key_fingerprint"] == pair[2]
    other = ("0" if sha[0] != "0" else "1") + sha[1:]
    with pytest.raises(InvalidSignature):
        pub.verify(sig, b"decide-record-sha256:" + other.encode("ascii"))


def test_decide_accepts_a_signature_made_by_cryptography_alone(tmp_path):
    """The other direction: a key and a signature made without decide's signing code are accepted."""
    key = Ed25519PrivateKey.generate()
    sha = hashlib.sha256(b"anything").hexdigest()
    block = {"algorithm": "ed25519", "key_fingerprint": fingerprint(key.public_key()),
             "value": base64.b64encode(key.sign(SIGNED_PREFIX + sha.encode())).decode()}
    assert verify(key.public_key(), sha, block)
    assert not verify(key.public_key(), hashlib.sha256(b"else").hexdigest(), block)
    assert not verify(Ed25519PrivateKey.generate().public_key(), sha, block)
    assert not verify(key.public_key(), sha, {**block, "value": "not base64!"})
    assert not verify(key.public_key(), sha, {**block, "algorithm": "rsa"})
    pub = tmp_path / "external.pub"
    pub.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    assert load_public_key(pub).fingerprint == fingerprint(key.public_key())


def test_rfc8032_test_vector_one():
    """RFC 8032 section 7.1, TEST 1 (empty message): the library signs as the standard says."""
    secret = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    key = Ed25519PrivateKey.from_private_bytes(secret)
    assert key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex() == (
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    assert key.sign(b"").hex() == (
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
    # decide's block for a hash carries exactly the signature of its documented message
    block = sign(key, "ab" * 32)
    assert base64.b64decode(block["value"]) == key.sign(signed_message("ab" * 32))  # Ed25519 is deterministic


def test_key_new_never_writes_over_a_file(tmp_path):
    existing = tmp_path / "team.key"
    existing.write_text("precious")
    with pytest.raises(DecideError, match="already exists"):
        new_key_pair(existing)
    assert existing.read_text() == "precious" and not (tmp_path / "team.key.pub").exists()
    (tmp_path / "b.key.pub").write_text("precious too")
    with pytest.raises(DecideError, match="already exists"):
        new_key_pair(tmp_path / "b.key")
    assert not (tmp_path / "b.key").exists()  # nothing written: both paths checked first


def test_wrong_key_files_are_refused_clearly(pair, tmp_path):
    private_path, public_path, _ = pair
    with pytest.raises(DecideError, match="is a public key"):
        load_private_key(public_path)
    with pytest.raises(DecideError, match="is a private key"):
        load_public_key(private_path)
    junk = tmp_path / "junk.pem"
    junk.write_text("hello")
    with pytest.raises(DecideError, match="not a private key in PEM form"):
        load_private_key(junk)
    with pytest.raises(DecideError, match="not a public key in PEM form"):
        load_public_key(junk)
    with pytest.raises(DecideError, match="no such public key file"):
        load_public_key(tmp_path / "missing.pub")
    big = tmp_path / "big.pub"
    big.write_bytes(b"x" * 100_000)
    with pytest.raises(DecideError, match="far too large"):
        load_public_key(big)
    from cryptography.hazmat.primitives.asymmetric import ec

    other = tmp_path / "ec.pub"
    other.write_bytes(ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    with pytest.raises(DecideError, match="not an Ed25519 public key"):
        load_public_key(other)
    locked = tmp_path / "locked.key"
    locked.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")))
    with pytest.raises(DecideError, match="password"):
        load_private_key(locked)


def test_verify_with_trust_checks_every_signature(pair, signed_record, tmp_path):
    trusted = [load_public_key(pair[1])]
    assert read_chain(signed_record.parent, trusted).problems == []
    # an unsigned record added after it is found under trust
    write_record(make_record(Decision.from_dict(BASE_CASE), chosen="care", draws=200, seed=2, recorded_at=WHEN),
                 tmp_path / "mixed")
    problems = read_chain(tmp_path / "mixed", trusted).problems
    assert len(problems) == 1 and "not signed" in problems[0]


def test_short_fingerprint_is_the_start_of_the_full_one(pair):
    assert short(pair[2]).replace(" ", "") == pair[2][:16]


def test_cli_key_record_review_round(tmp_path, capsys):
    from decide.cli import main

    case = tmp_path / "case.yaml"
    case.write_text(Decision.from_dict(BASE_CASE).to_yaml())
    assert main(["key", "new", str(tmp_path / "k")]) == 0
    assert main(["key", "new", str(tmp_path / "k")]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["record", str(case), "--chosen", "home", "--draws", "200", "--folder", str(tmp_path / "r"),
                 "--sign", str(tmp_path / "k")]) == 0
    assert "signed with key" in capsys.readouterr().out
    rec = next((tmp_path / "r").glob("*.json"))
    assert load_record(rec).signature is not None
    assert main(["verify", str(tmp_path / "r"), "--trust", str(tmp_path / "k.pub")]) == 0
    assert "every one signed by a trusted key" in capsys.readouterr().out
    outcome = Decision.from_dict(BASE_CASE).options[0].outcomes[0].name
    assert main(["review", str(rec), "--outcome", outcome, "-o", str(tmp_path / "rv.html"), "--trust",
                 str(tmp_path / "k.pub")]) == 0
    assert "Signed with the trusted key" in (tmp_path / "rv.html").read_text()
    assert main(["record", str(case), "--chosen", "home", "--folder", str(tmp_path / "r"), "--sign",
                 str(tmp_path / "k.pub")]) == 2
    assert "is a public key" in capsys.readouterr().err


from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def _strings(value, path=()):
    """Every text field of a record's content, with its path."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, (*path, i))
    elif isinstance(value, str):
        yield path, value


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_text_edited_and_rehashed_is_refused_under_trust(pair, signed_record, tmp_path, data):
    """Whatever text a forger changes, re-hashing it the way decide does, the trusted signature no longer matches."""
    from decide.record import check_signature, content_hash, render_file

    original = json.loads(signed_record.read_text())
    fields = [p for p, v in _strings(original["record"]) if p[0] not in ("signed_by", "schema")]
    where = data.draw(st.sampled_from(fields), label="field")
    new = data.draw(st.text(min_size=1, max_size=20), label="text")
    content = json.loads(json.dumps(original["record"]))
    target = content
    for k in where[:-1]:
        target = target[k]
    if target[where[-1]] == new:
        return
    target[where[-1]] = new
    out = tmp_path / "forged.json"
    if out.exists():
        out.unlink()
    out.write_text(render_file(content, content_hash(content), original["signature"]), encoding="utf-8")
    try:
        rec = load_record(out)  # some edits break the layout: refused already
    except DecideError:
        return
    with pytest.raises(DecideError, match="signature does not match"):
        check_signature(rec, [load_public_key(pair[1])])


def test_records_written_at_the_same_moment_get_different_places(tmp_path):
    """Two people recording into one folder at once: the folder lock gives each record its own place."""
    import threading

    rec = make_record(Decision.from_dict(BASE_CASE), chosen="home", draws=200, seed=2, recorded_at=WHEN)
    paths, errors = [], []

    def write():
        try:
            paths.append(write_record(rec, tmp_path / "shared"))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(load_record(p).sequence for p in paths) == [1, 2, 3, 4, 5, 6]
    assert read_chain(tmp_path / "shared").problems == []
