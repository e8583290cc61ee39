"""The certificate of sanitization, read back from the PDF: its NIST fields in French and
English, its QR code, its footer, the signed content attached to it, and
`remise certificate verify` on it, untouched and with one byte changed.

No database: the content is the plain dict the lead's service assembles. Its devices and
media are real ones: the laptops and disks of ../shared/hardware-corpus (udevadm and
smartctl recordings: models, serials, sizes), the phone of its umockdev recording, the
issue's Samsung SSD, and nwipe 0.33/0.42 as the erasure corpus ran them. Text comes from
poppler's `pdftotext -layout`, attachments from poppler's `pdfdetach`, the QR code from
zxing-cpp on a page rasterised by `pdftoppm`.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import stat
import subprocess
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image
from pypdf import PdfReader, PdfWriter
from typer.testing import CliRunner

from db import canonical, codes
from refurbish.erasure import certificate_pdf, signing
from refurbish.erasure.certificate_cli import app
from refurbish.erasure.certificate_pdf import NoEmbeddedCertificate

# CI installs poppler-utils (.ci/run) and sets REMISE_REQUIRE_TOOLS: there, a missing
# tool fails the run instead of silently skipping the checks.
pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None and os.environ.get("REMISE_REQUIRE_TOOLS") != "1",
    reason="needs poppler-utils (pdftotext, pdfinfo, pdftoppm, pdfdetach)",
)

NWIPE_PDF = (
    Path(__file__).resolve().parents[3] / "shared" / "erasure-corpus" / "nwipe-0.42" / "pdf"
    / "nwipe-0.42-two-devices"
    / "nwipe_report_2026-12-01-21-40-40_Model_Loopback_device_Serial_Unknown_device_loop1.pdf"
)  # fmt: skip
LEDGER_HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
FORBIDDEN = ("état neuf", "comme neuf", "à neuf")
runner = CliRunner()


def code(data: str) -> str:
    return codes.display(data + codes.check_symbol(data))


CERTIFICATE, SUPERSEDED = code("CX4R9QW"), code("C7K2M4Q")
DELL, LENOVO, PHONE = code("K7M2Q9X"), code("H3R8ZT4"), code("W9WWMWM")


def medium(**fields: Any) -> dict[str, Any]:
    """A medium erased with nwipe 0.33's zero fill, verified in full, as the corpus did."""
    return {
        "type": "hdd", "manufacturer": None, "model": None, "serial": None, "size_bytes": None,
        "level": "clear", "method": "overwrite", "pattern": "zero", "passes": 1,
        "tool": "nwipe", "tool_version": "0.33", "verification_method": "full",
        "verification_passed": True, "started_at": "2026-11-20T13:02:11+00:00",
        "finished_at": "2026-11-20T15:41:57+00:00", "operator": "Julien Marchand",
        "validation": None, "status": "passed", **fields,
    }  # fmt: skip


