"""The load test's users (locust): a mix of saved queries (REST), search, suggestions and entity pages."""

from __future__ import annotations

import os
import random

from locust import HttpUser, between, task

from benchmarks.load_mix import ENTITY_IRIS, SAVED, SEARCHES


class Curator(HttpUser):
    """A curator or a notebook: asks saved questions, searches, opens entity pages."""

    wait_time = between(0.0, 0.05)

    def on_start(self):
        self.rnd = random.Random(int(os.environ.get("LOAD_SEED", "7")) + id(self) % 1000)

    @task(4)
    def saved(self):
        name, params = self.rnd.choice(SAVED)
        self.client.get(f"/api/{name}", params=params, name="saved query")

    @task(4)
    def search(self):
        self.client.get("/suggest", params={"q": self.rnd.choice(SEARCHES)}, name="search (suggest)")

    @task(2)
    def search_page(self):
        self.client.get("/search", params={"q": self.rnd.choice(SEARCHES)}, name="search page")

    @task(3)
    def entity(self):
        self.client.get("/entity", params={"iri": self.rnd.choice(ENTITY_IRIS)}, name="entity page")
