"""What the server process holds: the settings, the worker pool, the search index (reopened on a new
generation) and small answers cached per generation (figures, the dataset description)."""

from __future__ import annotations

import asyncio
import concurrent.futures
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
        self.queries = saved_queries()
        self._search = None
        self._search_gen = None
        self._search_error = ""
        self._search_thread = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="msckg-search")
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
    def searcher(self):
        """The Searcher of the live generation's index (reopened after a build), or None with a reason."""
        if not self.settings.store:
            self._search_error = "search needs the embedded store's index (serve with --store)"
            return None
        from msckg.graph.search import live_folder
        from msckg.graph.search.rank import SearchError, Searcher

        gen = os.path.realpath(Path(self.settings.store) / "current")
        if gen != self._search_gen:
            try:
                self._search = Searcher(live_folder(self.settings.store), embedder="auto")
                self._search_error = ""
            except (SearchError, OSError) as exc:
                self._search, self._search_error = None, str(exc)
            self._search_gen = gen
        return self._search

    async def search(self, text: str, types: list[str] | None = None, limit: int = 20):
        """Search in the server's search thread (one at a time: the index's caches are not shared)."""
        loop = asyncio.get_running_loop()

        def run():
            s = self.searcher()
            if s is None:
                return None
            return s.search(text, types=types or None, limit=limit)

        return await loop.run_in_executor(self._search_thread, run)

    @property
    def search_error(self) -> str:
        return self._search_error

    async def close(self) -> None:
        await self.pool.close()
        self._search_thread.shutdown(wait=False, cancel_futures=True)