DEVICES: list[dict[str, Any]] = [
    {   # CAPTURE_METADATA.txt: a Dell Latitude 3590 with two disks; a USB stick came with it
        "code": DELL, "category": "laptop", "brand": "Dell", "model": "Latitude 3590",
        "serial": None, "asset_tag": "INV-2026-00042",
        "destination": {"kind": "reuse", "structure": "Emmaüs Connect Nantes"},
        "media": [
            medium(manufacturer="WDC", model="WD10SPZX-75Z10T0", serial="WXT1A77LHFFH",
                   size_bytes=1_000_204_886_016),
            medium(type="nvme", manufacturer="Toshiba", model="KXG50ZNV512G NVMe TOSHIBA 512GB",
                   serial="87VB6270K5LS", size_bytes=512_110_190_592, level="purge",
                   method="nvme_format_crypto", pattern=None, passes=None, tool="nvme-cli",
                   tool_version="2.4", verification_method="sampled",
                   validation={"by": "Léa Roux", "at": "2026-11-22T10:15:00+00:00",
                               "passed": True}),
            medium(type="usb", manufacturer=None, model="USB_DISK_3.0",
                   serial="071C395B848A2D24", level=None, method=None, pattern=None,
                   passes=None, tool=None, tool_version=None, verification_method=None,
                   verification_passed=None, started_at=None, finished_at=None,
                   operator=None, status="missing"),
        ],
    },
    {   # LENOVO_T430S.txt: its HGST disk shredded, replaced by the Samsung SSD
        "code": LENOVO, "category": "laptop", "brand": "Lenovo", "model": "ThinkPad T430s",
        "serial": None, "asset_tag": "INV-2026-00043", "destination": "reuse",
        "media": [
            medium(manufacturer="HGST", model="HTS725050A7E630", serial="TF755AWHG5Y15M",
                   size_bytes=500_107_862_016, level="destroy", method="shred", pattern=None,
                   passes=None, tool="HSM Powerline HDS 230", tool_version=None,
                   verification_method="none", verification_passed=None, status="destroyed"),
            medium(type="ssd", manufacturer="Samsung", model="SSD 860 EVO 250GB",
                   serial="S3Z1NB0K123456A", size_bytes=250_059_350_016, level="purge",
                   method="ata_secure_erase", pattern=None, passes=None, tool="hdparm",
                   tool_version="9.65", verification_method="sampled"),
        ],
    },
    {   # sony-xperia-mini-pro.umockdev: encrypted internal storage reset, its SD card wiped
        "code": PHONE, "category": "smartphone", "brand": "Sony", "model": "Xperia mini pro",
        "serial": "0123456789ABCDEF", "asset_tag": None, "destination": "recycling",
        "media": [
            medium(type="internal", manufacturer="Sony", model="MiniPro internal storage",
                   level="purge", method="factory_reset", pattern=None, passes=None,
                   tool="Android recovery", tool_version="4.0.4", verification_method="none",
                   verification_passed=None, operator="Nadia Benali"),
            medium(type="sd", manufacturer="SanDisk", model="Ultra microSDHC 16GB",
                   serial="0x9c1f30a2", size_bytes=15_931_539_456, pattern="dodshort",
                   passes=3, tool_version="0.42", verification_passed=False, status="failed",
                   operator="Nadia Benali",
                   validation={"by": "Léa Roux", "at": "2026-11-22T10:30:00+00:00",
                               "passed": False}),
        ],
    },
]  # fmt: skip


def make_content(**changes: Any) -> dict[str, Any]:
    content = {
        "certificate": CERTIFICATE,
        "issued_at": "2026-11-23T09:30:00+00:00",
        "issuer": {"organisation": "Remise — Atelier solidaire de Nantes",
                   "name": "Camille Rousseau", "title": "Coordinatrice technique"},
        "scope": "batch",
        "batch": {"id": 42, "pickup_date": "2026-11-02",
                  "site": "Siège, 12 rue de l’Hôtel-de-Ville, 44000 Nantes"},
        "donor": {"name": "Société Générale d’Équipements « Œuvre »"},
        "devices": copy.deepcopy(DEVICES),
        "pending": [{"code": DELL, "reason": "in refurbishment"}],
        "supersedes": SUPERSEDED,
        "ledger": {"seq": 18342, "hash": LEDGER_HASH},
        "verify_url": f"https://remise.example.org/verify/{CERTIFICATE}",
    }  # fmt: skip
    return {**content, **changes}


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def envelope(key: Ed25519PrivateKey) -> dict[str, Any]:
    return signing.sign(make_content(), key)


@pytest.fixture(scope="module")
def french(envelope: dict[str, Any]) -> bytes:
    return certificate_pdf.render(envelope, "fr")


def pdf_text(pdf: bytes, folder: Path) -> str:
    """The text, with no-break spaces (in numbers, dates, before colons) as plain spaces."""
    path = folder / "certificate.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return result.stdout.replace("\u00a0", " ").replace("\u202f", " ")


def flat(text: str) -> str:
    """The text on one line: a title or a paragraph that wraps reads whole."""
    return " ".join(text.split())


def page_count(pdf: bytes, folder: Path) -> int:
    path = folder / "count.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    match = re.search(r"^Pages:\s+(\d+)$", info.stdout, re.MULTILINE)
    assert match
    return int(match.group(1))


