"""Public blueprint: what readers see.

Importing the package registers every view module's routes on `bp`.
"""

from myblog.blog import comments, feeds, search, sitemap, subscriptions, views  # noqa: F401
from myblog.blog.blueprint import bp

__all__ = ["bp"]
