"""The msckg command line (typer): `app` is the console script's entry point."""

from .app import app

__all__ = ["app"]
