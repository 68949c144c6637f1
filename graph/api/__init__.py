"""The Python API: `msckg.open(store=...)` gives a KnowledgeGraph to ask, query, search and build (docs/python.md)."""

from .answer import Answer, Term
from .kg import KnowledgeGraph, open

__all__ = ["Answer", "KnowledgeGraph", "Term", "open"]
