"""Han characters as pinyin syllables, for slugs, without pypinyin's 43 MB phrase table.

pypinyin reads its table of 47,111 phrases (what tells 银行 yin-hang from 行走 xing-zou) as
nested lists from JSON: 57 MB in a worker for good. Here the same table comes from
`myblog/data/pinyin-phrases.txt.gz` (pypinyin's own, packed one line a phrase, see
`myblog/data/README.md`) into a dict holding each reading as one string, handed to pypinyin in
place of its own: the same answers (checked in the tests) for 29 MB. Loaded on first use only:
a worker that never makes a Chinese slug never loads pypinyin.
"""

from __future__ import annotations

import gzip
import os
import sys
import types
from functools import cache
from pathlib import Path
from typing import Any

PHRASES = Path(__file__).resolve().parent.parent / "data" / "pinyin-phrases.txt.gz"


class PackedPhrases(dict[str, str]):
    """Phrase → readings as one string ("zhāo,cháo yáng"), read by pypinyin as it reads its own
    table: a list per character of that character's readings."""

    def __getitem__(self, phrase: str) -> Any:
        return [readings.split(",") for readings in super().__getitem__(phrase).split(" ")]


def load_phrases(path: Path = PHRASES) -> PackedPhrases:
    """The packed table: one `phrase<TAB>readings` line a phrase."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return PackedPhrases(line.rstrip("\n").split("\t", 1) for line in lines)


@cache
def _converter() -> Any:
    # pypinyin takes its table from this module when it is imported; without the copy it
    # would otherwise make of its dictionaries (PYPINYIN_NO_DICT_COPY), ours stays as it is
    table = types.ModuleType("pypinyin.phrases_dict")
    table.phrases_dict = load_phrases()  # type: ignore[attr-defined]
    sys.modules.setdefault("pypinyin.phrases_dict", table)
    os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "true")
    from pypinyin import Style, lazy_pinyin

    def convert(text: str) -> list[str]:
        return list(lazy_pinyin(text, style=Style.NORMAL, errors="default"))

    return convert


def romanize(text: str) -> list[str]:
    """The text's Han characters as pinyin syllables, other runs kept as they are
    ("Flask 入门" → ["Flask ", "ru", "men"])."""
    result: list[str] = _converter()(text)
    return result
