"""Images a Markdown body refers to by a path of its own folder, and rewriting those links."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Collection, Sequence
from urllib.parse import unquote, urlsplit

from myblog.services.porting.items import ImageRef

# each pattern's second group is the path: ![alt](path "title"), <img src="path">,
# Hugo's {{< figure src="path" >}}, and a reference definition [id]: path
_PATTERNS = (
    re.compile(r"(!\[[^\]\n]*\]\(\s*<?)([^)\s>]+)"),
    re.compile(r"(<img\b[^>]*?\bsrc\s*=\s*[\"'])([^\"'>]+)", re.IGNORECASE),
    re.compile(r"(\{\{[<%]\s*figure\b[^}]*?\bsrc\s*=\s*[\"'])([^\"']+)"),
    re.compile(
        r"(^[ ]{0,3}\[[^\]\n]+\]:[ \t]*<?)(\S+?\.(?:png|jpe?g|gif|webp))(?=>?(?:\s|$))", re.I | re.M
    ),
)


def _is_local(ref: str) -> bool:
    parts = urlsplit(ref)
    return not (parts.scheme or parts.netloc or ref.startswith(("#", "//")))


def image_refs(
    body: str, *, folder: str, files: Collection[str], roots: Sequence[str] = ("",)
) -> list[ImageRef]:
    """Each local image path in the body, with the file of the source it names ('' if none).

    A relative path is read from the note's folder; one starting with "/" from each of `roots`
    (a Hugo site's static/ folder, say). A path leading out of the source names nothing.
    """
    found: dict[str, ImageRef] = {}
    for pattern in _PATTERNS:
        for match in pattern.finditer(body):
            ref = match.group(2)
            if ref not in found and _is_local(ref):
                found[ref] = ImageRef(ref, _resolve(ref, folder, files, roots))
    return list(found.values())


def _resolve(ref: str, folder: str, files: Collection[str], roots: Sequence[str]) -> str:
    path = unquote(ref.split("#", 1)[0].split("?", 1)[0])
    if path.startswith("/"):
        candidates = [posixpath.normpath(root + path.lstrip("/")) for root in roots]
    else:
        candidates = [posixpath.normpath(posixpath.join(folder, path))]
    for candidate in candidates:
        if not candidate.startswith("../") and candidate in files:
            return candidate
    return ""


def rewrite_images(body: str, new_url: Callable[[str], str | None]) -> str:
    """The body with each image path that `new_url` knows replaced by its new address."""

    def replace(match: re.Match[str]) -> str:
        url = new_url(match.group(2))
        return match.group(0) if url is None else match.group(1) + url

    for pattern in _PATTERNS:
        body = pattern.sub(replace, body)
    return body
