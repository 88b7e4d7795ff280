"""Unit tests for the safe image-upload service."""

from __future__ import annotations

import io
import re
import stat
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import func, select

from myblog.extensions import db
from myblog.models import Role, Upload, User
from myblog.services.uploads import (
    StoredImage,
    UploadError,
    safe_display_name,
    save_upload,
    store_image,
)

MAX = 5 * 1024 * 1024
RANDOM_NAME = re.compile(r"^[0-9a-f]{32}\.(png|jpg|gif|webp)$")
GPS_IFD = 0x8825
ORIENTATION = 0x0112
FORMAT_OF = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def sample(mode: str = "RGB", size: tuple[int, int] = (40, 20)) -> Image.Image:
    image = Image.new(mode, size)
    # A gradient so lossy encoders have real content to work with.
    image.putdata(
        [(x * 6 % 256, y * 12 % 256, 128) for y in range(size[1]) for x in range(size[0])]
        if mode == "RGB"
        else [(x * 6 % 256, y * 12 % 256, 128, 200) for y in range(size[1]) for x in range(size[0])]
    )
    return image


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG header whose IHDR claims the given dimensions."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def files_in(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())


def assert_stored(result: StoredImage, directory: Path) -> Image.Image:
    assert RANDOM_NAME.match(result.filename)
    path = directory / result.filename
    assert path.is_file()
    assert path.stat().st_size == result.size
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert files_in(directory) == [path]  # no temp files left behind
    with Image.open(path) as reopened:
        assert reopened.format == FORMAT_OF[result.content_type]
        reopened.load()
        return reopened.copy()


@pytest.mark.parametrize(
    ("fmt", "mode", "content_type", "extension"),
    [
        ("PNG", "RGBA", "image/png", ".png"),
        ("JPEG", "RGB", "image/jpeg", ".jpg"),
        ("GIF", "RGB", "image/png", ".png"),  # GIFs are flattened to a PNG of the first frame
        ("WEBP", "RGB", "image/webp", ".webp"),
        ("WEBP", "RGBA", "image/webp", ".webp"),
    ],
)
def test_accepts_supported_formats(
    tmp_path: Path, fmt: str, mode: str, content_type: str, extension: str
) -> None:
    data = encode(sample(mode), fmt)

    result = store_image(data, upload_dir=tmp_path, max_bytes=MAX)

    assert result.content_type == content_type
    assert result.filename.endswith(extension)
    assert (result.width, result.height) == (40, 20)
    stored = assert_stored(result, tmp_path)
    assert stored.size == (40, 20)


def test_png_alpha_is_preserved(tmp_path: Path) -> None:
    result = store_image(encode(sample("RGBA"), "PNG"), upload_dir=tmp_path, max_bytes=MAX)

    stored = assert_stored(result, tmp_path)
    assert stored.mode == "RGBA"
    assert stored.getpixel((0, 0)) == (0, 0, 128, 200)


