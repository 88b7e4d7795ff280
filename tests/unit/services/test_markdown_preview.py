"""The editor's preview: blocks carry their first source line; saved posts never do."""

from __future__ import annotations

import re

from myblog.services.markdown import render_markdown

NOTE = """# Title

A paragraph
over two lines.

- one
- two

```python
x = 1
```

| a | b |
| - | - |
| 1 | 2 |

> quoted
"""


def lines(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<(\w+)[^>]*?\bdata-line="(\d+)"', html)


def test_preview_blocks_carry_the_line_they_start_on():
    html = render_markdown(NOTE, source_lines=True)
    assert lines(html) == [
        ("h1", "0"),
        ("p", "2"),
        ("ul", "5"),
        ("li", "5"),
        ("li", "6"),
        ("div", "8"),  # the code box
        ("div", "12"),  # the table's scrolling wrapper
        ("blockquote", "16"),
        ("p", "16"),
    ]


def test_saved_posts_carry_no_source_lines_not_even_written_by_hand():
    assert "data-line" not in render_markdown(NOTE)
    assert "data-line" not in render_markdown('<p data-line="3">raw</p>')


def test_the_preview_is_still_sanitised():
    html = render_markdown(
        '<p data-line="1" onclick="x()">a</p><script>x()</script>', source_lines=True
    )
    assert "onclick" not in html and "<script" not in html
