"""Loaders: pure functions from one source file (curated YAML, ClinicalTrials.gov JSON) to RDF."""

__version__ = "0.1.0"
