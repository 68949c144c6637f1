"""The endpoint's refusals, with their HTTP status: updates and LOAD (403), SERVICE off the allow-list (403), bad syntax (400)."""

from __future__ import annotations

import functools
import re

from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.term import URIRef

from msckg.graph.safety import UnsafeInput, _walk, check_query

READ_ONLY = ("this endpoint is read-only: updates (INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, COPY, MOVE, ADD) "
             "are refused; send a SELECT, ASK, CONSTRUCT or DESCRIBE query")
_UPDATE_WORDS = re.compile(r"\b(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|COPY|MOVE|ADD)\b", re.IGNORECASE)
_QUERY_WORDS = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)


class Refused(Exception):
    """A request refused before any query runs: an HTTP status and a message for the user."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _is_update(text: str) -> bool:
    try:
        parseUpdate(text)
        return True
    except Exception:
        return bool(_UPDATE_WORDS.search(text)) and not _QUERY_WORDS.search(text)


def _service_iris(text: str) -> list | None:
    """The targets of every SERVICE in a query (IRIs or variables), or None when it does not parse."""
    try:
        parsed = parseQuery(text)
    except Exception:
        return None
    return [node.get("term") for node in _walk(parsed) if node.name == "ServiceGraphPattern"]


@functools.lru_cache(maxsize=1024)
def check_request_query(text: str, allow_service: tuple[str, ...] = ()) -> None:
    """Refuse what the endpoint must not run (memoised: the same text gets the same answer).

    The project's `check_query` decides; only a SERVICE whose IRI is on the allow-list passes
    where `check_query` refuses every SERVICE.
    """
    try:
        check_query(text)
        return
    except UnsafeInput as exc:
        reason = str(exc)
    if _is_update(text):
        raise Refused(403, READ_ONLY)
    services = _service_iris(text)
    if services is None:
        raise Refused(400, reason)
    blocked = [s for s in services if not (isinstance(s, URIRef) and str(s) in allow_service)]
    if blocked or not services:
        shown = ", ".join(f"<{s}>" if isinstance(s, URIRef) else str(s) for s in blocked) or "SERVICE"
        allowed = ", ".join(allow_service) or "none"
        raise Refused(403, f"SERVICE {shown} is refused: this endpoint does not reach other endpoints "
                           f"(allowed: {allowed}; the operator can add one with 'msckg serve --allow-service IRI')")
