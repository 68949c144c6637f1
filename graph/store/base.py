"""What every store backend offers: the Store interface, the Rows of an answer and StoreError."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rdflib.term import Node


class StoreError(RuntimeError):
    """A store that is missing, in use or unreachable."""


@dataclass
class Rows:
    """The answer to a SELECT: variable names and rows of rdflib terms (None = unbound)."""

    variables: list[str]
    rows: list[tuple[Node | None, ...]]


class Store(Protocol):
    """What every backend offers to the rest of msckg."""

    def select(self, query: str, bindings: dict[str, Node] | None = None) -> Rows: ...

    def ask(self, query: str, bindings: dict[str, Node] | None = None) -> bool: ...

    def graphs(self) -> list[str]: ...

    def replace_dataset(self, nquads: bytes) -> None: ...
