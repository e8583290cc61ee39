"""Ed25519 signatures over a certificate's canonical content, and the key files behind them.

A certificate is signed so that a donor can check it years later without our server: the
envelope holds the content, the key id and the signature over `db.canonical.dumps(content)`
(the same encoding the ledger hashes), and anyone with the public key (README, or
`GET /api/v1/certificates/key`) can verify it. The private key is a PEM PKCS#8 file,
unencrypted, readable by its owner only; development creates one in the data directory on
first use, production refuses to start without a configured one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from db import canonical
from db.errors import N_, Invalid, Message

ALGORITHM = "Ed25519"
DEFAULT_KEY_FILE = "certificate-key.pem"
KEY_ID_LENGTH = 16  # hex digits of SHA-256 over the raw public key
RAW_KEY_BYTES = 32
SIGNATURE_BYTES = 64
ENVELOPE_KEYS = frozenset({"content", "algorithm", "key_id", "signature"})
GIVEN_AS_TEXT = Message(N_("given as text"))
PRODUCTION_NEEDS_KEY = N_(
    "production needs REMISE_CERTIFICATE_KEY: the file of the Ed25519 key that signs "
    "certificates; make one with `remise certificate new-key FILE`"
)


class CertificateKeyError(Invalid):
    """A key file or key text that cannot be used; the message says which and why."""

    code = "certificate_key"
    message = N_("The certificate key %(where)s cannot be used: %(reason)s")


class BadSignature(Invalid):
    """The envelope does not verify with the key; `reason` says why (a Message)."""

    code = "bad_signature"
    message = N_("The certificate's signature is not valid: %(reason)s")

    def __init__(self, reason: Message) -> None:
        super().__init__(reason=reason)
        self.reason = reason


def load_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PEM (PKCS#8, unencrypted) file at `path`.

    Raises CertificateKeyError if the file is missing, unreadable, encrypted, not PEM or
    another kind of key."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise _key_error(path, N_("the file does not exist")) from exc
    except OSError as exc:
        raise _key_error(
            path, N_("the file cannot be read (%(error)s)"), error=exc.strerror
        ) from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError as exc:  # cryptography's word for "this one has a password"
        raise _key_error(path, N_("the key is encrypted; give an unencrypted one")) from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise _key_error(path, N_("the file is not a PEM private key")) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise _key_error(path, N_("the key is not an Ed25519 key"))
    return key


def create_key(path: Path) -> Ed25519PrivateKey:
    """A new key, written to `path` (mode 0600, parent folders made).

    Raises FileExistsError if `path` exists: a signing key is never overwritten, since
    every certificate it signed would stop verifying against the published key."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two processes starting at once cannot both write a key; 0600 from the start,
    # so the key is never readable by others, not even between creation and chmod.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
        file.flush()
        os.fsync(file.fileno())
    return key


def key_path(configured: Path | None, data_dir: Path) -> Path:
    """Where the signing key is: the configured file, else `certificate-key.pem` in data_dir."""
    return configured if configured is not None else data_dir / DEFAULT_KEY_FILE


def key_for(configured: Path | None, data_dir: Path, production: bool) -> Ed25519PrivateKey:
    """The key that signs certificates.

    The configured file if given (it must exist and hold an Ed25519 key); else, outside
    production, `data_dir/certificate-key.pem`, created on first use. Raises
    CertificateKeyError in production without a configured file, or for a bad file."""
    if configured is not None:
        return load_key(configured)
    if production:
        raise CertificateKeyError(PRODUCTION_NEEDS_KEY)
    path = key_path(None, data_dir)
    if path.exists():
        return load_key(path)
    try:
        return create_key(path)
    except FileExistsError:  # another process created it just now
        return load_key(path)


