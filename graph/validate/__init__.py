"""Validation: SHACL shapes and the SPARQL checks of queries/qc, reported by rule, with curators' flags applied."""
