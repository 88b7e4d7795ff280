"""What an import did, item by item: imported, skipped (and why), failed (and why)."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext as _


class Result(enum.StrEnum):
    IMPORTED = "imported"
    WOULD_IMPORT = "would import"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class Outcome:
    """One item of the source: a file, a post, an account, an image, a setting."""

    item: str
    result: Result
    detail: str = ""
    notes: tuple[str, ...] = ()


@dataclass
class ImportReport:
    """Every outcome in the order the items were met, and notes about the whole source."""

    kind: str
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)

    def counts(self) -> dict[Result, int]:
        """How many items ended each way (every result present, zero or not)."""
        counted = Counter(outcome.result for outcome in self.outcomes)
        return {result: counted[result] for result in Result}

    @property
    def failed(self) -> int:
        return self.counts()[Result.FAILED]

    def summary(self) -> str:
        """One line: what was (or would be) imported, skipped and failed."""
        counts = self.counts()
        skipped, failed = counts[Result.SKIPPED], counts[Result.FAILED]
        if self.dry_run:
            return str(
                _(
                    "Dry run, nothing was changed: %(done)d would import, %(skipped)d skipped, "
                    "%(failed)d failed.",
                    done=counts[Result.WOULD_IMPORT],
                    skipped=skipped,
                    failed=failed,
                )
            )
        return str(
            _(
                "%(done)d imported, %(skipped)d skipped, %(failed)d failed.",
                done=counts[Result.IMPORTED],
                skipped=skipped,
                failed=failed,
            )
        )

    def lines(self) -> list[str]:
        """The report as text, a line per item (and one per note under it)."""
        lines = [f"Source: {self.kind}"] + [f"Note: {note}" for note in self.notes]
        for outcome in self.outcomes:
            detail = f" — {outcome.detail}" if outcome.detail else ""
            lines.append(f"{outcome.result.value:>12}  {outcome.item}{detail}")
            lines += [f"{'':>12}  · {note}" for note in outcome.notes]
        lines.append(self.summary())
        return lines
