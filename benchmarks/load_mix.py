"""What the load test asks, over HTTP and in-process alike: saved queries with parameters, search texts, entity IRIs."""

from __future__ import annotations

# At 10k synthetic trials only product-characterisation of today's saved queries answers within the 30 s
# deadline on this machine (docs/serve.md lists each one's time); the others would only measure kills.
SAVED = [
    ("product-characterisation", {}),
]
SEARCHES = ["bleeding", "haemorrhage", "gastrointestinal hemorrhage", "infection", "fever", "cytopenia",
            "hepatic disorder", "synthetic trial 512", "event 7", "phase 2", "haemorhage", "liver"]
ENTITY_IRIS = [f"https://w3id.org/msckg/id/trial/NCT9{t:07d}" for t in (0, 17, 512, 4096, 9999)] + [
    f"https://w3id.org/msckg/id/pub/synthetic-{t}/ae/1-3" for t in (3, 777, 8888)] + [
    "https://w3id.org/msckg/AE_Haemorrhage"]
