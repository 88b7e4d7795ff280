"""GitHub's emoji shortcodes (`:smile:` → 😄) in the text of posts, never in code."""

from __future__ import annotations

import re

from markdown_it.rules_core import StateCore

_SHORTCODE = re.compile(r":[a-z0-9_+-]+:")


def emoji_rule(state: StateCore) -> None:
    """A core rule after inline parsing: text tokens only, so code spans and blocks keep theirs."""
    for token in state.tokens:
        for child in token.children or ():
            if child.type == "text" and _SHORTCODE.search(child.content):
                child.content = _emojize(child.content)


def _emojize(text: str) -> str:
    from emoji import emojize  # ~8 MB: only once a post has a shortcode

    return str(emojize(text, language="alias"))
