"""Photos kept for runs: decoded, checked and re-encoded before they are stored.

A phone's photo carries metadata (EXIF: where it was taken, the phone's serial, when)
that has no place in a workshop's files, and a file that says it is an image may be a
decompression bomb: a few hundred bytes whose header claims 20,000 × 20,000 pixels. So a
photo is opened header first and refused beyond MAX_PIXELS, then decoded in full (a
truncated one is refused), shrunk to MAX_SIDE pixels a side at most, turned upright by
its EXIF orientation, and stored as a new JPEG without any metadata, named by the SHA-256
of what is stored.

Pillow's own guard (`Image.MAX_IMAGE_PIXELS`, a process-wide setting) is left as it is:
the check here is stricter and runs on every call; beyond twice Pillow's limit, Pillow
refuses the file while opening it, and that is the same error to the user.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from db.errors import N_, Invalid, NotFound

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a phone's full-resolution photo; decoded, about 120 MB
MAX_SIDE = 3840  # what is stored: 4K on the long side shows any scratch
JPEG_QUALITY = 85
ACCEPTED = frozenset({"JPEG", "MPO", "PNG", "WEBP"})  # MPO: phones' JPEGs with a preview
STORED_EXTENSIONS = frozenset({"jpg", "png", "webp"})  # older photos kept their format
_UNREADABLE = (OSError, SyntaxError, ValueError, EOFError)  # what Pillow raises on bad data


class BadPhoto(Invalid):
    code = "bad_photo"
    message = N_("This file is not a photo: send a JPEG, PNG or WebP image.")


class PhotoTooHeavy(Invalid):
    code = "photo_too_heavy"
    message = N_("The photo weighs more than %(max_mb)s MB: send a smaller one.")


class PhotoFormatRefused(Invalid):
    code = "photo_format"
    message = N_("%(format)s images are not kept: send a JPEG, PNG or WebP photo.")


class PhotoAnimated(Invalid):
    code = "photo_animated"
    message = N_("This image is animated: send a still photo (JPEG, PNG or WebP).")


class PhotoTooLarge(Invalid):
    code = "photo_too_large"
    message = N_(
        "The image is larger than the %(max_mp)s megapixels Remise opens: "
        "send a smaller photo (a phone's usual size will do)."
    )


class PhotoDamaged(Invalid):
    code = "photo_damaged"
    message = N_("The photo is damaged or incomplete: send it again, or take another one.")


class PhotoNotFound(NotFound):
    code = "photo_not_found"
    message = N_("No such photo.")


def _opened(data: bytes) -> Image.Image:
    """The image with its header read, nothing decoded; refused if it is no photo we open."""
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoTooHeavy(max_mb=MAX_PHOTO_BYTES // (1024 * 1024))
    try:
        image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoTooLarge(max_mp=MAX_PIXELS // 1_000_000) from exc
    except (UnidentifiedImageError, *_UNREADABLE) as exc:
        raise BadPhoto() from exc
    if image.format not in ACCEPTED:
        raise PhotoFormatRefused(format=image.format or "?")
    if image.width * image.height > MAX_PIXELS:
        raise PhotoTooLarge(max_mp=MAX_PIXELS // 1_000_000)
    if image.format != "MPO" and getattr(image, "n_frames", 1) > 1:  # MPO: take the first
        raise PhotoAnimated()
    return image


def _decoded(image: Image.Image) -> Image.Image:
    """The pixels, at most MAX_SIDE a side, upright; PhotoDamaged if the data falls short."""
    image.draft(None, (MAX_SIDE, MAX_SIDE))  # a large JPEG decodes at 1/2, 1/4…: less memory
    try:
        image.load()
    except _UNREADABLE as exc:
        raise PhotoDamaged() from exc
    image.thumbnail((MAX_SIDE, MAX_SIDE))  # a square bound: the same once turned upright
    try:
        return ImageOps.exif_transpose(image)
    except (*_UNREADABLE, TypeError, KeyError):  # an EXIF block too broken to say
        return image


def _flattened(image: Image.Image) -> Image.Image:
    """RGB or grey, transparency on white: what a JPEG holds."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def reencoded(data: bytes) -> bytes:
    """The photo as Remise stores it: a JPEG of at most MAX_SIDE a side, no metadata.

    Raises BadPhoto, PhotoTooHeavy, PhotoFormatRefused, PhotoAnimated, PhotoTooLarge or
    PhotoDamaged, each saying what to send instead.
    """
    with _opened(data) as image:
        clean = _flattened(_decoded(image))
    clean.info = {}  # JPEG saving would copy a comment from it
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def keep(data_dir: Path, run_id: int, data: bytes) -> str:
    """Store the photo re-encoded (see `reencoded` for what is refused); returns the
    reference a photo step records, `run-{run_id}/{sha256}.jpg`."""
    stored = reencoded(data)
    name = f"run-{run_id}/{hashlib.sha256(stored).hexdigest()}.jpg"
    target = data_dir / "photos" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(stored)
    return name


def path_of(data_dir: Path, run_id: int, name: str) -> Path:
    """Where a kept photo is; PhotoNotFound for a name Remise did not give, or a lost file."""
    stem, _, extension = name.partition(".")
    if len(stem) != 64 or extension not in STORED_EXTENSIONS or not stem.isalnum():
        raise PhotoNotFound()
    path = data_dir / "photos" / f"run-{run_id}" / name
    if not path.is_file():
        raise PhotoNotFound()
    return path


def is_kept(data_dir: Path, run_id: int, reference: str) -> bool:
    """Whether `reference` (as `keep` answers it) names a photo kept for run `run_id`."""
    prefix = f"run-{run_id}/"
    if not reference.startswith(prefix):
        return False
    try:
        path_of(data_dir, run_id, reference.removeprefix(prefix))
    except PhotoNotFound:
        return False
    return True
