"""The files of a source, read within limits: a zip (refusing zip slip and zip bombs), a folder,
or a single file. Nothing is ever extracted to disk: entries are read into memory, one at a time.
"""

from __future__ import annotations

import os
import stat
import zipfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO

from flask import current_app
from flask_babel import gettext as _

from myblog.services.porting.items import ItemError, SourceError
from myblog.services.porting.report import Outcome, Result

MIB = 1024 * 1024
# the compression ratio is judged only for entries larger than this: small text files can
# compress very well and are harmless
RATIO_FLOOR = MIB
# operating-system litter that is never part of a blog
_LITTER = ("__MACOSX/", ".DS_Store", "Thumbs.db")
# a Hugo or Jekyll site's folder also holds its build output, themes and tools: left unread
_SITE_CONFIGS = ("config.toml", "config.yaml", "hugo.toml", "hugo.yaml", "_config.yml")
_BUILD_FOLDERS = ("public", "resources", "themes", "_site", "node_modules", "vendor")


@dataclass(frozen=True)
class Limits:
    total: int  # every file together, uncompressed
    per_file: int  # one file, uncompressed
    entries: int  # files in a zip or folder
    ratio: int  # uncompressed / compressed, for one zip entry over RATIO_FLOOR
    image: int  # one image (the upload limit)

    @classmethod
    def from_config(cls) -> Limits:
        """The limits set by the MYBLOG_IMPORT_* settings and MYBLOG_MAX_UPLOAD_BYTES."""
        config = current_app.config
        return cls(
            total=int(config["MYBLOG_IMPORT_MAX_TOTAL_BYTES"]),
            per_file=int(config["MYBLOG_IMPORT_MAX_FILE_BYTES"]),
            entries=int(config["MYBLOG_IMPORT_MAX_ENTRIES"]),
            ratio=int(config["MYBLOG_IMPORT_MAX_RATIO"]),
            image=int(config["MAX_CONTENT_LENGTH"]),
        )


def megabytes(size: int) -> str:
    return f"{size / MIB:.1f} MB" if size >= MIB else f"{size:,} bytes"


@dataclass(frozen=True)
class Entry:
    path: str  # "/"-separated, relative to the source's root
    size: int
    mtime: datetime


def unsafe_path(name: str) -> str | None:
    """Why a zip entry's name cannot be trusted (zip slip), or None when it is a plain path."""
    if "\0" in name:
        return str(_("its name has a NUL character"))
    name = name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return str(_("its path is absolute"))
    if ".." in PurePosixPath(name).parts:
        return str(_("its path leads out of the archive (..)"))
    return None


def _litter(path: str) -> bool:
    return path.startswith(_LITTER) or PurePosixPath(path).name in _LITTER


