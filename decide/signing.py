"""Signing records with a key the organisation holds (Ed25519, through the ``cryptography`` package).

A content hash alone shows only that a record was not changed *by accident*: anyone can edit a
record and compute a new hash the way decide does. A signature made with a private key that only
the organisation holds cannot be re-made by someone who edits the record, so a review that is
given the organisation's public key (``--trust``) refuses an edited record even when it was
re-hashed.

What is signed is the record's content hash, prefixed with :data:`SIGNED_PREFIX` so that a
signature made for a record can never be mistaken for a signature of anything else. A key is
named by its fingerprint: the SHA-256 of its 32 raw public-key bytes, in hex.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

from decide.errors import DecideError

if TYPE_CHECKING:  # cryptography is loaded on first use, so `decide --help` does not pay for it
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

#: What a record's signature signs: these bytes followed by the record's SHA-256 in hex.
SIGNED_PREFIX = b"decide-record-sha256:"
#: The one signature scheme decide uses.
ALGORITHM = "ed25519"
#: Key files are a few hundred bytes; anything far larger is not a key (and is not read in full).
MAX_KEY_FILE_BYTES = 16_384
#: How many hex characters of a fingerprint are shown to a reader (the full one is stored).
SHOWN = 16


def signed_message(sha256: str) -> bytes:
    """The exact bytes a record's signature signs."""
    return SIGNED_PREFIX + sha256.encode("ascii")


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw 32-byte public key, in hex: the name a record gives its signing key."""
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def short(fp: str) -> str:
    """A fingerprint as shown to people: its first characters in groups of four."""
    head = str(fp)[:SHOWN]
    return " ".join(head[i:i + 4] for i in range(0, len(head), 4))


@dataclass(frozen=True)
class PublicKey:
    """A trusted public key read from a file, with its fingerprint."""

    key: Ed25519PublicKey
    fingerprint: str
    path: Path | None = None


def _read_key_file(path, what: str) -> bytes:
    from decide.files import read_small_file

    return read_small_file(path, what=what, limit=MAX_KEY_FILE_BYTES,
                           too_large="is far too large for a key file (a key file is a few hundred bytes); "
                                     "check you gave the right file",
                           missing_hint="check the path (make a key pair with `decide key new KEYFILE`)")


def load_private_key(path) -> Ed25519PrivateKey:
    """The private key in a PEM file written by ``decide key new``; a clear error for anything else."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    data = _read_key_file(path, "private key")
    if b"PUBLIC KEY" in data and b"PRIVATE KEY" not in data:
        raise DecideError(f"{path} is a public key; signing needs the private key file (the one without .pub)")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise DecideError(f"{path}: this private key is protected by a password, which decide does not read; "
                          "make a key with `decide key new KEYFILE` and keep the file itself safe") from None
    except (ValueError, UnsupportedAlgorithm):
        raise DecideError(f"{path}: not a private key in PEM form; make one with `decide key new KEYFILE`") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise DecideError(f"{path}: a {type(key).__name__.replace('_', ' ')} key; decide signs records only with "
                          "Ed25519 keys (make one with `decide key new KEYFILE`)")
    return key


def load_public_key(path) -> PublicKey:
    """A trusted public key (KEYFILE.pub from ``decide key new``); refuses a private key, which must not be spread."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    data = _read_key_file(path, "public key")
    if b"PRIVATE KEY" in data:
        raise DecideError(f"{path} is a private key; give the public key (the .pub file beside it) to --trust, and "
                          "keep the private key where only the person who signs can read it")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise DecideError(f"{path}: not a public key in PEM form (expected the .pub file written by `decide key new`)") from None
    if not isinstance(key, Ed25519PublicKey):
        raise DecideError(f"{path}: not an Ed25519 public key; decide's records are signed only with Ed25519 keys")
    return PublicKey(key, fingerprint(key), Path(path))


def sign(private_key: Ed25519PrivateKey, sha256: str) -> dict:
    """The signature block a record file carries: algorithm, signing key's fingerprint, signature (base64)."""
    signature = private_key.sign(signed_message(sha256))
    return {"algorithm": ALGORITHM, "key_fingerprint": fingerprint(private_key.public_key()),
            "value": base64.b64encode(signature).decode("ascii")}


