"""Admin blueprint: writing and managing the blog (logged-in users only).

Importing the package registers every view module's routes on `bp`.
"""

from myblog.admin import (  # noqa: F401
    access,
    account,
    comments,
    labels,
    notifications,
    outbox,
    porting,
    revisions,
    subscribers,
    taxonomy,
    uploads,
    users,
    views,
)
from myblog.admin.blueprint import bp

__all__ = ["bp"]
