"""Accounts blueprint: first-run setup, login and logout, password and email links, invitations.

Importing the package registers every view module's routes on `bp`.
"""

from myblog.auth import views  # noqa: F401
from myblog.auth.blueprint import bp

__all__ = ["bp"]
