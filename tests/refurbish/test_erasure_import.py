"""Every report of the erasure corpus through the HTTP importer, on SQLite and PostgreSQL.

The corpus (../shared/erasure-corpus) holds real nwipe 0.33 and 0.42 logs and PDFs, of
loop devices: none has a serial a medium could be matched by (empty, garbled bytes, or
anonymised by -q), so each import first asks which medium each drive is, then records
one erasure per drive, passed only where nwipe erased and read back, and the file's
SHA-256 in the ledger. What nwipe wrote in each file is asserted by
test_nwipe_reports.py; here, what the import makes of it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db.enums import Category, Role
from refurbish.erasure import nwipe
from tests.factories import auth, make_token
from tests.refurbish.test_runs_api import assert_ledger_sound, labelled
from tests.refurbish.walking import history

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "erasure-corpus"
FILES = sorted(p for p in CORPUS.rglob("*") if p.suffix in {".log", ".pdf"})
needs_erasure_corpus = pytest.mark.skipif(not FILES, reason=f"no erasure corpus at {CORPUS}")
# nwipe's Drive Status, and whether the drive's erasure counts (erased and read back).
COUNTS = {"erased": True, "failed": False, "aborted": False}


@pytest.fixture
def bench(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine, role=Role.BENCH))


def loop_media(
    client: TestClient, headers: dict[str, str], code: str, sizes: list[int]
) -> list[int]:
    """The device's disks as a volunteer enters them: loop devices report no serial."""
    ids = []
    for size in sizes:
        disk = {"type": "other", "model": "Loopback device", "size_bytes": size}
        if size is None:
            del disk["size_bytes"]  # a disk whose size nobody wrote down
        answer = client.post(f"/api/v1/devices/{code}/media", headers=headers, json=disk)
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    return ids


def send(
    client: TestClient, headers: dict[str, str], code: str, path: Path, media: list[str] = ()
) -> Any:
    query = "&".join(f"medium={m}" for m in media)
    return client.post(
        f"/api/v1/devices/{code}/erasures/import" + (f"?{query}" if query else ""),
        headers=headers,
        files={"file": (path.name, path.read_bytes(), "application/octet-stream")},
    )


@needs_erasure_corpus
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name[:70])
def test_each_report_of_the_corpus_is_imported(
    client: TestClient, engine: Engine, bench: dict[str, str], path: Path
) -> None:
    report = nwipe.parse(path.read_bytes(), path.name)
    code = labelled(engine, Category.DESKTOP)
    media = loop_media(client, bench, code, [d.size_bytes or 0 for d in report.drives])
    asked = send(client, bench, code, path)
    if all(d.verify_only for d in report.drives):
        assert asked.status_code == 422 and asked.json()["code"] == "report_verifies_only"
        assert "Verify" in asked.json()["detail"]
        return
    assert asked.status_code == 409, asked.text
    question = asked.json()
    assert question["code"] == "report_needs_matching"
    keys = [d.name or str(i + 1) for i, d in enumerate(report.drives)]
    assert [d["drive"] for d in question["drives"]] == keys
    assert {m["id"] for m in question["media"]} == set(media)
    assert "?medium=" in question["detail"]

    answer = send(client, bench, code, path, [f"{k}:{m}" for k, m in zip(keys, media, strict=True)])
    assert answer.status_code == 201, answer.text
    body = answer.json()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert (body["report"]["sha256"] == digest and body["report"]["version"] == "0.42") or (
        body["report"]["version"] == "0.33"
    )
    for drive, medium, record in zip(report.drives, media, body["erasures"], strict=True):
        verified = drive.verify in {"last", "all"}
        assert record["medium_id"] == medium
        assert (record["level"], record["method"]) == ("clear", "overwrite")
        assert record["pattern"] == drive.method and record["tool"] == "nwipe"
        assert record["verification"] == {
            "method": "full" if verified else "none",
            "passed": COUNTS[drive.status] if verified else None,
        }
        assert record["passed"] is (COUNTS[drive.status] and verified)
        assert record["started_at"] == drive.started_at and record["report_sha256"] == digest
        assert record["report"]["drive"]["status"] == drive.status
        if drive.status == "aborted":
            assert record["errors"][0] == "aborted by the user before the end"
        if drive.errors_verify:
            assert f"verify errors: {drive.errors_verify}" in record["errors"]
    events = [p for t, p in history(engine, code) if t == "device.erasure_recorded"]
    assert [e["report_sha256"] for e in events] == [digest] * len(media)

    again = send(client, bench, code, path, [f"{k}:{m}" for k, m in zip(keys, media, strict=True)])
    assert again.status_code == 200 and again.json()["already_recorded"]
    assert [e["id"] for e in again.json()["erasures"]] == [e["id"] for e in body["erasures"]]
    assert len([t for t, _ in history(engine, code) if t == "device.erasure_recorded"]) == len(
        media
    )
    assert_ledger_sound(engine)