def signature_bytes(block: dict) -> bytes | None:
    """The raw signature in a signature block, or None if it is not valid base64 of 64 bytes."""
    try:
        raw = base64.b64decode(str(block.get("value", "")), validate=True)
    except (ValueError, TypeError):
        return None
    return raw if len(raw) == 64 else None


def verify(public_key: Ed25519PublicKey, sha256: str, block: dict) -> bool:
    """True if the block's signature was made by this key's private half over this content hash."""
    from cryptography.exceptions import InvalidSignature

    raw = signature_bytes(block)
    if raw is None or block.get("algorithm") != ALGORITHM:
        return False
    try:
        public_key.verify(raw, signed_message(sha256))
    except InvalidSignature:
        return False
    return True


def new_key_pair(keyfile, *, inputs=()) -> tuple[Path, Path, str]:
    """Write a new Ed25519 private key to ``keyfile`` (PEM, owner-only, never over an existing file) and its
    public key to ``keyfile.pub``. Both paths are checked before either is written. Returns the paths and the
    fingerprint."""
    from decide.files import plan_outputs
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if Path(keyfile).suffix.lower() == ".pub":  # a .pub file is the one people hand out: never put the private key in it
        stem = Path(keyfile).with_suffix("").name or "team"
        raise DecideError(f"key file {keyfile} ends in .pub, the name for a public key others are given; name the private "
                          f"key without .pub (e.g. {stem}.key): its public half is written beside it as {stem}.key.pub")
    private_path, public_path = plan_outputs([Path(keyfile), Path(f"{keyfile}.pub")], inputs=inputs, force=False)
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    try:
        private_path.parent.mkdir(parents=True, exist_ok=True)
        _write_exclusive(private_path, private_pem, 0o600)
    except FileExistsError:
        raise DecideError(f"{private_path} already exists; a key is never written over another file: choose a new name") from None
    except OSError as exc:
        raise DecideError(f"cannot write {private_path}: {exc.strerror or exc}; choose another path") from None
    try:
        _write_exclusive(public_path, public_pem, 0o644)
    except OSError as exc:
        os.unlink(private_path)  # never leave half a key pair
        what = "already exists" if isinstance(exc, FileExistsError) else (exc.strerror or str(exc))
        raise DecideError(f"cannot write {public_path}: {what}; nothing was written, choose another name") from None
    return private_path, public_path, fingerprint(key.public_key())


def _write_exclusive(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` with ``mode`` from the start (a private key is never readable by others, even briefly)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        os.unlink(path)
        raise
    os.chmod(path, mode)  # the umask may have taken bits from a public key's mode


# --- command line ------------------------------------------------------------------------------


def cmd_key_new(args) -> int:
    private_path, public_path, fp = new_key_pair(args.keyfile)
    print(f"wrote {private_path} (private key: readable only by you; keep it safe and never share it)")
    print(f"wrote {public_path} (public key: give it to anyone who reviews records, for `decide review --trust`)")
    print(f"  key fingerprint {short(fp)} (full: {fp})")
    return 0


def register(subparsers) -> None:
    help_text = "make a key pair for signing records (Ed25519)"
    p = subparsers.add_parser("key", help=help_text, description=help_text + ". Example: decide key new team.key "
                              "(writes team.key, private, and team.key.pub, public)")
    sub = p.add_subparsers(dest="key_command", metavar="ACTION")
    sub.required = True
    q = sub.add_parser("new", help="write a new private key and its public key beside it (KEYFILE.pub)",
                       description="Write a new Ed25519 private key to KEYFILE (readable only by you) and its public key "
                                   "to KEYFILE.pub. Never writes over an existing file.")
    q.add_argument("keyfile", help="where to write the private key, e.g. team.key")
    q.set_defaults(func=cmd_key_new)
