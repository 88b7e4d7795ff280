"""New-password rules: the minimum length and the bundled list of common passwords."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from myblog.services.passwords import (
    COMMON_PASSWORDS,
    TOO_COMMON,
    TOO_SHORT,
    is_common,
    password_problem,
)

README = COMMON_PASSWORDS.parent / "README.md"


@pytest.mark.parametrize(
    "password", ["password", "Password", " PASSWORD ", "iloveyou1", "12345678"]
)
def test_common_passwords_are_found_whatever_their_case_and_spaces(password):
    assert is_common(password)
    assert password_problem(password) == TOO_COMMON


@pytest.mark.parametrize("password", ["correct horse battery", "plum-kettle-42", "tulips-in-march"])
def test_uncommon_passwords_pass(password):
    assert not is_common(password)
    assert password_problem(password) is None


def test_too_short_is_said_before_too_common():
    assert password_problem("123456") == TOO_SHORT


def test_the_bundled_list_is_the_one_its_readme_names():
    # the file is vendored unchanged: its digest is the one recorded with its origin
    digest = hashlib.sha256(Path(COMMON_PASSWORDS).read_bytes()).hexdigest()
    assert digest in README.read_text(encoding="utf-8")
    assert re.search(r"Licence: Django's", README.read_text(encoding="utf-8"))
