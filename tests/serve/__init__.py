"""Tests of `msckg serve`: protocol conformance, safety limits, pages, escaping, the browser."""
