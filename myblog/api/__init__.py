"""JSON API blueprint: errors are JSON here, never HTML.

Importing the package registers every view module's routes on `bp`.
"""

from myblog.api import views  # noqa: F401
from myblog.api.blueprint import bp

__all__ = ["bp"]
