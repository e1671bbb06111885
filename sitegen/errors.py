"""Problems an owner can fix, as values with a position in their files.

The hierarchy::

    SitegenError                 base of everything sitegen raises on purpose
    └── ProjectInvalid           one or more SiteErrors found while checking a project

A `SiteError` is a value, not an exception: loading and validation collect
them all so that `sitegen check` can report every problem at once. Anything
else that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """Errors stop a build; warnings (a missing translation) do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class SiteError:
    """One problem at `path:line:col` in field `field`, as the owner sees it."""

    path: str
    line: int
    col: int
    field: str
    message: str
    severity: Severity = Severity.ERROR
    untranslated: str | None = dataclasses.field(default=None, compare=False)
    """The language a text lacks, when the problem is a missing translation: those are counted per file."""

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        prefix = " warning:" if self.severity is Severity.WARNING else ""
        return f"{self.path}:{self.line}:{self.col}:{prefix}{field} {self.message}"

    @property
    def is_warning(self) -> bool:
        return self.severity is Severity.WARNING


class SitegenError(Exception):
    """Base of the errors sitegen raises on purpose: shown without a traceback."""


class ProjectInvalid(SitegenError):
    """A project has errors; carries all of them, sorted by file and line."""

    def __init__(self, errors: list[SiteError]) -> None:
        self.errors = sorted(set(errors))
        super().__init__("\n".join(str(error) for error in self.errors))


def closest_match(name: str, known: Iterable[str]) -> str | None:
    """The known name `name` is most likely a typo of, if any is close enough."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.7)
    return close[0] if close else None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`. Did you mean 'label'?` to end a message with, or nothing."""
    close = closest_match(name, known)
    return f". Did you mean '{close}'?" if close else ""
