"""Problems found in specs, and the error that carries all of them at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.core.printable import printable
from reconciler.core.specs.located import FieldPath, Node, SourceLocation, render_field_path
from reconciler.errors import SpecError


@dataclass(frozen=True, slots=True, order=True)
class SpecProblem:
    """One problem: where (file relative to the specs root, 1-based line, field path) and what.

    `line` is 0 when the problem concerns a whole file, `file` is "" when it concerns the specs
    root as a whole (e.g. no Settings document). Problems sort by file, line, field.
    """

    file: str
    line: int
    field: str
    message: str

    @classmethod
    def at(cls, location: SourceLocation, path: FieldPath, message: str) -> SpecProblem:
        return cls(location.file, location.line, render_field_path(path), message)

    @classmethod
    def on(cls, node: Node, message: str, *extra: str | int) -> SpecProblem:
        """A problem with `node`'s value (or, with `extra`, with a field below it)."""
        return cls.at(node.location, (*node.path, *extra), message)

    def render(self, file_prefix: str = "") -> str:
        """`file:line: field: message`, the format of compilers and linters, on one line:
        control characters in file names, keys and values are shown as escapes."""
        where = f"{file_prefix}{self.file}" if self.file else (file_prefix.rstrip("/") or ".")
        if self.line:
            where += f":{self.line}"
        field = f" {self.field}:" if self.field else ""
        return printable(f"{where}:{field} {self.message}")


def quoted(text: str, limit: int = 60) -> str:
    """`text` in quotes for a message, shortened in the middle when it is long."""
    if len(text) > limit:
        text = f"{text[: limit // 2]}...{text[-limit // 4 :]}"
    return repr(text)


class InvalidSpecsError(SpecError):
    """The specs are invalid; `problems` lists every problem found, sorted by file and line."""

    def __init__(self, problems: Iterable[SpecProblem]) -> None:
        self.problems: tuple[SpecProblem, ...] = tuple(sorted(set(problems)))
        shown = [p.render() for p in self.problems[:20]]
        more = len(self.problems) - len(shown)
        if more > 0:
            shown.append(f"... and {more} more")
        count = len(self.problems)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''} in the specs:\n" + "\n".join(shown)
        )


class ProblemLog:
    """Collects problems while loading; one problem per value (file, line, field) is kept.

    The same value is validated more than once when several Deployments extend one base, so the
    same finding can arrive several times, sometimes worded for a different document kind.
    Problems about whole files or the whole root (line 0) are all kept.
    """

    def __init__(self) -> None:
        self._problems: dict[tuple[str, int, str, str], SpecProblem] = {}

    def add(self, problem: SpecProblem) -> None:
        same_value = problem.message if problem.line == 0 else ""
        key = (problem.file, problem.line, problem.field, same_value)
        self._problems.setdefault(key, problem)

    def extend(self, problems: Iterable[SpecProblem]) -> None:
        for problem in problems:
            self.add(problem)

    def __bool__(self) -> bool:
        return bool(self._problems)

    def raise_if_any(self) -> None:
        if self._problems:
            raise InvalidSpecsError(self._problems.values())