def sign(content: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """The signed envelope of `content`. Raises db.canonical.NotCanonical for floats etc."""
    signature = key.sign(canonical.dumps(content))
    return {
        "content": content,
        "algorithm": ALGORITHM,
        "key_id": key_id(key.public_key()),
        "signature": base64.b64encode(signature).decode("ascii"),
    }


def verify(envelope: Any, public_key: Ed25519PublicKey) -> None:
    """Returns if `envelope` was signed by `public_key`'s private half over its content.

    Raises BadSignature when the envelope is malformed, names another key, or its
    signature does not match the content (a byte changed anywhere)."""
    content, signature = _parts(envelope)
    expected = key_id(public_key)
    if envelope["key_id"] != expected:
        raise BadSignature(
            Message(
                N_("it was signed by key %(signed)s, not by key %(given)s"),
                {"signed": envelope["key_id"], "given": expected},
            )
        )
    try:
        public_key.verify(signature, canonical.dumps(content))
    except InvalidSignature as exc:
        raise BadSignature(
            Message(N_("the signature does not match the content: it was changed"))
        ) from exc


def _parts(envelope: Any) -> tuple[dict[str, Any], bytes]:
    """The content and raw signature of a well-formed envelope; BadSignature otherwise."""
    if not isinstance(envelope, dict) or set(envelope) != ENVELOPE_KEYS:
        keys = ", ".join(sorted(ENVELOPE_KEYS))
        raise BadSignature(Message(N_("the envelope must have exactly %(keys)s"), {"keys": keys}))
    if envelope["algorithm"] != ALGORITHM:
        raise BadSignature(
            Message(N_("unknown algorithm %(name)s"), {"name": str(envelope["algorithm"])})
        )
    content, signature, signed_by = envelope["content"], envelope["signature"], envelope["key_id"]
    if not isinstance(content, dict) or not isinstance(signed_by, str):
        raise BadSignature(Message(N_("the content or the key id is malformed")))
    try:
        raw = base64.b64decode(signature, validate=True) if isinstance(signature, str) else b""
    except binascii.Error:
        raw = b""
    if len(raw) != SIGNATURE_BYTES:
        raise BadSignature(Message(N_("the signature is not 64 bytes of base64")))
    try:
        canonical.dumps(content)
    except canonical.NotCanonical as exc:
        raise BadSignature(Message(N_("the content has no canonical form"))) from exc
    return content, raw


def key_id(public_key: Ed25519PublicKey) -> str:
    """The first 16 hex digits of SHA-256 over the raw 32-byte public key."""
    return hashlib.sha256(_raw(public_key)).hexdigest()[:KEY_ID_LENGTH]


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public key as PEM text (SubjectPublicKeyInfo)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode("ascii")


def public_key_base64(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The raw 32-byte public key in base64: the short form README prints."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return base64.b64encode(_raw(public)).decode("ascii")


def load_public_key(text_or_path: str | Path) -> Ed25519PublicKey:
    """A public key from a PEM file, PEM text or the base64 raw key.

    A private key's PEM (file or text) gives its public half. Raises CertificateKeyError."""
    if isinstance(text_or_path, Path):
        return _public_from_file(text_or_path)
    text = text_or_path.strip()
    if text.startswith("-----BEGIN"):
        return _public_from_pem(text.encode("ascii", "replace"), GIVEN_AS_TEXT)
    path = Path(text)
    if path.is_file():
        return _public_from_file(path)
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raw = b""
    if len(raw) == RAW_KEY_BYTES:
        return Ed25519PublicKey.from_public_bytes(raw)
    if text.endswith(".pem") or os.sep in text:
        return _public_from_file(path)  # meant as a file: say that it is missing
    raise _key_error(
        GIVEN_AS_TEXT, N_("give a PEM file, PEM text or the 32-byte public key in base64")
    )


def _public_from_file(path: Path) -> Ed25519PublicKey:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise _key_error(path, N_("the file does not exist")) from exc
    except OSError as exc:
        raise _key_error(
            path, N_("the file cannot be read (%(error)s)"), error=exc.strerror
        ) from exc
    return _public_from_pem(data.strip(), str(path))


def _public_from_pem(data: bytes, where: str | Message) -> Ed25519PublicKey:
    try:
        if b"PRIVATE KEY" in data.split(b"\n", 1)[0]:
            private = serialization.load_pem_private_key(data, password=None)
            public: object = private.public_key()
        else:
            public = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise _key_error(where, N_("the PEM text is not an unencrypted key")) from exc
    if not isinstance(public, Ed25519PublicKey):
        raise _key_error(where, N_("the key is not an Ed25519 key"))
    return public


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _key_error(where: Path | str | Message, reason: str, **params: Any) -> CertificateKeyError:
    place = where if isinstance(where, Message) else str(where)
    return CertificateKeyError(where=place, reason=Message(reason, params))
