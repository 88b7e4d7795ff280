"""Reading a source within limits: zip slip, zip bombs, too many or too large files refused."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import pytest

from myblog.services.porting.items import ItemError, SourceError
from myblog.services.porting.report import Result
from myblog.services.porting.sources import FolderFiles, Limits, ZipFiles, unsafe_path

MIB = 1024 * 1024
LIMITS = Limits(total=64 * MIB, per_file=8 * MIB, entries=50, ratio=100, image=MIB)


def make_zip(entries: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def refused(files) -> dict[str, str]:
    return {outcome.item: outcome.detail for outcome in files.refused}


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil.md", "leads out of the archive"),
        ("notes/../../evil.md", "leads out of the archive"),
        ("/etc/evil.md", "absolute"),
        ("C:\\Windows\\evil.md", "absolute"),
        ("..\\..\\evil.md", "leads out of the archive"),
        ("bad\0name.md", "NUL"),
    ],
)
def test_zip_slip_names_are_recognised(name, reason):
    assert reason in (unsafe_path(name) or "")


def test_plain_paths_are_safe():
    assert unsafe_path("posts/hello.md") is None
    assert unsafe_path("posts/..hidden.md") is None


def test_zip_slip_entries_are_refused_and_the_rest_read():
    archive = make_zip(
        {"../evil.md": b"x", "/abs.md": b"x", "a/../../b.md": b"x", "ok.md": b"# Fine\n"}
    )
    files = ZipFiles(archive, LIMITS)
    assert list(files.entries) == ["ok.md"]
    assert set(refused(files)) == {"../evil.md", "/abs.md", "a/../../b.md"}
    assert all(detail.startswith("refused: its path") for detail in refused(files).values())
    assert files.read("ok.md") == b"# Fine\n"


def test_a_zip_bomb_entry_is_refused_by_its_compression_ratio():
    archive = make_zip({"bomb.md": b"\0" * (4 * MIB), "ok.md": b"text"})
    files = ZipFiles(archive, LIMITS)
    assert "bomb.md" not in files.entries
    assert "zip bomb" in refused(files)["bomb.md"]
    assert "ok.md" in files.entries


def test_a_small_well_compressed_file_is_no_bomb():
    archive = make_zip({"note.md": b"a" * 500_000})  # compresses ~1000:1, but small
    assert "note.md" in ZipFiles(archive, LIMITS).entries


def test_too_many_entries_refuse_the_whole_zip():
    archive = make_zip({f"n{i}.md": b"x" for i in range(LIMITS.entries + 1)})
    with pytest.raises(SourceError, match="51 entries; at most 50"):
        ZipFiles(archive, LIMITS)


def test_too_much_uncompressed_data_refuses_the_whole_zip():
    limits = Limits(total=2 * MIB, per_file=8 * MIB, entries=50, ratio=10_000, image=MIB)
    archive = make_zip({"a.md": b"\0" * MIB, "b.md": b"\0" * (MIB + 1)})
    with pytest.raises(SourceError, match="MYBLOG_IMPORT_MAX_TOTAL_BYTES"):
        ZipFiles(archive, limits)


def test_an_oversized_entry_is_refused():
    limits = Limits(total=64 * MIB, per_file=1000, entries=50, ratio=100, image=MIB)
    files = ZipFiles(make_zip({"big.md": os.urandom(2000), "ok.md": b"x"}), limits)
    assert "larger than 1,000 bytes" in refused(files)["big.md"]
    assert list(files.entries) == ["ok.md"]


def test_symbolic_links_and_duplicate_names_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("link.md")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
        archive.writestr("twice.md", "first")
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("twice.md", "second")
    files = ZipFiles(buffer, LIMITS)
    assert refused(files) == {
        "link.md": "refused: a symbolic link",
        "twice.md": "refused: a second entry with the same name",
    }
    assert files.read("twice.md") == b"first"


def test_an_entry_larger_than_its_header_says_is_refused_when_read():
    files = ZipFiles(make_zip({"note.md": b"0123456789" * 100}), LIMITS)
    files.zip.getinfo("note.md").file_size = 10  # a header that lies about the size
    with pytest.raises(ItemError, match="“note.md” is (damaged|larger than it says)"):
        files.read("note.md")


def test_what_is_not_a_zip_is_refused():
    with pytest.raises(SourceError, match="not a zip file"):
        ZipFiles(io.BytesIO(b"PK\3\4 and then nothing of a zip"), LIMITS)


def test_a_zipped_folder_is_read_from_inside_its_top_folder():
    files = ZipFiles(
        make_zip({"site/posts/a.md": b"a", "site/b.md": b"b", "__MACOSX/x": b""}), LIMITS
    )
    assert sorted(files.entries) == ["b.md", "posts/a.md"]
    assert files.read("posts/a.md") == b"a"


def test_a_folder_leaves_out_hidden_files_and_links_that_lead_outside(tmp_path: Path):
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    root = tmp_path / "notes"
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "config").write_text("x")
    (root / "a.md").write_text("a")
    (root / "leak.md").symlink_to(outside)
    files = FolderFiles(root, LIMITS)
    assert list(files.entries) == ["a.md"]
    assert refused(files) == {"leak.md": "refused: a link to something outside the folder"}
    assert [o.result for o in files.refused] == [Result.FAILED]


def test_a_folder_with_too_many_files_is_refused(tmp_path: Path):
    for i in range(LIMITS.entries + 1):
        (tmp_path / f"{i}.md").write_text("x")
    with pytest.raises(SourceError, match="more than 50 files"):
        FolderFiles(tmp_path, LIMITS)


def test_a_site_folder_leaves_its_build_output_and_themes_unread(tmp_path: Path):
    (tmp_path / "hugo.toml").write_text("title = 'x'")
    for folder in ("public", "themes/t", "content/public"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "page.md").write_text("x")
    files = FolderFiles(tmp_path, LIMITS)
    assert sorted(files.entries) == ["content/public/page.md", "hugo.toml"]
