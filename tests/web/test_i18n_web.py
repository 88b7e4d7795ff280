"""Request tests for the interface's language and the blog's time zone: which language a page is
in, the switcher, forms and their errors, error pages, mail, feeds, dates and the editor."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from support import csrf_from, login, post_form

from myblog.extensions import db
from myblog.models import OutboxEmail, Post, PostStatus
from myblog.services.posts import PostInput, save_post
from myblog.services.site import update_site

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}


def settings(app, **fields) -> None:
    with app.app_context():
        update_site(title="Test Blog", tagline="", about="", **fields)


def html_lang(page: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', page)
    assert found
    return found.group(1)


def publish(app, title: str, when: datetime) -> None:
    from myblog.models import User

    with app.app_context():
        owner = db.session.scalars(select(User)).first()
        save_post(
            PostInput(title=title, body="Body.", status=PostStatus.PUBLISHED, published_at=when),
            author=owner,
        )


# --- which language ---------------------------------------------------------------------------


def test_an_english_blog_speaks_english_to_a_reader_who_asks_for_nothing(client):
    page = client.get("/").get_data(as_text=True)
    assert html_lang(page) == "en" and ">Archive</a>" in page
    assert 'action="/language/zh_CN"' in page and ">简体中文</button>" in page


def test_accept_language_picks_chinese(client):
    page = client.get("/", headers=ZH).get_data(as_text=True)
    assert html_lang(page) == "zh-CN"
    assert ">归档</a>" in page and ">关于</a>" in page and ">跳到正文</a>" in page
    assert 'action="/language/en"' in page and ">English</button>" in page


def test_pages_vary_by_language_for_caches(client):
    vary = client.get("/").headers["Vary"]
    assert "Accept-Language" in vary and "Cookie" in vary
    assert "Accept-Language" not in client.get("/feed.xml").headers.get("Vary", "")


def test_the_readers_cookie_wins_over_accept_language(client):
    client.set_cookie("lang", "en")
    page = client.get("/", headers=ZH).get_data(as_text=True)
    assert html_lang(page) == "en" and ">Archive</a>" in page


def test_the_blog_default_language_serves_readers_whose_browser_asks_for_none_we_have(app, client):
    settings(app, language="zh_CN")
    page = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert html_lang(page) == "zh-CN" and ">归档</a>" in page
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert html_lang(page) == "en"  # the browser's wish comes before the default


def test_the_switcher_remembers_the_choice_and_goes_back(client):
    response = client.post("/language/zh_CN", data={"next": "/archive?x=1"})
    assert response.status_code == 302 and response.headers["Location"] == "/archive?x=1"
    (cookie,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("lang=")]
    assert cookie.startswith("lang=zh_CN;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/archive").get_data(as_text=True)
    assert html_lang(page) == "zh-CN" and '<h1 class="h3 mb-4">归档</h1>' in page
    # and back
    client.post("/language/en", data={"next": "/archive"})
    assert html_lang(client.get("/archive").get_data(as_text=True)) == "en"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
def test_the_switcher_goes_back_only_to_our_own_pages(client, target):
    response = client.post("/language/zh_CN", data={"next": target})
    assert response.headers["Location"] == "/"


def test_the_switcher_refuses_other_sites_and_unknown_languages(client):
    refused = client.post(
        "/language/zh_CN", data={}, headers={"Origin": "https://evil.example", **ZH}
    )
    assert refused.status_code == 400 and "已拒绝跨站请求。" in refused.get_data(as_text=True)
    assert "lang=" not in refused.headers.get("Set-Cookie", "")
    assert client.post("/language/fr", data={}).status_code == 404


# --- what the pages say -----------------------------------------------------------------------


def test_forms_their_labels_and_wtforms_own_errors_are_in_chinese(client):
    client.set_cookie("lang", "zh_CN")
    page = client.get("/auth/login").get_data(as_text=True)
    assert ">用户名或邮箱</label>" in page and ">记住我</label>" in page
    token = csrf_from(client)
    refused = client.post("/auth/login", data={"csrf_token": token, "login": "", "password": ""})
    text = refused.get_data(as_text=True)
    assert "该字段是必填字段。" in text  # WTForms' DataRequired, through Flask-WTF's i18n
    wrong = client.post(
        "/auth/login", data={"csrf_token": token, "login": "owner", "password": "x"}
    )
    assert wrong.status_code == 401 and "用户名/邮箱或密码错误。" in wrong.get_data(as_text=True)


def test_flash_messages_follow_the_page_language(client):
    login(client)
    client.set_cookie("lang", "zh_CN")
    token = csrf_from(client, "/")
    response = client.post("/auth/logout", data={"csrf_token": token}, follow_redirects=True)
    assert "你已退出登录。" in response.get_data(as_text=True)


def test_error_pages_are_in_the_page_language(client):
    response = client.get("/no-such-page", headers=ZH)
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and html_lang(page) == "zh-CN"
    assert "<title>404 页面不存在</title>" in page and "这个地址没有内容。" in page
    english = client.get("/no-such-page").get_data(as_text=True)
    assert "<title>404 Not Found</title>" in english


def test_comment_form_and_count_are_translated(app, client):
    publish(app, "Hello", datetime(2024, 5, 1, 8, 0, tzinfo=UTC))
    page = client.get("/post/hello", headers=ZH).get_data(as_text=True)
    assert "0 条评论" in page and "发表评论" in page and ">昵称</label>" in page
    # the words the live script writes come from the page, in its language
    assert 'data-one="{n} 条评论"' in page and 'data-other="{n} 条评论"' in page
    english = client.get("/post/hello").get_data(as_text=True)
    assert "0 comments" in english and 'data-one="{n} comment"' in english
    assert ">Name</label>" in english  # the pre-rendered fields are kept per language


# --- the blog's time zone ---------------------------------------------------------------------


def test_dates_on_pages_are_in_the_blogs_zone_and_the_pages_language(app, client):
    settings(app, timezone="Asia/Shanghai")
    # 20:00 UTC on 1 May is already 2 May in Shanghai
    publish(app, "Late", datetime(2024, 5, 1, 20, 0, tzinfo=UTC))
    page = client.get("/post/late").get_data(as_text=True)
    assert '<time datetime="2024-05-02T04:00:00+08:00">May 2, 2024</time>' in page
    chinese = client.get("/post/late", headers=ZH).get_data(as_text=True)
    assert '<time datetime="2024-05-02T04:00:00+08:00">2024年5月2日</time>' in chinese
    archive = client.get("/archive", headers=ZH).get_data(as_text=True)
    assert "2024年5月" in archive


def test_feed_dates_carry_the_blogs_offset(app, client):
    settings(app, timezone="Asia/Shanghai")
    publish(app, "Dated", datetime(2024, 5, 1, 8, 30, 15, tzinfo=UTC))
    atom = client.get("/feed.xml").get_data(as_text=True)
    assert "<published>2024-05-01T16:30:15+08:00</published>" in atom
    item = client.get("/feed.json").get_json()["items"][0]
    assert item["date_published"] == "2024-05-01T16:30:15+08:00"
    assert datetime.fromisoformat(item["date_published"]) == datetime(
        2024, 5, 1, 8, 30, 15, tzinfo=UTC
    )


def test_the_scheduling_field_is_in_the_blogs_zone(app):
    settings(app, timezone="Asia/Shanghai")
    client = app.test_client()
    login(client)
    editor = client.get("/admin/posts/new").get_data(as_text=True)
    assert "Publish at (Asia/Shanghai)" in editor
    data = {
        "title": "New year",
        "slug": "",
        "body": "Soon.",
        "category_id": "0",
        "tags": "",
        "status": "scheduled",
        "published_at": "2030-01-01T09:00",
        "allow_comments": "y",
    }
    response = post_form(client, "/admin/posts/new", data)
    assert response.status_code == 302
    with app.app_context():
        post = db.session.scalars(select(Post).where(Post.title == "New year")).one()
        assert post.published_at == datetime(2030, 1, 1, 1, 0, tzinfo=UTC)
        post_id = post.id
    again = client.get(f"/admin/posts/{post_id}/edit").get_data(as_text=True)
    assert 'value="2030-01-01T09:00"' in again


def test_a_time_the_clocks_skip_is_a_form_error(app):
    settings(app, timezone="Europe/Paris")
    client = app.test_client()
    login(client)
    data = {"title": "Gap", "body": "x", "category_id": "0", "status": "scheduled"}
    data["published_at"] = "2030-03-31T02:30"
    response = post_form(client, "/admin/posts/new", data)
    assert response.status_code == 400
    assert "2030-03-31 02:30 does not exist in Europe/Paris" in response.get_data(as_text=True)


def test_the_owner_sets_the_time_zone_and_default_language(app):
    client = app.test_client()
    client.set_cookie("lang", "en")  # the owner reads English whatever the blog's default
    login(client)
    page = client.get("/admin/settings").get_data(as_text=True)
    assert '<option selected value="UTC">' in page or '<option value="UTC" selected>' in page
    data = {
        "title": "Test Blog",
        "tagline": "",
        "about": "",
        "comment_policy": "trust",
        "language": "zh_CN",
        "feed_content": "summary",
        "timezone": "Asia/Shanghai",
    }
    saved = post_form(client, "/admin/settings", data)
    assert saved.status_code == 302, re.findall(
        r"invalid-feedback\">([^<]*)<", saved.get_data(as_text=True)
    )
    with app.app_context():
        from myblog.services.site import get_site

        site = get_site()
        assert site is not None and (site.language, site.timezone) == ("zh_CN", "Asia/Shanghai")
    refused = post_form(client, "/admin/settings", {**data, "timezone": "Mars/Olympus"})
    assert refused.status_code in (200, 400) and "Not a valid choice" in refused.get_data(
        as_text=True
    )


# --- mail -------------------------------------------------------------------------------------


def test_mail_is_written_in_the_blogs_default_language_not_the_readers(app, client):
    settings(app, language="zh_CN")
    client.set_cookie("lang", "en")  # the reader who asks reads English pages…
    token = csrf_from(client, "/auth/reset")
    response = client.post("/auth/reset", data={"csrf_token": token, "email": "owner@example.com"})
    assert response.status_code == 302
    with app.app_context():
        mail = db.session.scalars(select(OutboxEmail)).one()
    # …but the mail speaks the blog's language
    assert mail.subject == "重置你在 Test Blog 的密码"
    assert "owner，你好：" in mail.text_body and '<html lang="zh-CN">' in mail.html_body
    page = client.get("/auth/login").get_data(as_text=True)
    assert html_lang(page) == "en"  # and the page after it is the reader's again


def test_english_mail_by_default(app, client):
    token = csrf_from(client, "/auth/reset")
    client.post("/auth/reset", data={"csrf_token": token, "email": "owner@example.com"})
    with app.app_context():
        mail = db.session.scalars(select(OutboxEmail)).one()
    assert mail.subject == "Reset your password for Test Blog"


# --- cost -------------------------------------------------------------------------------------


def test_a_chinese_page_costs_the_same_queries_as_an_english_one(app, client, count_queries):
    publish(app, "Hello", datetime(2024, 5, 1, 8, 0, tzinfo=UTC))
    counts = {}
    for name, headers in (("en", {}), ("zh", ZH)):
        for path in ("/", "/post/hello", "/archive"):
            client.get(path, headers=headers)  # warm the settings cache
            with count_queries() as counter:
                assert client.get(path, headers=headers).status_code == 200
            counts[name, path] = len(counter.statements)
    for path in ("/", "/post/hello", "/archive"):
        assert counts["zh", path] == counts["en", path]


def test_the_sign_in_prompt_and_the_theme_toggle_speak_the_page_language(client):
    client.set_cookie("lang", "zh_CN")
    page = client.get("/admin/", follow_redirects=True).get_data(as_text=True)
    assert "请先登录再访问这个页面。" in page
    # theme.js relabels the toggle with the page's words when the system theme changes
    assert 'data-label-light="☀ 浅色" data-label-dark="☾ 深色"' in page
    assert 'data-aria-dark="切换到深色主题"' in page


def test_the_first_run_page_can_be_read_in_chinese(make_app):
    client = make_app(setup=False).test_client()
    response = client.post("/language/zh_CN", data={"next": "/auth/setup"})
    assert response.status_code == 302 and response.headers["Location"] == "/auth/setup"
    page = client.get("/auth/setup").get_data(as_text=True)
    assert html_lang(page) == "zh-CN" and "欢迎使用 myblog" in page and ">博客名称</label>" in page
