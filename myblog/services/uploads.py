"""Safe image uploads: sniff the real format, re-encode without metadata, store under a random name.

Only PNG, JPEG, GIF and WebP are accepted, judged by Pillow from the bytes themselves; the
client's file name and content type are never trusted. Every accepted image is decoded and
written out afresh, so EXIF (including GPS), XMP, ICC profiles and text chunks never reach disk.

GIF decision: a GIF is stored as a PNG of its first frame (content type ``image/png``), and
animated WebP/APNG likewise keep only their first frame. Re-encoding animations safely would need
a per-frame pixel budget and Pillow's GIF writer copies frame comments back in, so we flatten.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from flask import current_app
from flask_babel import gettext as _
from werkzeug.utils import secure_filename

from myblog.extensions import db
from myblog.models import Upload, User

if TYPE_CHECKING:
    from PIL import Image

# Pillow is imported by the functions that decode and encode: only uploads need it, and it
# would add ~5 MB to every worker that only serves pages.

__all__ = [
    "StoredImage",
    "UploadError",
    "keep_image",
    "safe_display_name",
    "save_upload",
    "store_image",
]

MAX_DISPLAY_NAME = 255
FILE_MODE = 0o644


class UploadError(ValueError):
    """An upload was rejected; the message is safe to show to the user."""


@dataclass(frozen=True)
class StoredImage:
    filename: str
    content_type: str
    size: int
    width: int
    height: int


@dataclass(frozen=True)
class _Output:
    pil_format: str
    extension: str
    content_type: str


_PNG = _Output("PNG", ".png", "image/png")
_JPEG = _Output("JPEG", ".jpg", "image/jpeg")
_WEBP = _Output("WEBP", ".webp", "image/webp")

# Detected (Pillow) format → what we write. MPO is how Pillow reports camera JPEGs that carry
# extra embedded pictures; we keep only the primary one.
_OUTPUTS: dict[str, _Output] = {
    "PNG": _PNG,
    "JPEG": _JPEG,
    "MPO": _JPEG,
    "GIF": _PNG,
    "WEBP": _WEBP,
}
# Restricting the plugins Pillow tries means other parsers (SVG-ish, PDF, TIFF, …) never run.
_OPEN_FORMATS = ("PNG", "JPEG", "GIF", "WEBP")

_PNG_MODES = frozenset({"1", "L", "LA", "I;16", "RGB", "RGBA"})


def safe_display_name(name: str | None) -> str:
    """Return a `secure_filename`-cleaned copy of a client file name, for display only."""
    return secure_filename(name or "")[:MAX_DISPLAY_NAME]


def save_upload(data: bytes | IO[bytes], *, original_name: str, uploader: User) -> Upload:
    """Store an image in MYBLOG_UPLOAD_DIR (at most MAX_CONTENT_LENGTH) and record it; commits.

    The file is written before its row commits: when anything after the write fails, the file is
    removed again, so a failed upload leaves no orphan on disk.
    """
    upload_dir = Path(current_app.config["MYBLOG_UPLOAD_DIR"])
    stored = store_image(
        data, upload_dir=upload_dir, max_bytes=int(current_app.config["MAX_CONTENT_LENGTH"])
    )
    try:
        upload = Upload(
            filename=stored.filename,
            original_name=safe_display_name(original_name),
            content_type=stored.content_type,
            size=stored.size,
            width=stored.width,
            height=stored.height,
            uploader_id=uploader.id,
        )
        db.session.add(upload)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        (upload_dir / stored.filename).unlink(missing_ok=True)
        raise
    return upload


def store_image(
    data: bytes | IO[bytes],
    *,
    upload_dir: str | Path,
    max_bytes: int,
    max_pixels: int = 40_000_000,
    square: int | None = None,
) -> StoredImage:
    """Validate an uploaded image, re-encode it without metadata and save it under a random name
    (cut to a centred square of `square` pixels a side when given, as for an avatar)."""
    raw = _read_limited(data, max_bytes)
    image, detected = _decode(raw, max_pixels)
    output = _OUTPUTS[detected]
    clean = _strip(image, output)
    if square is not None:
        from PIL import ImageOps

        clean = ImageOps.fit(clean, (square, square))
    payload = _encode(clean, output)
    filename = secrets.token_hex(16) + output.extension
    _write_atomically(Path(upload_dir), filename, payload)
    return StoredImage(
        filename=filename,
        content_type=output.content_type,
        size=len(payload),
        width=clean.width,
        height=clean.height,
    )


_STORED_NAME = re.compile(r"[0-9a-f]{32}\.(png|jpg|webp)")


def keep_image(
    data: bytes,
    *,
    filename: str,
    upload_dir: str | Path,
    max_bytes: int,
    max_pixels: int = 40_000_000,
) -> StoredImage:
    """Store an image this blog re-encoded before (from a backup) as it is, under its own name.

    The name must be one `store_image` gives and the bytes must decode as the format it names,
    so the file is served as what it is; the bytes are kept, so a restore changes no image.
    """
    match = _STORED_NAME.fullmatch(filename)
    if match is None:
        raise UploadError(_("“%(name)s” is not the name of an uploaded image.", name=filename))
    image, detected = _decode(_read_limited(data, max_bytes), max_pixels)
    output = _OUTPUTS[detected]
    if output.extension != "." + match.group(1) or detected == "GIF":
        raise UploadError(
            _("“%(name)s” does not hold the kind of image its name says.", name=filename)
        )
    _write_atomically(Path(upload_dir), filename, data)
    return StoredImage(filename, output.content_type, len(data), image.width, image.height)


def _read_limited(data: bytes | IO[bytes], max_bytes: int) -> bytes:
    if isinstance(data, bytes):
        raw = data[: max_bytes + 1]
    else:
        chunks: list[bytes] = []
        remaining = max_bytes + 1
        # Some streams return short reads, so keep reading until the limit or EOF.
        while remaining > 0:
            chunk = data.read(remaining)
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        raw = b"".join(chunks)
    if not raw:
        raise UploadError(_("The uploaded file is empty."))
    if len(raw) > max_bytes:
        raise UploadError(_("That file is larger than %(limit)s.", limit=_format_limit(max_bytes)))
    return raw


def _unsupported() -> str:
    return str(_("That file is not a supported image (PNG, JPEG, GIF or WebP)."))


def _format_limit(max_bytes: int) -> str:
    mib = 1024 * 1024
    if max_bytes >= mib:
        return f"{max_bytes / mib:g} MB"
    if max_bytes >= 1024:
        return f"{max_bytes / 1024:g} KB"
    return f"{max_bytes} bytes"


def _decode(raw: bytes, max_pixels: int) -> tuple[Image.Image, str]:
    from PIL import Image

    with warnings.catch_warnings():
        # Pillow only *warns* for moderately oversized images; turn that into a hard failure.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(raw), formats=_OPEN_FORMATS) as probe:
                detected = probe.format
                _check_pixels(probe.size, max_pixels)
                probe.verify()
            # verify() leaves the image unusable, so decode again from scratch.
            image = Image.open(io.BytesIO(raw), formats=_OPEN_FORMATS)
            image.load()
        except UploadError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels() from exc
        except Exception as exc:
            # Hostile files make Pillow raise all sorts (OSError, SyntaxError, struct.error, …).
            raise UploadError(_unsupported()) from exc
    if detected not in _OUTPUTS:
        raise UploadError(_unsupported())
    return image, detected


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise _too_many_pixels()


def _too_many_pixels() -> UploadError:
    return UploadError(_("That image has too many pixels."))


def _strip(image: Image.Image, output: _Output) -> Image.Image:
    from PIL import Image, ImageOps

    oriented = ImageOps.exif_transpose(image)
    image.close()
    mode = _target_mode(oriented, output)
    converted = oriented if oriented.mode == mode else oriented.convert(mode)
    # A brand-new image carries pixels only: no info dict, EXIF, XMP, ICC or text chunks.
    fresh = Image.new(mode, converted.size)
    fresh.paste(converted)
    return fresh


def _target_mode(image: Image.Image, output: _Output) -> str:
    if output is _JPEG:
        return "RGB"
    has_alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info
    if output is _PNG and image.mode in _PNG_MODES:
        return image.mode
    return "RGBA" if has_alpha else "RGB"


def _encode(image: Image.Image, output: _Output) -> bytes:
    options: dict[str, Any]
    if output is _JPEG:
        options = {"quality": 85, "optimize": True}
    elif output is _WEBP:
        options = {"quality": 85}
    else:
        options = {"optimize": True}
    buffer = io.BytesIO()
    image.save(buffer, format=output.pil_format, **options)
    return buffer.getvalue()


def _write_atomically(directory: Path, filename: str, payload: bytes) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(payload)
            tmp.flush()
            os.fsync(tmp.fileno())
        # mkstemp creates files 0600; the web server must be able to read them.
        os.chmod(tmp_name, FILE_MODE)
        os.replace(tmp_name, directory / filename)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