class FileSet:
    """Files by path, read one at a time within the limits; `refused` lists what was not let in."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.entries: dict[str, Entry] = {}
        self.refused: list[Outcome] = []
        self._read_total = 0

    def _refuse(self, path: str, reason: str) -> None:
        self.refused.append(Outcome(path, Result.FAILED, _("refused: %(reason)s", reason=reason)))

    def _admit(self, entry: Entry) -> bool:
        if entry.size > self.limits.per_file:
            self._refuse(
                entry.path, _("larger than %(size)s", size=megabytes(self.limits.per_file))
            )
            return False
        self.entries[entry.path] = entry
        return True

    def read(self, path: str, *, limit: int | None = None) -> bytes:
        """The bytes of one file (ItemError when it is missing, damaged or too large)."""
        entry = self.entries.get(path)
        if entry is None:
            raise ItemError(_("“%(path)s” is not in the source.", path=path))
        cap = min(limit or self.limits.per_file, self.limits.per_file)
        if entry.size > cap:
            raise ItemError(
                _("“%(path)s” is larger than %(size)s.", path=path, size=megabytes(cap))
            )
        data = self._read(path, cap)
        if len(data) > max(entry.size, 0) or len(data) > cap:
            raise ItemError(_("“%(path)s” is larger than it says it is.", path=path))
        self._read_total += len(data)
        if self._read_total > self.limits.total:
            raise ItemError(
                _(
                    "the source holds more than %(size)s in all.",
                    size=megabytes(self.limits.total),
                )
            )
        return data

    def _read(self, path: str, cap: int) -> bytes:
        raise NotImplementedError

    def strip_common_folder(self) -> None:
        """When every file sits in one top folder (a zipped folder), read paths from inside it."""
        tops = {path.split("/", 1)[0] for path in self.entries}
        if len(tops) != 1 or not all("/" in path for path in self.entries):
            return
        self.prefix = tops.pop() + "/"
        self.entries = {
            path[len(self.prefix) :]: Entry(path[len(self.prefix) :], e.size, e.mtime)
            for path, e in self.entries.items()
        }

    prefix = ""


class ZipFiles(FileSet):
    """The entries of a zip file, checked before anything is read."""

    def __init__(self, file: str | Path | IO[bytes], limits: Limits) -> None:
        super().__init__(limits)
        try:
            self.zip = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise SourceError(_("That is not a zip file that can be read.")) from exc
        infos = self.zip.infolist()
        if len(infos) > limits.entries:
            raise SourceError(
                _(
                    "The zip has %(entries)s entries; at most %(most)s are read "
                    "(MYBLOG_IMPORT_MAX_ENTRIES).",
                    entries=format(len(infos), ","),
                    most=format(limits.entries, ","),
                )
            )
        total = sum(info.file_size for info in infos)
        if total > limits.total:
            raise SourceError(
                _(
                    "The zip holds %(size)s uncompressed; at most %(most)s are read "
                    "(MYBLOG_IMPORT_MAX_TOTAL_BYTES).",
                    size=megabytes(total),
                    most=megabytes(limits.total),
                )
            )
        self._infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            self._consider(info)
        self.strip_common_folder()

    def _consider(self, info: zipfile.ZipInfo) -> None:
        name = info.filename
        if info.is_dir() or _litter(name):
            return
        reason = unsafe_path(name) or self._suspicious(info)
        if reason is None and name in self._infos:
            reason = _("a second entry with the same name")
        if reason is not None:
            self._refuse(name, reason)
            return
        when = datetime(*info.date_time, tzinfo=UTC)
        if self._admit(Entry(name, info.file_size, when)):
            self._infos[name] = info

    def _suspicious(self, info: zipfile.ZipInfo) -> str | None:
        if stat.S_ISLNK(info.external_attr >> 16):
            return str(_("a symbolic link"))
        if info.flag_bits & 0x1:
            return str(_("encrypted"))
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > self.limits.ratio:
            return str(
                _(
                    "compressed %(ratio)s to 1, more than %(most)s to 1 (a zip bomb?)",
                    ratio=format(ratio, ",.0f"),
                    most=self.limits.ratio,
                )
            )
        return None

    def _read(self, path: str, cap: int) -> bytes:
        info = self._infos[self.prefix + path]
        try:
            with self.zip.open(info) as handle:
                return handle.read(cap + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            raise ItemError(
                _("“%(path)s” is damaged in the zip (%(error)s).", path=path, error=exc)
            ) from exc


class FolderFiles(FileSet):
    """The files under a folder; hidden files and links leading out of it are left out."""

    def __init__(self, root: Path, limits: Limits) -> None:
        super().__init__(limits)
        self.root = root.resolve()
        total = 0
        for folder, dirs, files in os.walk(self.root):
            skipped = _BUILD_FOLDERS if Path(folder) == self.root and self._is_site() else ()
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in skipped)
            for name in sorted(f for f in files if not f.startswith(".")):
                total += self._consider(Path(folder) / name)
                if len(self.entries) > limits.entries:
                    raise SourceError(
                        _(
                            "The folder has more than %(most)s files (MYBLOG_IMPORT_MAX_ENTRIES).",
                            most=format(limits.entries, ","),
                        )
                    )
        if total > limits.total:
            raise SourceError(
                _(
                    "The folder holds %(size)s; at most %(most)s are read "
                    "(MYBLOG_IMPORT_MAX_TOTAL_BYTES).",
                    size=megabytes(total),
                    most=megabytes(limits.total),
                )
            )

    def _is_site(self) -> bool:
        return any((self.root / name).is_file() for name in _SITE_CONFIGS)

    def _consider(self, file: Path) -> int:
        path = file.relative_to(self.root).as_posix()
        if _litter(path):
            return 0
        real = file.resolve()
        if not real.is_relative_to(self.root) or not real.is_file():
            self._refuse(path, "a link to something outside the folder")
            return 0
        info = real.stat()
        self._admit(Entry(path, info.st_size, datetime.fromtimestamp(info.st_mtime, UTC)))
        return info.st_size

    def _read(self, path: str, cap: int) -> bytes:
        try:
            with (self.root / path).open("rb") as handle:
                return handle.read(cap + 1)
        except OSError as exc:
            raise ItemError(
                _("“%(path)s” cannot be read (%(error)s).", path=path, error=exc.strerror)
            ) from exc


class SingleFile(FileSet):
    """One file given on its own (a single Markdown note)."""

    def __init__(self, name: str, data: bytes, mtime: datetime, limits: Limits) -> None:
        super().__init__(limits)
        self._data = data
        self._admit(Entry(name, len(data), mtime))

    def _read(self, path: str, cap: int) -> bytes:
        return self._data[: cap + 1]
