"""Chinese slugs: the packed phrase table is pypinyin's own, gives its answers, in less memory.

Run this file as a script to pack the table again after a pypinyin upgrade:
`uv run python tests/unit/services/test_pinyin.py`.
"""

from __future__ import annotations

import gzip
import importlib.resources
import json
import subprocess
import sys
from pathlib import Path

from myblog.services.pinyin import PHRASES, load_phrases

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "long-note.md"


def pack() -> bytes:
    """pypinyin's phrase table as the packed file holds it: `phrase<TAB>readings` a line."""
    source = importlib.resources.files("pypinyin") / "phrases_dict.json"
    table = json.loads(source.read_text(encoding="utf-8"))
    lines = [
        f"{phrase}\t{' '.join(','.join(r) for r in table[phrase])}" for phrase in sorted(table)
    ]
    return gzip.compress(("\n".join(lines) + "\n").encode(), 9, mtime=0)


def test_the_packed_table_is_the_installed_pypinyins_table():
    assert gzip.decompress(PHRASES.read_bytes()) == gzip.decompress(pack()), (
        "pypinyin's phrases changed: pack them again (see this file's docstring)"
    )


def test_the_table_reads_back_as_pypinyin_reads_its_own():
    table = load_phrases()
    assert len(table) > 40_000
    assert table["银行"] == [["yín"], ["háng"]]
    assert table["朝阳"] == [["zhāo", "cháo"], ["yáng"]]  # a character with two readings
    assert "行走" in table and "不是一个词" not in table


SYLLABLES = """
import json, sys
{setup}
from pypinyin import Style, lazy_pinyin
texts = json.load(sys.stdin)
print(json.dumps([lazy_pinyin(t, style=Style.NORMAL, errors="default") for t in texts]))
"""
OURS = "from myblog.services.pinyin import _converter; _converter()"


def _syllables(setup: str, texts: list[str]) -> list[list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", SYLLABLES.format(setup=setup)],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout)


def test_romanizing_gives_pypinyins_own_answers_on_a_long_chinese_note():
    # both in fresh processes: in this one, pypinyin may already have its own table loaded
    texts = [line for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts += ["银行行长", "音乐", "重庆长大", "朝阳区的行走", "为了得到"]
    ours = _syllables(OURS, texts)
    assert ours == _syllables("", texts)
    assert ours[-5:] == [
        ["yin", "hang", "hang", "zhang"],
        ["yin", "yue"],
        ["chong", "qing", "zhang", "da"],
        ["chao", "yang", "qu", "de", "xing", "zou"],
        ["wei", "le", "de", "dao"],
    ]


MEMORY = """
import os
{prepare}
def rss():
    for line in open(f"/proc/{{os.getpid()}}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
before = rss()
{setup}
from pypinyin import lazy_pinyin
lazy_pinyin("银行")
print(rss() - before)
"""


def _megabytes_for_pinyin(setup: str, prepare: str = "") -> float:
    code = MEMORY.format(setup=setup, prepare=prepare)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout)


def test_the_packed_table_costs_a_worker_far_less_memory():
    # the module (and Flask, through the package) is imported before measuring
    ours = _megabytes_for_pinyin("_converter()", "from myblog.services.pinyin import _converter")
    theirs = _megabytes_for_pinyin("")
    assert ours < 40 < theirs, (ours, theirs)  # measured: 29 MB against 57 MB


if __name__ == "__main__":
    PHRASES.write_bytes(pack())
    print(f"wrote {PHRASES}")
