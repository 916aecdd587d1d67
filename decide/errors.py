"""Errors a user can act on: each names the file, the field, the bad value and the fix."""

from __future__ import annotations

import re
import reprlib
from dataclasses import dataclass

#: Control characters (C0 but tab, DEL, C1) and direction controls: text from the user's data holding them could
#: recolour the terminal, retitle its window, print a line that looks like another, or turn the numbers after it round.
#: Characters that change the direction of the text after them (marks, embeddings, overrides, isolates).
DIRECTION_CONTROLS = "\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069"
_HIDDEN = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{DIRECTION_CONTROLS}]")
_HIDDEN_IN_A_LINE = re.compile(f"[\\x00-\\x08\\x0a-\\x1f\\x7f-\\x9f{DIRECTION_CONTROLS}]")


def for_terminal(text: str, one_line: bool = False) -> str:
    """Text from the data made safe to print: each control character shown as its escape (\\x1b, \\u202e). Line
    breaks are kept (a message lists its problems a line each), unless ``one_line``: then a line break from the
    data is shown as \\n too, so it cannot print a line that looks like the program's own."""
    pattern = _HIDDEN_IN_A_LINE if one_line else _HIDDEN
    return pattern.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


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


@dataclass(frozen=True)
class CaseWarning:
    """Something in a valid case that is probably not what its writer meant: the case is used as
    written, but a reader should look (the CLI and the report show these, exit status stays 0)."""

    where: str  # the field, e.g. "values.harm_weight"
    message: str  # what looks wrong, in words
    fix: str  # what to do about it (may hold a few lines of YAML to copy)
    line: int | None = None  # line in the file, when known
    loc: tuple = ()  # the field's path in the case, for tools

    def __str__(self) -> str:
        at = f"line {self.line}, " if self.line else ""
        return f"{at}{self.where}: {self.message}; {self.fix}"


def warnings_text(warnings: list[CaseWarning]) -> str:
    """Warnings as the command line prints them: a count, then one item each (YAML to copy indented)."""
    if not warnings:
        return ""
    n = len(warnings)
    items = ["  - " + str(w).replace("\n", "\n      ") for w in warnings]
    return f"{n} warning{'s' if n != 1 else ''} (the case is valid and used as written; look at these):\n" + "\n".join(items)
