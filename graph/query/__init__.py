"""Questions to the graph: saved query files, typed parameters bound safely, rows rendered as text and plots."""
