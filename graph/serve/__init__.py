"""Serving the graph: a read-only SPARQL 1.1 endpoint and a curator's web application in one process (`msckg serve`).

- `app.create_app(settings)` builds the Starlette application;
- `workers.WorkerPool` runs every query in a killable worker process with a deadline;
- `backend` is what a worker does (protocol queries with a row cap, saved queries, entity pages);
- `void.describe` writes the VoID + DCAT description (`msckg describe`, `/.well-known/void`).

See docs/serve.md.
"""