def test_french_certificate_states_every_nist_field(french: bytes, tmp_path: Path) -> None:
    text = flat(pdf_text(french, tmp_path))

    for expected in (
        "Certificat d’effacement des données", "Remise — Atelier solidaire de Nantes",
        f"Certificat {CERTIFICATE}, émis le 23 novembre 2026 à 10 h 30",
        "Camille Rousseau", "Coordinatrice technique",  # person and organisation
        "Société Générale d’Équipements « Œuvre »", "Lot : 42", "Enlevé le : 2 novembre 2026",
        "WXT1A77LHFFH", "87VB6270K5LS", "S3Z1NB0K123456A", "TF755AWHG5Y15M",  # media serials
        "Toshiba KXG50ZNV512G NVMe", "Samsung SSD 860 EVO 250GB", "Disque dur 1 To",
        "SSD NVMe 512,1 Go", "SSD 250,1 Go", "Stockage interne", "Carte SD 15,9 Go",
        "Numéro d'inventaire INV-2026-00042",  # the donor's property number
        "Clear (nettoyage) ·", "Écrasement", "zéros, 1 passe", "DoD court, 3 passes",
        "Purge · NVMe Format avec", "Purge · ATA Secure Erase", "Destroy (destruction) ·",
        "Réinitialisation", "nvme-cli 2.4", "hdparm 9.65", "nwipe 0.42",
        "complète,", "échantillons,", "réussie", "échouée", "pas de", "20 nov. 2026",
        "Julien Marchand",
        "Léa Roux", "22 nov. 2026", "non confirmé", "Effacé", "Détruit", "Échec", "En attente",
        "Destination : réemploi par Emmaüs Connect Nantes", "Destination : recyclage",
        "Destination : réemploi par une structure partenaire",
        "Fait le 23 novembre 2026", "Signature :", "remise-certificate.json",
    ):  # fmt: skip
        assert expected in text, expected
    assert "Effacé : 4, Détruit : 1, Échec : 1, En attente : 1" in text
    assert not any(word in text.lower() for word in FORBIDDEN)


def test_english_certificate_states_every_nist_field(
    envelope: dict[str, Any], tmp_path: Path
) -> None:
    text = flat(pdf_text(certificate_pdf.render(envelope, "en"), tmp_path))

    for expected in (
        "Certificate of Sanitization", f"Certificate {CERTIFICATE}, issued on 23 November 2026",
        "Sanitized and certified by", "Person: Camille Rousseau", "Batch: 42",
        "Hard disk drive 1 TB", "NVMe SSD 512.1 GB", "Serial number WXT1A77LHFFH",
        "Asset tag INV-2026-00042", "Clear · Overwrite", "zeros, 1 pass", "Purge · ATA Secure",
        "Destroy · Shredding", "full read,", "Erased", "Destroyed", "Failed", "Waiting",
        "Destination: reuse through Emmaüs Connect Nantes", "Destination: recycling",
        "20 Nov 2026", "not confirmed", "Issued on 23 November 2026", "Signature:",
    ):  # fmt: skip
        assert expected in text, expected
    assert "Erased: 4, Destroyed: 1, Failed: 1, Waiting: 1" in text


