"""Public pages run a fixed, small number of SQL statements however many posts there are."""

from __future__ import annotations

from datetime import UTC, datetime

from myblog.extensions import db
from myblog.models import Post

MAX_STATEMENTS = 5
# what each public page runs for an anonymous reader (site settings come from the cache):
# a listing is one statement (tags packed in its rows), a term page adds its term, the post
# page reads post+tags, both neighbours, and the comment thread; a feed is one statement (a term's
# feed adds its term), the sitemap one while it fits in one page (sitemap-N one each, its index
# one more: see test_the_sitemap_index_and_its_pages_run_a_fixed_count), robots.txt none,
# search one (the ranked page of matches with their byline, text and the total)
EXPECTED = {
    "home": 1,
    "post": 3,
    "category": 2,
    "tag": 2,
    "author": 2,
    "month": 1,
    "archive": 0,
    "feed": 1,
    "json feed": 1,
    "category feed": 2,
    "tag feed": 2,
    "author feed": 2,
    "sitemap": 1,
    "robots": 0,
    "search": 1,
}
START = datetime(2024, 6, 28, 12, tzinfo=UTC)  # every post falls in June 2024


def statements_for(client, count_queries, path: str) -> list[str]:
    # the first request may fill caches (site settings): only the second one is counted
    assert client.get(path).status_code == 200, path
    with count_queries() as counter:
        response = client.get(path)
    assert response.status_code == 200, path
    return counter.statements


def test_public_pages_run_the_same_few_queries_with_10_or_1000_posts(
    app, client, factory, count_queries
):
    python = factory.category("Python")
    tags = ["flask", "sql", "web"]
    ids = factory.posts(10, category_id=python, tags=tags, start=START)
    with app.app_context():
        slug = db.session.get(Post, ids[4]).slug  # a post with neighbours on both sides
    pages = {
        "home": "/",
        "post": f"/post/{slug}",
        "category": "/category/python",
        "tag": "/tag/flask",
        "author": "/author/owner",
        "month": "/archive/2024/6",
        "archive": "/archive",
        "feed": "/feed.xml",
        "json feed": "/feed.json",
        "category feed": "/category/python/feed.xml",
        "tag feed": "/tag/flask/feed.json",
        "author feed": "/author/owner/feed.xml",
        "sitemap": "/sitemap.xml",
        "robots": "/robots.txt",
        "search": "/search?q=text",
    }

    small = {name: statements_for(client, count_queries, path) for name, path in pages.items()}
    factory.posts(990, category_id=python, tags=tags, start=START)
    large = {name: statements_for(client, count_queries, path) for name, path in pages.items()}

    for name in pages:
        assert len(large[name]) == len(small[name]), (name, small[name], large[name])
        assert len(large[name]) == EXPECTED[name], (name, large[name])
        # the archive's month counts are cached after the warm-up request: no query at all
        least = 0 if name in ("archive", "robots") else 1
        assert least <= len(large[name]) <= MAX_STATEMENTS, (name, large[name])


def test_listing_shows_a_full_page_of_posts_with_1000_posts(app, client, factory, count_queries):
    factory.posts(1000, tags=["flask", "sql"])
    statements = statements_for(client, count_queries, "/?page=50")
    html = client.get("/?page=50").get_data(as_text=True)
    assert html.count('class="post-card') == 10
    assert html.count('href="/tag/sql"') == 10
    assert len(statements) <= MAX_STATEMENTS
    assert client.get("/?page=101").status_code == 404


def test_the_sitemap_index_and_its_pages_run_a_fixed_count(app, client, factory, count_queries):
    app.config["MYBLOG_SITEMAP_PAGE_SIZE"] = 50  # split at 50 URLs rather than 50,000
    counts = []
    for total in (100, 1000):
        have = len(counts) * 100
        factory.posts(total - have, tags=["flask"], start=START)
        index = statements_for(client, count_queries, "/sitemap.xml")
        assert "<sitemapindex" in client.get("/sitemap.xml").get_data(as_text=True)
        page = statements_for(client, count_queries, "/sitemap-2.xml")
        counts.append((len(index), len(page)))
    # the index: the first page's rows say the blog is past one page, then one count; a page:
    # its rows alone
    assert counts == [(2, 1), (2, 1)]
