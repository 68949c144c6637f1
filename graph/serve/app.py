"""The Starlette application: routes, security headers (CSP without inline scripts), CORS, the worker pool's life."""

from __future__ import annotations

import contextlib

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Mount, Route
from starlette.responses import RedirectResponse
from starlette.staticfiles import StaticFiles

from . import endpoint, pages
from .settings import Settings
from .state import ServerState

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
       "form-action 'self'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    """Adds the security headers to every response (HTML, data and errors alike)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [h for h in SECURITY_HEADERS if h[0] not in names]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings) -> Starlette:
    """The whole server: endpoint, web application and static files, with its worker pool."""
    state = ServerState(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await state.start()
        try:
            yield
        finally:
            await state.close()

    routes = [
        Route("/", pages.home),
        Route("/search", pages.search),
        Route("/entity", pages.entity),
        Route("/id/{path:path}", pages.entity),
        Route("/queries", pages.query_list),
        Route("/queries/{name}/plot.png", pages.plot),
        Route("/queries/{name}", pages.query_page),
        Route("/editor", pages.editor),
        Route("/sparql", endpoint.sparql, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        Route("/api", endpoint.api_index),
        Route("/api/{name}", endpoint.api_query),
        Route("/suggest", endpoint.suggest),
        Route("/health", endpoint.health),
        Route("/void", endpoint.void),
        Route("/.well-known/void", endpoint.void),
        Route("/.well-known/sparql-examples", endpoint.examples),
        Route("/context.jsonld", endpoint.context),
        Route("/favicon.ico", lambda request: RedirectResponse("/static/favicon.svg", status_code=301)),
        Mount("/static", StaticFiles(directory=str(pages.STATIC)), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST", "OPTIONS"],
                   allow_headers=["Accept", "Content-Type"], expose_headers=["X-Row-Cap", "X-Row-Count", "X-Truncated"],
                   max_age=3600),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={404: _not_found})
    app.state.msckg = state
    return app


async def _not_found(request, exc):
    return pages.error_page(request, 404, f"no page at {request.url.path}")
