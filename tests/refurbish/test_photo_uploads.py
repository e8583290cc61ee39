"""Photos through the HTTP API: decoded, re-encoded without metadata, refused with a
reason when they are no photo, tied to their run; on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import ExifTags, Image
from sqlalchemy import Engine

from db import ledger
from db.engine import transaction
from db.enums import Category, Role, Status
from remise.settings import Settings
from tests.factories import auth, make_device, make_token

GPS = ExifTags.IFD.GPSInfo
ORIENTATION = 0x0112  # EXIF: 6 means "turn 90° clockwise to show"


@pytest.fixture
def bench(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine, role=Role.BENCH))


@pytest.fixture
def run_id(client: TestClient, engine: Engine, bench: dict[str, str]) -> int:
    with transaction(engine) as session:
        code = make_device(session, status=Status.LABELLED, category=Category.LAPTOP).code
    started = client.post(f"/api/v1/devices/{code}/runs", headers=bench, json={})
    assert started.status_code == 201, started.text
    return int(started.json()["id"])


def send(client: TestClient, headers: dict[str, str], run: int, data: bytes, name: str) -> Any:
    return client.post(
        f"/api/v1/runs/{run}/photos",
        headers=headers,
        files={"file": (name, data, "application/octet-stream")},
    )


def stored(settings: Settings, run: int) -> list[Path]:
    folder = settings.data_dir / "photos" / f"run-{run}"
    return sorted(folder.iterdir()) if folder.exists() else []


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header claiming `width` × `height` RGB pixels, and a tiny IDAT."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _chunk(b"IEND", b"")
    )


def encoded(image: Image.Image, kind: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format=kind, **options)
    return out.getvalue()


def noisy(size: tuple[int, int]) -> Image.Image:
    return Image.frombytes("RGB", size, hashlib.shake_256(b"rayure").digest(size[0] * size[1] * 3))


def truncated_jpeg() -> bytes:
    whole = encoded(noisy((400, 300)), "JPEG", quality=95)
    return whole[: len(whole) // 2]


def animated_png() -> bytes:
    frames = [Image.new("RGB", (30, 20), colour) for colour in ("red", "blue")]
    return encoded(frames[0], "PNG", save_all=True, append_images=frames[1:])


def gif() -> bytes:
    return encoded(Image.new("P", (30, 20)), "GIF")


def test_a_png_claiming_20000_by_20000_pixels_answers_4xx_and_stores_nothing(
    client: TestClient, bench: dict[str, str], run_id: int, settings: Settings
) -> None:
    bomb = png_claiming(20_000, 20_000)
    assert len(bomb) < 300
    answer = send(client, bench, run_id, bomb, "bombe.png")
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "photo_too_large"
    assert "40 mégapixels" in answer.json()["detail"]
    assert stored(settings, run_id) == []


def test_a_header_just_over_the_cap_is_refused_before_decoding(
    client: TestClient, bench: dict[str, str], run_id: int
) -> None:
    answer = send(client, bench, run_id, png_claiming(8000, 5001), "grand.png")
    assert answer.status_code == 422 and answer.json()["code"] == "photo_too_large"


@pytest.mark.parametrize(
    ("make", "code", "words"),
    [
        (lambda: b"not a picture at all", "bad_photo", "n'est pas une photo"),
        (truncated_jpeg, "photo_damaged", "abîmée ou incomplète"),
        (gif, "photo_format", "Les images GIF"),
        (animated_png, "photo_animated", "animée"),
        (lambda: b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024), "photo_too_heavy", "10 Mo"),
    ],
    ids=["not-an-image", "truncated", "gif", "animated", "too-heavy"],
)
def test_what_is_no_photo_is_refused_with_a_reason(
    client: TestClient,
    bench: dict[str, str],
    run_id: int,
    settings: Settings,
    make: Any,
    code: str,
    words: str,
) -> None:
    answer = send(client, bench, run_id, make(), "envoi")
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == code
    assert words in answer.json()["detail"]
    english = send(client, {**bench, "Accept-Language": "en"}, run_id, make(), "envoi")
    assert english.json()["code"] == code and english.json()["detail"].isascii()
    assert stored(settings, run_id) == []


def test_the_stored_photo_is_a_new_upright_jpeg_without_metadata(
    client: TestClient, bench: dict[str, str], run_id: int, settings: Settings
) -> None:
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif.get_ifd(GPS).update({1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 7.0)})
    original = encoded(noisy((60, 40)), "JPEG", exif=exif, comment=b"SN-PHONE-0042")
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS)  # the test sends a GPS tag

    answer = send(client, bench, run_id, original, "rayure.jpg")
    assert answer.status_code == 201, answer.text
    [path] = stored(settings, run_id)
    data = path.read_bytes()
    assert answer.json()["photo"] == f"run-{run_id}/{hashlib.sha256(data).hexdigest()}.jpg"
    assert data != original and b"SN-PHONE-0042" not in data
    with Image.open(io.BytesIO(data)) as kept:
        assert kept.format == "JPEG"
        assert kept.size == (40, 60)  # turned upright by its orientation, then stored so
        assert dict(kept.getexif()) == {} and "exif" not in kept.info
        assert "comment" not in kept.info
    fetched = client.get(answer.json()["url"], headers=bench)
    assert fetched.status_code == 200 and fetched.content == data


@pytest.mark.parametrize(
    ("image", "kind", "options"),
    [
        (Image.new("RGBA", (50, 30), (0, 0, 0, 0)), "PNG", {}),
        (Image.new("RGB", (50, 30), "green"), "WEBP", {}),
        (
            Image.new("RGB", (50, 30), "green"),
            "MPO",
            {"save_all": True, "append_images": [Image.new("RGB", (50, 30))]},
        ),
        (Image.new("I;16", (50, 30)), "PNG", {}),
    ],
    ids=["transparent-png", "webp", "mpo", "16-bit-png"],
)
def test_photos_of_every_accepted_kind_are_stored_as_jpeg(
    client: TestClient,
    bench: dict[str, str],
    run_id: int,
    settings: Settings,
    image: Image.Image,
    kind: str,
    options: dict[str, Any],
) -> None:
    answer = send(client, bench, run_id, encoded(image, kind, **options), f"photo.{kind}")
    assert answer.status_code == 201, answer.text
    [path] = stored(settings, run_id)
    with Image.open(path) as kept:
        assert (kept.format, kept.mode, kept.size) in {
            ("JPEG", "RGB", (50, 30)),
            ("JPEG", "L", (50, 30)),
        }
        if kind == "PNG" and image.mode == "RGBA":
            assert kept.getpixel((10, 10)) == (255, 255, 255)  # transparency laid on white


def test_a_large_photo_is_stored_at_most_3840_pixels_a_side(
    client: TestClient, bench: dict[str, str], run_id: int, settings: Settings
) -> None:
    big = encoded(Image.new("RGB", (6000, 4000), "navy"), "JPEG")
    assert send(client, bench, run_id, big, "grand.jpg").status_code == 201
    [path] = stored(settings, run_id)
    with Image.open(path) as kept:
        assert kept.size == (3840, 2560)


def test_a_photo_step_takes_only_a_photo_of_its_own_run(
    client: TestClient, engine: Engine, bench: dict[str, str], run_id: int
) -> None:
    with transaction(engine) as session:
        other_code = make_device(session, status=Status.LABELLED, category=Category.LAPTOP).code
    other = client.post(f"/api/v1/devices/{other_code}/runs", headers=bench, json={}).json()["id"]
    photo = encoded(Image.new("RGB", (40, 30), "red"), "JPEG")
    mine = send(client, bench, run_id, photo, "a.jpg").json()["photo"]
    theirs = send(client, bench, other, photo, "b.jpg").json()["photo"]
    url = f"/api/v1/runs/{run_id}/steps/photo"
    for value in [
        f"run-{run_id}/{'0' * 64}.jpg",  # well formed, never sent
        theirs,  # a photo of another run
        f"run-{run_id}/../run-{other}/{theirs.partition('/')[2]}",
        "https://example.org/photo.jpg",
        "anything at all",
    ]:
        answer = client.put(url, headers=bench, json={"value": value})
        assert answer.status_code == 422, (value, answer.text)
        body = answer.json()
        assert body["code"] == "bad_step_value"
        assert body["errors"] == [
            {
                "field": "value",
                "message": f"une photo envoyée pour le reconditionnement n° {run_id} est attendue",
            }
        ]
    with transaction(engine, read_only=True) as session:
        before = ledger.head(session)
    good = client.put(url, headers=bench, json={"value": mine})
    assert good.status_code == 200 and good.json()["state"] == "recorded"
    with transaction(engine, read_only=True) as session:
        assert ledger.head(session) != before and ledger.verify(session).ok


def test_a_finished_run_takes_no_more_photos(
    client: TestClient, bench: dict[str, str], run_id: int, settings: Settings
) -> None:
    finished = client.post(
        f"/api/v1/runs/{run_id}/finish",
        headers=bench,
        json={"outcome": "recycled", "collector": "Ecosystem"},
    )
    assert finished.status_code == 200, finished.text
    photo = encoded(Image.new("RGB", (40, 30), "red"), "JPEG")
    answer = send(client, bench, run_id, photo, "tard.jpg")
    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "run_closed"
    assert f"{run_id}" in answer.json()["detail"] and "recycl" in answer.json()["detail"].lower()
    assert stored(settings, run_id) == []
