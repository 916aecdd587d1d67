"""Errors a user can act on: each names the file, the field, the bad value and the fix."""

from __future__ import annotations

import reprlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input."""

    where: str  # the field, e.g. "options[0] (return home).outcomes[1].chance"
    value: object  # what the user wrote
    message: str  # what is wrong and what would be valid
    line: int | None = None  # line in the file, when known

    def __str__(self) -> str:
        at = f"line {self.line}, " if self.line else ""
        shown = _short(self.value)
        return f"{at}{self.where}: {self.message}" + (f" (you wrote {shown})" if shown else "")


#: Shows what the user wrote without ever building the repr of a huge or deeply nested value
#: (an alias bomb's expansion would take minutes and gigabytes to print).
_REPR = reprlib.Repr(maxlevel=2, maxdict=4, maxlist=4, maxtuple=4, maxset=4, maxstring=70, maxother=70, maxlong=40)


def _short(value: object) -> str:
    if value is None or isinstance(value, str | dict | list | tuple) and not value:
        return ""
    text = _REPR.repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class DecideError(ValueError):
    """Base class for errors caused by what the user gave us (not bugs)."""


class CaseError(DecideError):
    """A case (decision) could not be read or is not valid."""

    def __init__(self, problems: list[Problem], source: str = "case"):
        self.problems = list(problems)
        self.source = source
        n = len(self.problems)
        head = f"{source}: {n} problem{'s' if n != 1 else ''} found"
        body = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{head}\n{body}")
