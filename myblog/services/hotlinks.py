"""Copying a saved post's hot-linked images into the uploads: from the editor after a save,
and after an import. The post is saved first and stays saved: an image that cannot be fetched
keeps its link and is reported, never a reason to lose the text."""

from __future__ import annotations

from urllib.parse import urlsplit

from myblog.models import Post, User
from myblog.services import remote_images
from myblog.services.links import external_url
from myblog.services.posts import replace_body
from myblog.services.remote_images import AddressCheck, Copied


def upload_path(filename: str) -> str:
    """The address of an upload as the editor writes it into a post (a path on this site)."""
    return urlsplit(external_url("blog.uploaded_file", filename=filename)).path


def copy_post_images(post: Post, *, uploader: User, allowed: AddressCheck | None = None) -> Copied:
    """Fetch the post's remote images into the uploads and point the post at the copies;
    commits. What could not be fetched is in the result's `refused`, with the reason."""
    # looked up at each call, so that tests can let the fetcher reach their local server
    check = allowed or remote_images.is_public
    result = remote_images.copy_remote_images(
        post.body, uploader=uploader, upload_url=upload_path, allowed=check
    )
    if result.copied:
        replace_body(post, result.body)
    return result