def test_accepts_a_binary_stream_and_creates_the_directory(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "uploads"
    stream = io.BytesIO(encode(sample(), "PNG"))

    result = store_image(stream, upload_dir=str(target), max_bytes=MAX)

    assert result.content_type == "image/png"
    assert_stored(result, target)


def test_animated_gif_keeps_only_the_first_frame(tmp_path: Path) -> None:
    red = Image.new("RGB", (10, 10), (255, 0, 0))
    blue = Image.new("RGB", (10, 10), (0, 0, 255))
    data = encode(red, "GIF", save_all=True, append_images=[blue], duration=100, loop=0)

    result = store_image(data, upload_dir=tmp_path, max_bytes=MAX)

    stored = assert_stored(result, tmp_path)
    assert result.content_type == "image/png"
    assert getattr(stored, "n_frames", 1) == 1
    assert stored.convert("RGB").getpixel((5, 5)) == (255, 0, 0)


def test_jpeg_exif_and_gps_are_removed_and_orientation_applied(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # "rotate 90° clockwise to display"
    exif[0x010F] = "SpyCam Inc."  # Make
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (52.0, 31.0, 12.0)
    gps[3] = "E"
    gps[4] = (13.0, 24.0, 36.0)
    data = encode(sample(), "JPEG", exif=exif.tobytes(), quality=95)
    with Image.open(io.BytesIO(data)) as original:  # sanity: the upload really carries GPS
        assert original.getexif().get_ifd(GPS_IFD)[2] == (52.0, 31.0, 12.0)
        assert original.size == (40, 20)

    result = store_image(data, upload_dir=tmp_path, max_bytes=MAX)

    assert (result.width, result.height) == (20, 40)
    stored_bytes = (tmp_path / result.filename).read_bytes()
    assert b"Exif" not in stored_bytes
    assert b"SpyCam" not in stored_bytes
    with Image.open(io.BytesIO(stored_bytes)) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (20, 40)
        assert len(stored.getexif()) == 0
        assert not stored.getexif().get_ifd(GPS_IFD)
        assert "exif" not in stored.info


def test_png_text_chunks_exif_and_icc_are_removed(tmp_path: Path) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret-text-chunk")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>secret-xmp</x:xmpmeta>")
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."
    data = encode(sample(), "PNG", pnginfo=info, exif=exif.tobytes(), icc_profile=b"fake-icc")
    with Image.open(io.BytesIO(data)) as original:
        assert original.info.get("Comment") == "secret-text-chunk"

    result = store_image(data, upload_dir=tmp_path, max_bytes=MAX)

    stored_bytes = (tmp_path / result.filename).read_bytes()
    for marker in (b"secret", b"SpyCam", b"fake-icc", b"tEXt", b"iTXt", b"eXIf", b"iCCP"):
        assert marker not in stored_bytes
    with Image.open(io.BytesIO(stored_bytes)) as stored:
        assert len(stored.getexif()) == 0
        assert not {"exif", "icc_profile", "Comment", "XML:com.adobe.xmp"} & set(stored.info)


def _truncated_png() -> bytes:
    data = encode(sample(), "PNG")
    return data[: len(data) // 2]


def _truncated_jpeg() -> bytes:
    data = encode(sample("RGB", (200, 200)), "JPEG")
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
            b"<script>alert(1)</script></svg>",
            id="svg",
        ),
        pytest.param(b"<!DOCTYPE html><html><body><script>alert(1)</script>", id="html"),
        pytest.param(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n", id="pdf"),
        pytest.param(bytes(range(256)) * 8, id="random-bytes"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"garbage" * 100, id="png-signature-then-junk"),
        pytest.param(_truncated_png(), id="truncated-png"),
        pytest.param(_truncated_jpeg(), id="truncated-jpeg"),
        pytest.param(encode(sample(), "BMP"), id="bmp"),
        pytest.param(encode(sample(), "TIFF"), id="tiff"),
    ],
)
def test_rejects_non_images_and_broken_images(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(UploadError, match="not a supported image"):
        store_image(data, upload_dir=tmp_path, max_bytes=MAX)

    assert files_in(tmp_path) == []


def test_rejects_empty_upload(tmp_path: Path) -> None:
    with pytest.raises(UploadError, match="empty"):
        store_image(b"", upload_dir=tmp_path, max_bytes=MAX)
    with pytest.raises(UploadError, match="empty"):
        store_image(io.BytesIO(b""), upload_dir=tmp_path, max_bytes=MAX)


def test_rejects_one_byte_over_the_limit(tmp_path: Path) -> None:
    data = encode(sample(), "PNG")

    with pytest.raises(UploadError, match=rf"larger than {len(data) - 1} bytes"):
        store_image(data, upload_dir=tmp_path, max_bytes=len(data) - 1)
    assert files_in(tmp_path) == []

    store_image(data, upload_dir=tmp_path, max_bytes=len(data))  # exactly at the limit is fine


def test_limit_message_uses_megabytes(tmp_path: Path) -> None:
    with pytest.raises(UploadError, match=r"larger than 1 MB"):
        store_image(b"x" * (1024 * 1024 + 1), upload_dir=tmp_path, max_bytes=1024 * 1024)


def test_reads_at_most_one_byte_past_the_limit(tmp_path: Path) -> None:
    class CountingStream(io.BytesIO):
        consumed = 0

        def read(self, size: int | None = -1) -> bytes:
            chunk = super().read(size)
            self.consumed += len(chunk)
            return chunk

    stream = CountingStream(b"\x00" * 10_000)

    with pytest.raises(UploadError, match="larger than"):
        store_image(stream, upload_dir=tmp_path, max_bytes=100)
    assert stream.consumed == 101


def test_rejects_more_pixels_than_allowed(tmp_path: Path, recwarn: pytest.WarningsRecorder) -> None:
    data = encode(Image.new("RGB", (1, 1)), "PNG")

    with pytest.raises(UploadError, match="too many pixels"):
        store_image(data, upload_dir=tmp_path, max_bytes=MAX, max_pixels=0)
    assert len(recwarn) == 0


@pytest.fixture(scope="module")
def large_png() -> bytes:
    """A real 10000x10000 bilevel PNG: 100 Mpx, but only a few kB compressed."""
    return encode(Image.new("1", (10_000, 10_000)), "PNG")


def test_rejects_real_large_image_over_default_limit(
    tmp_path: Path, recwarn: pytest.WarningsRecorder
) -> None:
    data = encode(Image.new("1", (7_000, 7_000)), "PNG")  # 49 Mpx: over 40M, under Pillow's own

    with pytest.raises(UploadError, match="too many pixels"):
        store_image(data, upload_dir=tmp_path, max_bytes=MAX)
    assert len(recwarn) == 0
    assert files_in(tmp_path) == []


@pytest.mark.parametrize("max_pixels", [40_000_000, 10**12])
def test_pillow_decompression_bomb_warning_becomes_upload_error(
    tmp_path: Path, recwarn: pytest.WarningsRecorder, large_png: bytes, max_pixels: int
) -> None:
    assert len(large_png) < MAX

    with pytest.raises(UploadError, match="too many pixels"):
        store_image(large_png, upload_dir=tmp_path, max_bytes=MAX, max_pixels=max_pixels)
    assert len(recwarn) == 0
    assert files_in(tmp_path) == []


@pytest.mark.parametrize("max_pixels", [40_000_000, 10**12])
def test_tiny_png_declaring_huge_dimensions_is_rejected(
    tmp_path: Path, recwarn: pytest.WarningsRecorder, max_pixels: int
) -> None:
    data = png_declaring(50_000, 50_000)
    assert len(data) < 100

    with pytest.raises(UploadError, match="too many pixels"):
        store_image(data, upload_dir=tmp_path, max_bytes=MAX, max_pixels=max_pixels)
    assert len(recwarn) == 0


def test_same_image_twice_gets_different_names(tmp_path: Path) -> None:
    data = encode(sample(), "PNG")

    first = store_image(data, upload_dir=tmp_path, max_bytes=MAX)
    second = store_image(data, upload_dir=tmp_path, max_bytes=MAX)

    assert first.filename != second.filename
    assert len(files_in(tmp_path)) == 2


def test_client_file_name_never_reaches_the_disk(tmp_path: Path) -> None:
    upload_dir = tmp_path / "uploads"
    client_name = "../../etc/passwd.png"
    stream = io.BytesIO(encode(sample(), "PNG"))
    stream.name = client_name  # a FileStorage-like object carrying the client's name

    result = store_image(stream, upload_dir=upload_dir, max_bytes=MAX)

    assert RANDOM_NAME.match(result.filename)
    assert files_in(tmp_path) == [upload_dir / result.filename]
    assert safe_display_name(client_name) == "etc_passwd.png"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (None, ""),
        ("", ""),
        ("../../etc/passwd.png", "etc_passwd.png"),
        ("my holiday photo.JPG", "my_holiday_photo.JPG"),
        ("..", ""),
    ],
)
def test_safe_display_name(name: str | None, expected: str) -> None:
    assert safe_display_name(name) == expected


