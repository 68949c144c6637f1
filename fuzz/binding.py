"""atheris harness: saved-query parameters (saved.coerce, binding.bind_with_values): only ParamError/BindingError
escape, and a bound value comes back exactly with the query's structure unchanged."""

import atheris

from harness import fuzz

with atheris.instrument_imports(include=["msckg"]):
    import pyoxigraph as ox

    from msckg.graph.query.binding import BindingError, bind_with_values
    from msckg.graph.query.files import Param
    from msckg.graph.query.saved import ParamError, coerce
    from msckg.graph.store.terms import to_rdflib

STORE = ox.Store()
PROBE = 'SELECT ?v ?marker WHERE { BIND("intact" AS ?marker) }'
PARAMS = [Param("v", t, None, "", None, lo, hi) for t, lo, hi in
          [("string", None, None), ("integer", 0, 10), ("decimal", 0, 100), ("boolean", None, None), ("iri", None, None)]]


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    param = PARAMS[fdp.ConsumeIntInRange(0, len(PARAMS) - 1)]
    text = fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes())
    try:
        term = coerce(param, text)
        query = bind_with_values(PROBE, {"v": term})
    except (ParamError, BindingError):
        return
    sols = list(STORE.query(query))
    back = to_rdflib(sols[0]["v"]) if len(sols) == 1 else None
    same = back is not None and (back.toPython() == term.toPython() if param.type == "decimal" else back == term)  # decimals: canonical form
    if len(sols) != 1 or sols[0]["marker"].value != "intact" or not same:
        raise AssertionError(f"binding {text!r} changed the query or the value: {query}")


if __name__ == "__main__":
    fuzz(test_one_input, [b"\x00hello", b"\x01 42", b"\x04http://example.org/x"])
