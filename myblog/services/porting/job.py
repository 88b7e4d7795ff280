"""One run of an import: its state, and each item in a transaction of its own."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from myblog.extensions import db
from myblog.models import User
from myblog.services.porting.items import Batch, ItemError
from myblog.services.porting.people import find_account, owner
from myblog.services.porting.report import Outcome, Result
from myblog.services.porting.sources import Limits
from myblog.services.posts import PostError
from myblog.services.taxonomy import TaxonomyError
from myblog.services.uploads import UploadError

log = logging.getLogger(__name__)
Step = Callable[[], Outcome]


class Skip(Exception):
    """The item is left out, for a reason that is no failure (it is here already)."""


@dataclass
class Job:
    batch: Batch
    dry_run: bool
    author: User | None  # who writes what names no account; None: the blog's owner
    now: datetime
    limits: Limits
    upload_dir: Path
    # each source account's key → the id of its account here (0: to be created, in a dry run)
    accounts: dict[str, int] = field(default_factory=dict)
    planned_slugs: set[str] = field(default_factory=set)
    # each image of the source already stored in this run → its address
    images: dict[str, str] = field(default_factory=dict)
    # files the current item wrote: removed again if it fails
    written: list[Path] = field(default_factory=list)
    # the posts imported so far, whose remote images may be copied at the end
    imported_posts: list[int] = field(default_factory=list)

    @classmethod
    def start(cls, batch: Batch, *, dry_run: bool, author: User | None, now: datetime) -> Job:
        return cls(
            batch,
            dry_run,
            author,
            now,
            Limits.from_config(),
            Path(current_app.config["MYBLOG_UPLOAD_DIR"]),
        )

    def attempt(self, label: str, step: Step) -> Outcome:
        """Run one item's step in its own transaction: committed whole, or rolled back whole
        with the files it wrote (always rolled back in a dry run)."""
        accounts, images = dict(self.accounts), dict(self.images)
        try:
            outcome = step()
            if self.dry_run:
                db.session.rollback()
            else:
                db.session.commit()
        except Skip as exc:
            self._undo()
            return Outcome(label, Result.SKIPPED, str(exc))
        except (ItemError, PostError, TaxonomyError, UploadError) as exc:
            outcome = Outcome(label, Result.FAILED, str(exc))
        except SQLAlchemyError as exc:
            log.warning("import of %s refused by the database: %s", label, exc)
            outcome = Outcome(
                label,
                Result.FAILED,
                _("the database refused it (%(error)s)", error=type(exc).__name__),
            )
        except Exception:
            log.exception("import of %s failed", label)
            outcome = Outcome(label, Result.FAILED, _("an unexpected error (written to the log)"))
        else:
            self.written.clear()
            return outcome
        self._undo()
        self.accounts, self.images = accounts, images
        return outcome

    def _undo(self) -> None:
        db.session.rollback()
        for path in self.written:
            path.unlink(missing_ok=True)
        self.written.clear()

    def known_account(self, key: str) -> User | None:
        """The account a source names by its key, username or email, if there is one here."""
        known = self.accounts.get(key)
        if known:
            return db.session.get(User, known)
        return None if known == 0 or not key else find_account(key)

    def account(self, key: str, notes: list[str] | None = None) -> User | None:
        """The account a source names; else the importing user or the owner, with a note. None
        only in a dry run, for an account still to be created or an owner still missing."""
        if key and self.accounts.get(key) == 0:
            return None
        user = self.known_account(key)
        if user is not None:
            return user
        if key and notes is not None:
            notes.append(
                _("“%(name)s” has no account here: written by the importing user", name=key)
            )
        return self.fallback_author()

    def fallback_author(self) -> User | None:
        if self.author is not None:
            return self.author
        found = owner()
        if found is None and not self.dry_run:
            raise ItemError(_("nobody to write it: create the owner first (flask create-admin)"))
        return found
