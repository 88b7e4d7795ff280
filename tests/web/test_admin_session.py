"""The post list remembers its status filter in the signed session cookie."""

from support import login

from myblog.models import PostStatus


def test_post_list_filter_is_remembered_in_the_session(client, factory):
    factory.posts(1, status=PostStatus.DRAFT)
    factory.posts(2, status=PostStatus.PUBLISHED)
    login(client)
    drafts = client.get("/admin/posts?status=draft").get_data(as_text=True)
    assert drafts.count('badge text-bg-secondary">Draft<') == 1
    with client.session_transaction() as session:
        assert session["posts_filter"] == "draft"
    again = client.get("/admin/posts").get_data(as_text=True)
    assert again.count('badge text-bg-secondary">Draft<') == 1
    assert 'badge text-bg-secondary">Published<' not in again
    everything = client.get("/admin/posts?status=all").get_data(as_text=True)
    assert everything.count('badge text-bg-secondary">Published<') == 2


def test_unknown_filter_is_404_and_not_remembered(client):
    login(client)
    assert client.get("/admin/posts?status=bogus").status_code == 404
    with client.session_transaction() as session:
        assert session.get("posts_filter") != "bogus"
