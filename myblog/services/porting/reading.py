"""Which kind of source a path or an uploaded file is, and its reader."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from flask_babel import gettext as _

from myblog.models.types import utcnow
from myblog.services.porting.archive import is_archive, read_archive
from myblog.services.porting.ghost import read_ghost
from myblog.services.porting.items import Batch, SourceError
from myblog.services.porting.markdown_files import MARKDOWN, read_markdown
from myblog.services.porting.sources import (
    FileSet,
    FolderFiles,
    Limits,
    SingleFile,
    ZipFiles,
    megabytes,
)
from myblog.services.porting.wordpress import read_wordpress


def read_path(path: Path, limits: Limits | None = None) -> Batch:
    """Read a folder or file given on the command line (SourceError when it is refused)."""
    limits = limits or Limits.from_config()
    if path.is_dir():
        return _files(FolderFiles(path, limits))
    if not path.is_file():
        raise SourceError(_("There is no file or folder at %(path)s.", path=path))
    with path.open("rb") as handle:
        zipped = handle.read(2) == b"PK"
        if not zipped:
            handle.seek(0)
            return read_file(handle, path.name, limits)
    return _files(ZipFiles(path, limits))  # zipfile keeps its own handle open while importing


def read_file(stream: IO[bytes], name: str, limits: Limits | None = None) -> Batch:
    """Read an uploaded or opened file by what it holds: a zip, WXR, Ghost JSON or Markdown."""
    limits = limits or Limits.from_config()
    head = stream.read(4)
    stream.seek(0)
    if head.startswith(b"PK"):
        return _files(ZipFiles(stream, limits))
    raw = stream.read(limits.total + 1)
    if len(raw) > limits.total:
        raise SourceError(
            _(
                "The file is larger than %(size)s (MYBLOG_IMPORT_MAX_TOTAL_BYTES).",
                size=megabytes(limits.total),
            )
        )
    start = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if name.lower().endswith(MARKDOWN):
        return _files(SingleFile(Path(name).name, raw, utcnow(), limits))
    if start == b"<":
        return read_wordpress(raw)
    if start == b"{":
        return read_ghost(raw)
    raise SourceError(_("That is not something myblog can import: give %(what)s.", what=_works()))


def _works() -> str:
    return str(
        _(
            "a folder or a zip of Markdown files (a Hugo or Jekyll site too), a WordPress export "
            "(.xml), a Ghost export (.json), or a myblog backup (.zip)"
        )
    )


def _files(files: FileSet) -> Batch:
    batch = read_archive(files) if is_archive(files) else read_markdown(files)
    if not batch.posts and not batch.problems and batch.restore is None:
        raise SourceError(_("No Markdown file was found there: give %(what)s.", what=_works()))
    return batch