def test_waiting_devices_and_the_superseded_certificate_stand_out(
    french: bytes, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    text = pdf_text(french, tmp_path)
    assert "1 appareil de ce lot attend encore l’effacement" in text
    assert re.search(rf"{DELL} +en reconditionnement", text)
    assert f"Ce certificat remplace le certificat {SUPERSEDED}" in text

    plain = make_content(pending=[], supersedes=None)
    text = pdf_text(certificate_pdf.render(signing.sign(plain, key), "fr"), tmp_path)
    assert "attend" not in text and "remplace" not in text


def test_every_page_has_its_number_ledger_entry_and_code(
    key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    devices = [dict(DEVICES[n % 3], code=code(f"T{n:06d}")) for n in range(40)]
    pdf = certificate_pdf.render(signing.sign(make_content(devices=devices), key), "fr")
    pages = page_count(pdf, tmp_path)
    texts = pdf_text(pdf, tmp_path).split("\f")[:pages]

    assert pages > 2
    for number, page in enumerate(texts, start=1):
        assert f"Page {number} / {pages}" in page
        assert f"Registre : entrée 18342, empreinte {LEDGER_HASH}" in page
        assert f"Certificat d’effacement des données {CERTIFICATE}" in page


def test_qr_code_opens_the_verification_page(french: bytes, tmp_path: Path) -> None:
    (tmp_path / "certificate.pdf").write_bytes(french)
    subprocess.run(
        ["pdftoppm", "-r", "120", "-gray", "-png", "-f", "1", "-l", "1", "-singlefile",
         str(tmp_path / "certificate.pdf"), str(tmp_path / "page")],
        check=True,
    )  # fmt: skip
    page = Image.open(tmp_path / "page.png")

    found = zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormat.QRCode)  # type: ignore[arg-type]

    assert [result.text for result in found] == [f"https://remise.example.org/verify/{CERTIFICATE}"]


def test_attached_file_is_the_canonical_envelope_and_verifies(
    french: bytes, envelope: dict[str, Any], key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    (tmp_path / "certificate.pdf").write_bytes(french)
    listing = subprocess.run(
        ["pdfdetach", "-list", str(tmp_path / "certificate.pdf")],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    subprocess.run(
        ["pdfdetach", "-save", "1", "-o", str(tmp_path / "attached.json"),
         str(tmp_path / "certificate.pdf")],
        check=True,
    )  # fmt: skip

    assert "1: remise-certificate.json" in listing
    assert (tmp_path / "attached.json").read_bytes() == canonical.dumps(envelope)
    found = certificate_pdf.embedded_envelope(french)
    assert found == envelope
    signing.verify(found, key.public_key())


def test_same_envelope_gives_the_same_bytes(french: bytes, envelope: dict[str, Any]) -> None:
    assert certificate_pdf.render(envelope, "fr") == french


def test_a_thousand_devices_repeat_the_header_on_every_page(
    key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    devices = [
        {**DEVICES[n % 3], "code": code(f"{n:07d}"), "serial": f"SN{n:010d}"} for n in range(1_000)
    ]
    pdf = certificate_pdf.render(signing.sign(make_content(devices=devices), key), "en")
    pages = page_count(pdf, tmp_path)
    texts = pdf_text(pdf, tmp_path).split("\f")[:pages]
    header = re.compile(r"Medium +Sanitization +Tool +Verification +Date, +Check +Result")

    assert pages > 100
    assert "(1,000 devices, 2,334 storage media)" in texts[0]
    for number, page in enumerate(texts, start=1):
        assert f"Page {number} / {pages}" in page
        if re.search(r"SN\d{10}", page):
            assert len(header.findall(page)) == 1, f"page {number}"
    text = "\n".join(texts)
    numbers = [int(n) for n in re.findall(r"^ *(\d+) · \w{4}-\w{4} ·", text, re.MULTILINE)]
    assert sorted(set(numbers)) == list(range(1, 1_001))  # every device, in order; a page
    assert numbers == sorted(numbers)  # that starts inside one repeats its title, continued
    assert len(numbers) - 1_000 == text.count("(continued)")
    assert re.findall(r"\bSN\d{10}\b", text.replace("(continued)", "")) != []


def test_a_pdf_without_the_attachment_is_refused() -> None:
    with pytest.raises(NoEmbeddedCertificate, match=r"no attached remise-certificate\.json"):
        certificate_pdf.embedded_envelope(NWIPE_PDF.read_bytes())
    with pytest.raises(NoEmbeddedCertificate, match="not a readable PDF"):
        certificate_pdf.embedded_envelope(b"{}")


@pytest.mark.parametrize(
    ("data", "reason"), [(b"not json", "is not JSON"), (b"[1, 2]", "not a JSON object")]
)
def test_an_attachment_that_is_not_an_envelope_is_refused(data: bytes, reason: str) -> None:
    writer = PdfWriter(clone_from=PdfReader(NWIPE_PDF))
    writer.add_attachment("remise-certificate.json", data)
    output = BytesIO()
    writer.write(output)

    with pytest.raises(NoEmbeddedCertificate, match=reason):
        certificate_pdf.embedded_envelope(output.getvalue())


# `remise certificate …`, in English (REMISE_DEFAULT_LOCALE) with its own data directory.


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REMISE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REMISE_DEFAULT_LOCALE", "en")
    monkeypatch.delenv("REMISE_CERTIFICATE_KEY", raising=False)
    monkeypatch.delenv("REMISE_ENVIRONMENT", raising=False)
    return tmp_path / "data"


def test_verify_checks_an_untouched_pdf_with_the_published_key(
    french: bytes, key: Ed25519PrivateKey, cli_env: Path, tmp_path: Path
) -> None:
    (tmp_path / "certificate.pdf").write_bytes(french)
    published = signing.public_key_base64(key)

    result = runner.invoke(app, ["verify", str(tmp_path / "certificate.pdf"), "--key", published])

    assert result.exit_code == 0, result.stderr
    assert f"Certificate {CERTIFICATE}, issued on 23 November 2026 at 10:30" in result.stdout
    assert "3 devices, 7 storage media (Erased: 4, Destroyed: 1, Failed: 1, Waiting: 1)" in (
        result.stdout
    )
    assert f"Still waiting for erasure: {DELL}" in result.stdout
    assert f"Supersedes certificate {SUPERSEDED}." in result.stdout
    assert f"Signature valid, key id {signing.key_id(key.public_key())}." in result.stdout
    assert not cli_env.exists()  # checking never makes a key


def test_verify_fails_when_one_byte_of_the_attached_json_changed(
    french: bytes, key: Ed25519PrivateKey, cli_env: Path, tmp_path: Path
) -> None:
    start = french.index(b'{"algorithm":"Ed25519"')
    serial = french.index(b"S3Z1NB0K123456A", start)
    tampered = french[:serial] + b"S3Z1NB0K123456B" + french[serial + 15 :]
    (tmp_path / "tampered.pdf").write_bytes(tampered)
    (tmp_path / "public.pem").write_text(signing.public_key_pem(key))

    result = runner.invoke(
        app, ["verify", str(tmp_path / "tampered.pdf"), "--key", str(tmp_path / "public.pem")]
    )

    assert result.exit_code == 1
    assert "the signature does not match the content: it was changed" in result.stderr
    assert "Signature valid" not in result.stdout


def test_verify_with_another_key_names_both_keys(
    french: bytes, key: Ed25519PrivateKey, cli_env: Path, tmp_path: Path
) -> None:
    (tmp_path / "certificate.pdf").write_bytes(french)
    other = signing.public_key_base64(Ed25519PrivateKey.generate())

    result = runner.invoke(app, ["verify", str(tmp_path / "certificate.pdf"), "--key", other])

    assert result.exit_code == 1
    assert f"signed by key {signing.key_id(key.public_key())}, not by key" in result.stderr


def test_verify_uses_the_local_key_but_never_makes_one(
    envelope: dict[str, Any], cli_env: Path, tmp_path: Path
) -> None:
    (tmp_path / "certificate.pdf").write_bytes(certificate_pdf.render(envelope, "en"))

    result = runner.invoke(app, ["verify", str(tmp_path / "certificate.pdf")])
    assert result.exit_code == 1
    assert "give --key KEY" in result.stderr
    assert not (cli_env / "certificate-key.pem").exists()

    local = signing.key_for(None, cli_env, production=False)
    signed = certificate_pdf.render(signing.sign(envelope["content"], local), "en")
    (tmp_path / "local.pdf").write_bytes(signed)
    result = runner.invoke(app, ["verify", str(tmp_path / "local.pdf")])
    assert result.exit_code == 0, result.stderr
    assert f"Signature valid, key id {signing.key_id(local.public_key())}." in result.stdout


def test_verify_refuses_a_file_that_is_no_certificate(
    key: Ed25519PrivateKey, cli_env: Path
) -> None:
    published = signing.public_key_base64(key)

    result = runner.invoke(app, ["verify", str(NWIPE_PDF), "--key", published])

    assert result.exit_code == 1
    assert "This PDF holds no signed certificate: it has no attached" in result.stderr


def test_new_key_prints_its_public_key_and_never_overwrites(cli_env: Path, tmp_path: Path) -> None:
    path = tmp_path / "keys" / "signing.pem"

    made = runner.invoke(app, ["new-key", str(path)])
    again = runner.invoke(app, ["new-key", str(path)])

    assert made.exit_code == 0, made.stderr
    key = signing.load_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"Public key (base64): {signing.public_key_base64(key)}" in made.stdout
    assert signing.public_key_pem(key) in made.stdout
    assert f"REMISE_CERTIFICATE_KEY={path}" in made.stdout
    assert again.exit_code == 1 and "never overwritten" in again.stderr
    assert signing.public_key_base64(signing.load_key(path)) == signing.public_key_base64(key)


def test_key_prints_the_key_in_use(cli_env: Path) -> None:
    first = runner.invoke(app, ["key"])
    second = runner.invoke(app, ["key"])

    assert first.exit_code == 0, first.stderr
    local = signing.load_key(cli_env / "certificate-key.pem")
    assert f"Key id: {signing.key_id(local.public_key())}" in first.stdout
    assert second.stdout == first.stdout