@needs_erasure_corpus
def test_a_log_and_the_pdfs_of_the_same_run_make_one_record_per_drive(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    run = CORPUS / "nwipe-0.42" / "pdf" / "nwipe-0.42-two-devices"
    log = CORPUS / "nwipe-0.42" / "nwipe-0.42-two-devices.log"
    code = labelled(engine, Category.DESKTOP)
    first, second = loop_media(client, bench, code, [67108864, 33554432])
    done = send(client, bench, code, log, [f"loop1:{first}", f"loop2:{second}"]).json()
    ids = sorted(e["id"] for e in done["erasures"])
    system = next(run.glob("nwipe_system_report_*.pdf"))
    by_position = send(client, bench, code, system, [f"1:{first}", f"2:{second}"])
    assert by_position.status_code == 201, by_position.text
    assert sorted(e["id"] for e in by_position.json()["erasures"]) == ids
    for drive_pdf in sorted(run.glob("nwipe_report_*.pdf")):
        name = "loop1" if drive_pdf.name.endswith("loop1.pdf") else "loop2"
        medium = first if name == "loop1" else second
        answer = send(client, bench, code, drive_pdf, [f"{name}:{medium}"])
        assert answer.status_code == 201 and answer.json()["erasures"][0]["id"] in ids
    listed = client.get(f"/api/v1/devices/{code}/erasures", headers=bench).json()
    assert [len(m["erasures"]) for m in listed] == [1, 1]


@needs_erasure_corpus
@pytest.mark.parametrize(
    ("media", "words"),
    [
        (["loop1:{other}"], "no medium"),
        (["loop9:{first}"], "no drive loop9"),
        (["loop1:{unsized}", "loop2:{unsized}"], "two drives"),
        (["loop1"], "DRIVE:MEDIUM_ID"),
        (["loop1:{big}", "loop2:{second}"], "another disk"),
        (["loop1:{first}"], "loop2"),  # loop2 still unknown: asked again
    ],
)
def test_a_wrong_matching_is_refused_with_the_reason(
    client: TestClient, engine: Engine, bench: dict[str, str], media: list[str], words: str
) -> None:
    log = CORPUS / "nwipe-0.33" / "nwipe-0.33-two-devices.log"
    code, elsewhere = labelled(engine, Category.DESKTOP), labelled(engine, Category.DESKTOP)
    first, second = loop_media(client, bench, code, [67108864, 33554432])
    [big] = loop_media(client, bench, code, [1000204886016])
    [unsized] = loop_media(client, bench, code, [None])
    [other] = loop_media(client, bench, elsewhere, [67108864])
    ids = {"first": first, "second": second, "big": big, "unsized": unsized, "other": other}
    given = [m.format(**ids) for m in media]
    answer = send(client, bench | {"Accept-Language": "en"}, code, log, given)
    assert answer.status_code in {409, 422}, answer.text
    assert words in answer.json()["detail"]
    listed = client.get(f"/api/v1/devices/{code}/erasures", headers=bench).json()
    assert all(m["erasures"] == [] for m in listed)


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"", "empty.log"),
        (b"Bonjour, ceci n'est pas un rapport.\n", "note.txt"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n", "x.pdf"),
    ],
)
def test_a_file_that_is_not_a_report_is_refused(
    client: TestClient, engine: Engine, bench: dict[str, str], content: bytes, name: str
) -> None:
    code = labelled(engine, Category.DESKTOP)
    answer = client.post(
        f"/api/v1/devices/{code}/erasures/import",
        headers=bench,
        files={"file": (name, content, "application/octet-stream")},
    )
    assert answer.status_code == 422 and answer.json()["code"] == "not_an_erasure_report"
    assert name in answer.json()["detail"]


@needs_erasure_corpus
@pytest.mark.parametrize(
    ("typed", "agrees"),
    [(67_000_000, True), (67_500_000, True), (66_000_000, False), (60_000_000, False)],
)
def test_a_size_typed_by_hand_agrees_within_one_percent(
    client: TestClient, engine: Engine, bench: dict[str, str], typed: int, agrees: bool
) -> None:
    """A volunteer types the label's rounded size ("67 MB"); the report says the exact one
    (67,108,864 bytes). Within 1 % it is the same disk; beyond, another one."""
    log = CORPUS / "nwipe-0.42" / "nwipe-0.42-two-devices.log"
    code = labelled(engine, Category.DESKTOP)
    first, second = loop_media(client, bench, code, [typed, 33554432])
    english = bench | {"Accept-Language": "en"}
    answer = send(client, english, code, log, [f"loop1:{first}", f"loop2:{second}"])
    if agrees:
        assert answer.status_code == 201, answer.text
    else:
        assert answer.status_code == 422 and "another disk" in answer.json()["detail"]


@needs_erasure_corpus
def test_the_question_says_why_in_the_volunteers_language(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    log = CORPUS / "nwipe-0.33" / "nwipe-0.33-two-devices.log"
    code = labelled(engine, Category.DESKTOP)
    loop_media(client, bench, code, [67108864, 33554432])
    french = send(client, bench | {"Accept-Language": "fr"}, code, log)
    assert french.status_code == 409
    detail = french.json()["detail"]
    assert detail.startswith("Le rapport ne dit pas quel disque est lequel (")
    english = ("printed empty", "unreadable", "hidden by", "serial", "bytes")
    assert not [word for word in english if word in detail], detail
    wrong = send(client, bench | {"Accept-Language": "fr"}, code, log, ["loop9:1"])
    assert "le rapport n'a pas de disque loop9" in wrong.json()["detail"]
