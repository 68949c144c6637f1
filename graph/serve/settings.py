"""What a served endpoint is allowed to do: address, deadline, row cap, body cap, workers, SERVICE allow-list."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """The limits and the store of one `msckg serve` process (every default is the safe one)."""

    store: Path | None = None            # folder of the embedded store (its `current` generation is served)
    endpoint: str | None = None          # or: a remote SPARQL 1.1 endpoint fronted with the same rules
    host: str = "127.0.0.1"
    port: int = 8000
    deadline: float = 30.0               # seconds before a query's worker is killed (answer: 503)
    memory_cap_mb: int = 2048            # MiB of resident memory a busy worker may use before it is killed (503; 0: none)
    row_cap: int = 10_000                # rows (or triples) returned at most; reported, never silent
    max_body: int = 1_000_000            # bytes of a request body (answer beyond it: 413)
    workers: int = 2                     # worker processes that run queries
    search_workers: int = 1              # worker processes that run searches (a lane of their own)
    allow_service: tuple[str, ...] = field(default_factory=tuple)  # SERVICE IRIs allowed (empty: none)
    base_url: str | None = None          # public address, for the service and dataset descriptions
    remote_timeout: float = 30.0

    @property
    def public_base(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    def describe_limits(self) -> dict:
        return {"deadline_seconds": self.deadline, "memory_cap_mib": self.memory_cap_mb, "row_cap": self.row_cap, "max_body_bytes": self.max_body,
                "workers": self.workers, "search_workers": self.search_workers, "allow_service": list(self.allow_service)}
