"""What the server process holds: the settings, the worker pool and small answers cached per store
generation (figures, the dataset description)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from msckg.graph.query.saved import saved_queries

from .settings import Settings
from .workers import WorkerPool

REMOTE_CACHE_SECONDS = 300


class ServerState:
    """One per process; routes reach it as request.app.state.msckg."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.pool = WorkerPool(settings)
        # searches get their own worker: a slow search never holds up a query, nor a query a search
        # (the search worker holds the embedding model: it is bounded by its deadline, not the memory cap)
        self.search_pool = WorkerPool(settings, size=settings.search_workers, memory_cap=False)
        self.queries = saved_queries()
        self._cache: dict = {}
        self.started = time.time()

    # -- the generation being served ----------------------------------------------------------
    def generation(self) -> str:
        if self.settings.endpoint:
            return f"remote:{self.settings.endpoint}"
        return os.path.realpath(Path(self.settings.store) / "current")

    async def cached(self, key: str, kind: str, *args):
        """A worker answer cached per generation (per 5 minutes for a remote endpoint)."""
        gen = self.generation()
        stamp = int(time.time() // REMOTE_CACHE_SECONDS) if self.settings.endpoint else 0
        full = (gen, stamp, key)
        if full not in self._cache:
            value = await self.pool.run(kind, *args)
            self._cache = {k: v for k, v in self._cache.items() if k[0] == gen and k[1] == stamp}
            self._cache[full] = value
        return self._cache[full]

    # -- search ---------------------------------------------------------------------------------
    async def search(self, text: str, types: list[str] | None = None, limit: int = 20):
        """Ranked entities, computed in a worker like every query (JobFailed with the reason otherwise)."""
        return await self.search_pool.run("search", text, types or None, limit)

    async def start(self) -> None:
        await asyncio.gather(self.pool.start(), self.search_pool.start())

    async def close(self) -> None:
        await asyncio.gather(self.pool.close(), self.search_pool.close())