def test_safe_display_name_is_truncated() -> None:
    assert len(safe_display_name("a" * 1000 + ".png")) == 255


# -- save_upload: the file and its row together ----------------------------------------------


def _owner() -> User:
    return db.session.scalars(select(User).where(User.role == Role.OWNER)).one()


def _upload_count() -> int:
    return db.session.scalar(select(func.count(Upload.id))) or 0


def test_save_upload_stores_the_file_and_commits_its_row(ctx: None, tmp_path: Path) -> None:
    upload = save_upload(
        io.BytesIO(encode(sample(), "PNG")), original_name="../My Photo.png", uploader=_owner()
    )
    db.session.rollback()  # nothing pending: the row is committed
    stored = db.session.get(Upload, upload.id)
    assert stored is not None
    assert stored.original_name == "My_Photo.png"
    assert (stored.content_type, stored.width, stored.height) == ("image/png", 40, 20)
    assert stored.uploader_id == _owner().id
    assert files_in(tmp_path / "uploads") == [tmp_path / "uploads" / stored.filename]


def test_save_upload_keeps_to_the_configured_size_limit(make_app, tmp_path: Path) -> None:
    data = encode(sample(), "PNG")
    app = make_app(MAX_CONTENT_LENGTH=len(data) - 1)
    with app.app_context():
        with pytest.raises(UploadError, match="larger than"):
            save_upload(data, original_name="a.png", uploader=_owner())
        assert _upload_count() == 0
    assert files_in(tmp_path / "uploads") == []


def test_a_failed_commit_leaves_no_file_and_a_clean_session(
    ctx: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_commit() -> None:
        raise RuntimeError("database went away")

    with monkeypatch.context() as patch:
        patch.setattr(db.session, "commit", broken_commit)
        with pytest.raises(RuntimeError, match="went away"):
            save_upload(encode(sample(), "PNG"), original_name="a.png", uploader=_owner())

    assert files_in(tmp_path / "uploads") == []
    assert not db.session.new  # rolled back: the row does not ride along on a later commit
    db.session.commit()
    assert _upload_count() == 0
