"""Writers edit their profile on the account page; their author page shows it."""

from __future__ import annotations

import io
import re

from PIL import Image
from support import csrf_from, login


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), "green").save(buffer, format="PNG")
    return buffer.getvalue()


def _save(client, **fields):
    data = {"csrf_token": csrf_from(client, "/admin/account"), "display_name": "Owner", **fields}
    return client.post("/admin/account/profile", data=data, content_type="multipart/form-data")


def test_a_profile_with_an_avatar_shows_on_the_author_page(client):
    login(client)
    response = _save(
        client,
        display_name="Li Hui",
        bio="Notes on Flask.",
        website="https://example.com/li",
        avatar=(io.BytesIO(_png()), "me.png"),
    )
    assert response.status_code == 302
    page = client.get("/author/owner").get_data(as_text=True)
    assert '<h1 class="h3">Li Hui</h1>' in page and "Notes on Flask." in page
    assert '<a href="https://example.com/li" rel="me noopener">' in page
    avatar = re.search(r'<img class="avatar avatar-lg" src="(/uploads/[0-9a-f]{32}\.png)"', page)
    assert avatar
    with client.get(avatar.group(1)) as image:
        assert image.status_code == 200 and image.mimetype == "image/png"


def test_a_refused_profile_comes_back_with_the_reason(client):
    login(client)
    response = _save(client, website="javascript:alert(1)")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "http" in page and "javascript:alert(1)" in page  # kept in the form, escaped
    assert "<script" not in page.split("<main", 1)[-1].split("</main>", 1)[0]


def test_a_file_that_is_not_an_image_is_refused(client):
    login(client)
    response = _save(client, avatar=(io.BytesIO(b"GIF89a not really"), "x.gif"))
    assert response.status_code == 400 and "not a supported image" in response.get_data(True)
