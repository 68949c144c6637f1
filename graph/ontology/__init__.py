"""Tools about the ontology itself: HermiT reasoning, the HTML reference and the SSSOM export of its alignments."""
