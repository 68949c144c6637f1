"""msckg test suite."""
