"""Every admin list reads ?page= the same way: a positive whole number, else 404."""

import pytest
from support import login

LISTS = ["/admin/posts", "/admin/comments", "/admin/outbox", "/admin/subscribers"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("page", ["0", "-1", "abc", "²", "1234567890"])
def test_a_bad_page_number_is_not_found(client, path, page):
    login(client)
    assert client.get(f"{path}?page={page}").status_code == 404


@pytest.mark.parametrize("path", LISTS)
def test_the_first_page_is_the_default_and_pages_past_the_end_are_shown(client, path):
    login(client)
    assert client.get(path).status_code == 200
    assert client.get(f"{path}?page=1").status_code == 200
    assert client.get(f"{path}?page=99").status_code == 200
