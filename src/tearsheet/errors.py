"""The one error type a user mistake becomes, and the problems it carries."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the user's input, located as precisely as we can."""

    path: str
    line: int | None
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        text = f"{where}: {self.message}"
        hint = self.hint.replace("\n", "\n    ")  # a hint of several lines stays indented under its message
        return f"{text}\n    {hint}" if hint else text


class SiteError(Exception):
    """A user mistake: one or more problems, reported together."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__(self.report())

    @classmethod
    def one(cls, path: str, line: int | None, message: str, hint: str = "") -> SiteError:
        return cls([Problem(path, line, message, hint)])

    def report(self) -> str:
        """Number the problems when there is more than one."""
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems:"]
        lines += [f"{n}. {problem}" for n, problem in enumerate(self.problems, 1)]
        return "\n".join(lines)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Suggest the closest known key for a misspelt one."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f'did you mean "{close[0]}"?' if close else ""
