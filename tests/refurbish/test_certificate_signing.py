"""Certificate signatures: the envelope, what breaks it, and the key files behind it.

No database, no PDF: `content` is the plain dict the lead's service assembles from the
ledger, with the media of a real laptop of the hardware corpus (Dell Latitude 3590:
WD10SPZX and KXG50ZNV512G, serials as udevadm recorded them) and the issue's SSD.
"""

from __future__ import annotations

import base64
import stat
from pathlib import Path
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from db import canonical
from refurbish.erasure import signing
from refurbish.erasure.signing import BadSignature, CertificateKeyError

CONTENT: dict[str, Any] = {
    "certificate": "CX4R-9QWT",
    "issued_at": "2026-11-23T09:30:00+00:00",
    "issuer": {"organisation": "Atelier solidaire de Nantes", "name": "Camille Rousseau",
               "title": "Coordinatrice technique"},
    "scope": "batch",
    "batch": {"id": 42},
    "donor": {"name": "Société Générale d’Équipements « Œuvre »"},
    "devices": [{
        "code": "K7M2-Q9XS", "category": "laptop", "brand": "Dell", "model": "Latitude 3590",
        "serial": None, "asset_tag": "INV-2026-00042", "destination": "reuse",
        "media": [
            {"type": "hdd", "manufacturer": "WDC", "model": "WD10SPZX-75Z10T0",
             "serial": "WXT1A77LHFFH", "size_bytes": 1_000_204_886_016, "level": "clear",
             "method": "overwrite", "pattern": "zero", "passes": 1, "tool": "nwipe",
             "tool_version": "0.33", "verification_method": "full",
             "verification_passed": True, "started_at": "2026-11-20T13:02:11+00:00",
             "finished_at": "2026-11-20T15:41:57+00:00", "operator": "Julien Marchand",
             "validation": None, "status": "passed"},
            {"type": "nvme", "manufacturer": "Toshiba", "model": "KXG50ZNV512G NVMe TOSHIBA 512GB",
             "serial": "87VB6270K5LS", "size_bytes": 512_110_190_592, "level": "purge",
             "method": "nvme_format_crypto", "pattern": None, "passes": None,
             "tool": "nvme-cli", "tool_version": "2.4", "verification_method": "sampled",
             "verification_passed": True, "started_at": "2026-11-20T13:05:00+00:00",
             "finished_at": "2026-11-20T13:05:04+00:00", "operator": "Julien Marchand",
             "validation": {"by": "Léa Roux", "at": "2026-11-22T10:15:00+00:00", "passed": True},
             "status": "passed"},
        ],
    }],
    "pending": [],
    "supersedes": None,
    "ledger": {"seq": 18342,
               "hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
    "verify_url": "https://remise.example.org/verify/CX4R-9QWT",
}  # fmt: skip
CANONICAL = canonical.dumps(CONTENT)
# Bytes that can change without breaking the JSON: letters and digits (keys included).
CHANGEABLE = [i for i, byte in enumerate(CANONICAL) if chr(byte).isalnum()]


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_signed_content_verifies_after_a_json_round_trip(key: Ed25519PrivateKey) -> None:
    envelope = signing.sign(CONTENT, key)
    stored = orjson.loads(orjson.dumps(envelope))  # as the PDF and the API carry it

    signing.verify(stored, key.public_key())

    assert envelope["content"] is CONTENT
    assert envelope["algorithm"] == "Ed25519"
    assert len(base64.b64decode(envelope["signature"])) == 64


def test_key_id_is_sixteen_hex_digits_of_the_public_key(key: Ed25519PrivateKey) -> None:
    envelope = signing.sign(CONTENT, key)

    assert envelope["key_id"] == signing.key_id(key.public_key())
    assert len(envelope["key_id"]) == 16 and int(envelope["key_id"], 16) >= 0
    assert signing.key_id(Ed25519PrivateKey.generate().public_key()) != envelope["key_id"]


def _with_byte_changed(position: int, replacement: str) -> dict[str, Any] | None:
    data = bytearray(CANONICAL)
    data[position] = ord(replacement)
    try:
        return orjson.loads(bytes(data))  # type: ignore[no-any-return]
    except orjson.JSONDecodeError:  # "08342": a number may not start with 0
        return None


@pytest.mark.parametrize(
    "needle",
    ["CX4R", "2026-11-23", "Camille", "WXT1A77LHFFH", "1000204886016", "87VB6270K5LS",
     '"passed":true', "18342", "9f86d0", "verify/CX4R"],
)  # fmt: skip
def test_a_changed_byte_in_a_named_field_fails(key: Ed25519PrivateKey, needle: str) -> None:
    envelope = signing.sign(CONTENT, key)
    position = CANONICAL.index(needle.encode()) + 1
    replacement = "7" if chr(CANONICAL[position]) != "7" else "8"
    if not chr(CANONICAL[position]).isdigit():
        replacement = "Q" if chr(CANONICAL[position]) != "Q" else "R"
    changed = _with_byte_changed(position, replacement)
    assert changed is not None and changed != CONTENT

    with pytest.raises(BadSignature, match="does not match the content"):
        signing.verify({**envelope, "content": changed}, key.public_key())


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.sampled_from(CHANGEABLE), replacement=st.sampled_from("0123456789azAZ"))
def test_a_changed_byte_anywhere_fails(
    key: Ed25519PrivateKey, position: int, replacement: str
) -> None:
    assume(CANONICAL[position] != ord(replacement))
    changed = _with_byte_changed(position, replacement)
    assume(changed is not None)
    envelope = signing.sign(CONTENT, key)

    with pytest.raises(BadSignature):
        signing.verify({**envelope, "content": changed}, key.public_key())


