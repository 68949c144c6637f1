"""Build: every source loaded into its named graph, validated, written as a new store generation and swapped in."""
