"""`$…$` and `$$…$$` in posts: LaTeX turned into MathML when the post is saved.

Browsers draw MathML themselves, so a page with formulas needs no script and nothing the CSP
must allow. latex2mathml does not escape what `\\text{…}` holds, so its output goes through
its own sanitiser (MathML elements only) before it joins the post's HTML, which the main
sanitiser has already cleaned: markers stand in for the formulas while it does.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import nh3
from markupsafe import escape

MATHML_TAGS: frozenset[str] = frozenset(
    {
        "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "mfrac", "msqrt", "mroot",
        "msup", "msub", "msubsup", "munder", "mover", "munderover", "mtable", "mtr", "mtd",
        "mstyle", "mpadded", "mphantom", "menclose", "semantics", "annotation",
    }
)  # fmt: skip
MATHML_ATTRIBUTES: dict[str, set[str]] = {
    "math": {"xmlns", "display"},
    "mo": {"stretchy", "fence", "separator", "lspace", "rspace", "largeop", "movablelimits"},
    "mstyle": {"displaystyle", "scriptlevel"},
    "mspace": {"width"},
    "mtable": {"columnalign", "rowspacing", "columnspacing"},
    "mtd": {"columnalign"},
    "menclose": {"notation"},
    "mfrac": {"linethickness"},
    "*": {"mathvariant"},
}

_slots = threading.local()


def to_mathml(latex: str, *, display: bool) -> str:
    """The formula as sanitised MathML; LaTeX it cannot read is shown as written, as code."""
    from latex2mathml.converter import convert  # ~11 MB: only once a post has a formula

    try:
        mathml = convert(latex, display="block" if display else "inline")
    except Exception:  # whatever the converter trips on, the author sees what they wrote
        return f"<code>{escape(latex)}</code>"
    return nh3.clean(
        mathml,
        tags=set(MATHML_TAGS),
        attributes=MATHML_ATTRIBUTES,
        clean_content_tags={"script", "style"},
        strip_comments=True,
    )


def marker(latex: str, options: dict[str, Any]) -> str:
    """dollarmath's renderer: keep the formula's MathML and leave a marker in its place."""
    salt, formulas = _slots.current
    formulas.append(to_mathml(latex, display=bool(options.get("display_mode"))))
    return f"{salt}{len(formulas) - 1}x"


@contextmanager
def formulas() -> Iterator[Callable[[str], str]]:
    """Collect the formulas of one rendering; yields what puts them in place of the markers
    (random per rendering, so text in the post cannot pass for one)."""
    salt = f"myblogmath{secrets.token_hex(8)}n"
    found: list[str] = []
    _slots.current = (salt, found)

    def fill(html: str) -> str:
        for n, mathml in enumerate(found):
            html = html.replace(f"{salt}{n}x", mathml, 1)
        return html

    try:
        yield fill
    finally:
        del _slots.current
