"""Evidence synthesis: pooled estimates across trials, every input traced to its source row (`msckg pool`)."""
