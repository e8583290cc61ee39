"""Photos kept for runs: checked to be JPEG, PNG or WebP, stored by content hash."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from db.errors import N_, Invalid, NotFound

MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


class BadPhoto(Invalid):
    code = "bad_photo"
    message = N_("This file is not a photo Remise keeps (JPEG, PNG or WebP, up to 10 MB).")


class PhotoNotFound(NotFound):
    code = "photo_not_found"
    message = N_("No such photo.")


def _photo_format(data: bytes) -> str:
    if len(data) > MAX_PHOTO_BYTES:
        raise BadPhoto()
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format or ""
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise BadPhoto() from exc
    if kind not in PHOTO_FORMATS:
        raise BadPhoto()
    return PHOTO_FORMATS[kind]


def keep(data_dir: Path, run_id: int, data: bytes) -> str:
    """Store the photo (BadPhoto if it is none); returns the reference a photo step records."""
    extension = _photo_format(data)
    name = f"run-{run_id}/{hashlib.sha256(data).hexdigest()}.{extension}"
    target = data_dir / "photos" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return name


def path_of(data_dir: Path, run_id: int, name: str) -> Path:
    """Where a kept photo is; PhotoNotFound for a name Remise did not give, or a lost file."""
    stem, _, extension = name.partition(".")
    if len(stem) != 64 or extension not in PHOTO_FORMATS.values() or not stem.isalnum():
        raise PhotoNotFound()
    path = data_dir / "photos" / f"run-{run_id}" / name
    if not path.is_file():
        raise PhotoNotFound()
    return path
