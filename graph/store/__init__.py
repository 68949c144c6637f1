"""Stores: the embedded Oxigraph store (default) and any remote SPARQL 1.1 endpoint, behind one interface."""
