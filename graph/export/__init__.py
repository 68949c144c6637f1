"""Exports of the built dataset: stable Turtle, TriG and N-Quads (rdf.py), JSON-LD with the project's context (jsonld.py)."""
