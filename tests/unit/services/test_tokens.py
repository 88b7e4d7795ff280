"""Signed tokens: bound to a purpose and a secret, expiring, tamper-evident."""

import pytest

from myblog.services.tokens import TokenError, make_token, read_token, verifying_keys


def test_round_trip():
    token = make_token({"uid": 7}, purpose="reset", secret="s" * 32)
    assert read_token(token, purpose="reset", secret="s" * 32, max_age=60) == {"uid": 7}


@pytest.mark.parametrize(("purpose", "secret"), [("confirm", "s" * 32), ("reset", "t" * 32)])
def test_other_purpose_or_secret_is_refused(purpose, secret):
    token = make_token({"uid": 7}, purpose="reset", secret="s" * 32)
    with pytest.raises(TokenError, match="not valid"):
        read_token(token, purpose=purpose, secret=secret, max_age=60)


def test_altered_token_is_refused():
    token = make_token({"uid": 7}, purpose="reset", secret="s" * 32)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    with pytest.raises(TokenError, match="not valid"):
        read_token(forged, purpose="reset", secret="s" * 32, max_age=60)
    with pytest.raises(TokenError, match="not valid"):
        read_token("garbage", purpose="reset", secret="s" * 32, max_age=60)


def test_expired_token_says_so():
    token = make_token({"uid": 7}, purpose="reset", secret="s" * 32)
    with pytest.raises(TokenError, match="expired"):
        read_token(token, purpose="reset", secret="s" * 32, max_age=-1)


def test_a_token_signed_with_any_listed_key_is_accepted():
    old, new = "o" * 32, "n" * 32
    for signer in (old, new):
        token = make_token({"uid": 7}, purpose="reset", secret=signer)
        assert read_token(token, purpose="reset", secret=[old, new], max_age=60) == {"uid": 7}
    stranger = make_token({"uid": 7}, purpose="reset", secret="x" * 32)
    with pytest.raises(TokenError, match="not valid"):
        read_token(stranger, purpose="reset", secret=[old, new], max_age=60)


def test_verifying_keys_end_with_the_current_key(make_app):
    app = make_app(SECRET_KEY="n" * 32, SECRET_KEY_FALLBACKS=["o" * 32, "p" * 32])
    with app.app_context():
        assert verifying_keys() == ["o" * 32, "p" * 32, "n" * 32]
    with make_app().app_context():
        assert verifying_keys() == ["testing-secret-key-not-for-production"]
