"""The msckg graph, by stage of the data flow: build -> validate -> store -> query / search, and the cli over them.

- build/     sources (curated records, registry JSON, RDF files, reviewed mappings) into named graphs
- validate/  SHACL shapes and SPARQL QC checks over the assembled dataset
- store/     the embedded Oxigraph store (generations, atomic swap) and remote SPARQL endpoints
- query/     saved queries, parameter binding, output formats and plots
- search/    the search and link index written by every build
- ontology/  HermiT reasoning, HTML reference, SSSOM export
- export/    stable Turtle, TriG, N-Quads and JSON-LD exports of the built dataset
- cli/       the `msckg` command line over the functions above
- api/       the Python API over the same functions (`msckg.open(store=...)`)
"""
