"""Problems found in a source file, each naming file, line, column and field."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One problem in one source file; line and column are 1-based (0 when unknown)."""

    file: str
    line: int
    column: int
    field: str
    message: str
    record: str = ""
    hint: str = ""  # a command that works for this file, when there is one

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        rec = f" record {self.record}" if self.record else ""
        fld = f" field '{self.field}'" if self.field else ""
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"{where}:{rec}{fld}: {self.message}{hint}"


@dataclass
class SourceError(Exception):
    """Raised when a source file cannot be loaded; carries every problem found in it."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        head = f"{len(self.problems)} problem(s)"
        return head + ":\n" + "\n".join(f"  {p}" for p in self.problems)
