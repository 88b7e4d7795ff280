"""With REDIS_URL set, the rate limiter and the cache keep their state in Redis."""

import uuid

import pytest
from support import REDIS_URL, post_form


@pytest.mark.redis
def test_login_limit_is_shared_between_two_app_instances(make_app, redis_client, monkeypatch):
    prefix = f"myblog-test-{uuid.uuid4().hex}"
    settings = {
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
        "MYBLOG_LOGIN_LIMIT": "3 per minute",
    }
    node_a = make_app(**settings).test_client()
    node_b = make_app(**settings).test_client()
    codes = []
    for node in (node_a, node_b, node_a, node_b):
        response = post_form(node, "/auth/login", {"login": "owner", "password": "wrong-one"})
        codes.append(response.status_code)
    # three failures are allowed in all, wherever they land; the fourth is limited
    assert codes == [401, 401, 401, 429]
    keys = list(redis_client.scan_iter(f"*{prefix}*"))
    assert keys, "the limiter wrote nothing to Redis"
    for key in keys:
        redis_client.delete(key)


@pytest.mark.redis
def test_site_settings_are_cached_in_redis(make_app, redis_client):
    from myblog.services.site import get_site, update_site

    prefix = f"myblog-test-{uuid.uuid4().hex}:"
    app = make_app(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=prefix)
    with app.app_context():
        first = get_site()
        assert first is not None and first.title == "Test Blog"
        assert redis_client.exists(f"{prefix}myblog:site")
        update_site(title="Renamed", tagline="", about="")
        assert not redis_client.exists(f"{prefix}myblog:site")
        assert get_site().title == "Renamed"
    for key in redis_client.scan_iter(f"{prefix}*"):
        redis_client.delete(key)
