"""Search quality on judged queries (`msckg search-eval`): recall@k and MRR, and the YAML file of judgements."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .indexfile import SearchError

if TYPE_CHECKING:
    from .rank import Searcher


@dataclass
class QueryEval:
    query: str
    relevant: int
    found_at: list[int]
    recall: float
    rr: float


def evaluate(searcher: Searcher, judgements: list[dict], k: int = 10, mode: str = "lexical", depth: int = 100) -> dict:
    """recall@k (relevant found in the top k / min(k, relevant)) and MRR (1/rank of the first relevant)."""
    rows = []
    for j in judgements:
        relevant = set(j["relevant"])
        res = searcher.search(j["query"], limit=depth, mode=mode, types=j.get("types"))
        ranks = [h.rank for h in res.hits if h.iri in relevant]
        in_k = sum(1 for r in ranks if r <= k)
        recall = in_k / min(k, len(relevant)) if relevant else 0.0
        rr = 1.0 / ranks[0] if ranks else 0.0
        rows.append(QueryEval(j["query"], len(relevant), ranks[:20], recall, rr))
    n = len(rows) or 1
    return {"mode": mode, "k": k, "queries": len(rows), f"recall@{k}": sum(r.recall for r in rows) / n,
            "mrr": sum(r.rr for r in rows) / n, "per_query": rows}


def load_judgements(path: Path) -> list[dict]:
    """The judged queries of a YAML file: a list of {query, relevant: [IRI...], note?, types?}."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    data = yaml.load(Path(path).read_text(encoding="utf-8"))
    items = data.get("queries") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise SearchError(f"{path}: expected a list of queries under 'queries'")
    out = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict) or not item.get("query") or not item.get("relevant"):
            raise SearchError(f"{path}: query {n} needs 'query' and a non-empty 'relevant' list")
        rel = [r if r.startswith("http") else "https://w3id.org/msckg/id/" + r for r in item["relevant"]]
        out.append({"query": str(item["query"]), "relevant": rel, "types": item.get("types"), "note": item.get("note", "")})
    return out