def test_another_key_fails_and_names_both_keys(key: Ed25519PrivateKey) -> None:
    other = Ed25519PrivateKey.generate()
    envelope = signing.sign(CONTENT, key)

    with pytest.raises(BadSignature) as raised:
        signing.verify(envelope, other.public_key())

    assert signing.key_id(key.public_key()) in str(raised.value)
    assert signing.key_id(other.public_key()) in str(raised.value)


def test_a_signature_made_by_another_key_under_this_key_id_fails(key: Ed25519PrivateKey) -> None:
    forged = signing.sign(CONTENT, Ed25519PrivateKey.generate())
    forged["key_id"] = signing.key_id(key.public_key())

    with pytest.raises(BadSignature, match="does not match"):
        signing.verify(forged, key.public_key())


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda e: {k: v for k, v in e.items() if k != "signature"}, "exactly"),
        (lambda e: {**e, "extra": 1}, "exactly"),
        (lambda e: {**e, "algorithm": "RSA-PSS"}, "unknown algorithm RSA-PSS"),
        (lambda e: {**e, "signature": "not base64!"}, "64 bytes"),
        (lambda e: {**e, "signature": e["signature"][:40]}, "64 bytes"),
        (lambda e: {**e, "signature": None}, "64 bytes"),
        (lambda e: {**e, "content": [1, 2]}, "malformed"),
        (lambda e: {**e, "key_id": 7}, "malformed"),
        (lambda e: {**e, "content": {**e["content"], "ratio": 0.5}}, "canonical"),
        (lambda e: [e], "exactly"),
    ],
)
def test_a_malformed_envelope_is_refused_with_the_reason(
    key: Ed25519PrivateKey, change: Any, reason: str
) -> None:
    with pytest.raises(BadSignature, match=reason):
        signing.verify(change(signing.sign(CONTENT, key)), key.public_key())


def test_created_key_file_is_owner_only_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "certificate-key.pem"

    created = signing.create_key(path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert signing.public_key_pem(signing.load_key(path)) == signing.public_key_pem(created)
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        signing.create_key(path)
    assert path.read_bytes() == before


def test_development_key_is_made_in_the_data_dir_once_then_reused(tmp_path: Path) -> None:
    first = signing.key_for(None, tmp_path, production=False)
    second = signing.key_for(None, tmp_path, production=False)

    path = tmp_path / "certificate-key.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert signing.public_key_base64(first) == signing.public_key_base64(second)


def test_production_without_a_configured_key_refuses_and_makes_none(tmp_path: Path) -> None:
    with pytest.raises(CertificateKeyError, match="production needs REMISE_CERTIFICATE_KEY"):
        signing.key_for(None, tmp_path, production=True)

    assert list(tmp_path.iterdir()) == []


def test_production_uses_the_configured_key(tmp_path: Path) -> None:
    made = signing.create_key(tmp_path / "keys" / "signing.pem")

    used = signing.key_for(tmp_path / "keys" / "signing.pem", tmp_path / "data", production=True)

    assert signing.public_key_base64(used) == signing.public_key_base64(made)
    assert not (tmp_path / "data").exists()


def _rsa_pem() -> bytes:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _encrypted_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"correct horse"),
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (None, "does not exist"),
        (b"", "not a PEM private key"),
        (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "not a PEM"),
        (_rsa_pem(), "not an Ed25519 key"),
        (_encrypted_pem(), "encrypted"),
    ],
)
def test_a_configured_key_that_cannot_sign_is_refused_clearly(
    tmp_path: Path, data: bytes | None, reason: str
) -> None:
    path = tmp_path / "signing.pem"
    if data is not None:
        path.write_bytes(data)

    with pytest.raises(CertificateKeyError, match=reason) as raised:
        signing.key_for(path, tmp_path, production=True)

    assert str(path) in str(raised.value)


def test_public_key_loads_from_every_published_form(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    expected = signing.key_id(key.public_key())
    pem = signing.public_key_pem(key)
    (tmp_path / "public.pem").write_text(pem)
    signing.create_key(tmp_path / "private.pem")
    private_id = signing.key_id(signing.load_key(tmp_path / "private.pem").public_key())

    forms: list[str | Path] = [pem, f"  {pem}\n", tmp_path / "public.pem"]
    forms += [str(tmp_path / "public.pem"), signing.public_key_base64(key)]

    assert {signing.key_id(signing.load_public_key(form)) for form in forms} == {expected}
    assert signing.key_id(signing.load_public_key(tmp_path / "private.pem")) == private_id


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("bm90IGEga2V5", "32-byte public key in base64"),  # "not a key"
        ("hello", "32-byte public key in base64"),
        ("/nowhere/remise-public.pem", "does not exist"),
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "not an unencrypted key"),
    ],
)
def test_a_public_key_that_cannot_be_read_is_refused(given: str, reason: str) -> None:
    with pytest.raises(CertificateKeyError, match=reason):
        signing.load_public_key(given)


def test_an_rsa_public_key_is_refused(tmp_path: Path) -> None:
    private = serialization.load_pem_private_key(_rsa_pem(), password=None)
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    with pytest.raises(CertificateKeyError, match="not an Ed25519 key"):
        signing.load_public_key(pem.decode())
