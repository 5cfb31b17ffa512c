"""Text embeddings: BERT-family sentence-transformers models in MLX, with each model's own pooling.

Loaded into the same pool as text models (pool.py); served by serving/embeddings.py.
"""

from .embedder import Embedder, EmbeddingLoadError, load
from .sentence_config import SUPPORTED_TYPES, is_embedding_model

__all__ = ["Embedder", "EmbeddingLoadError", "SUPPORTED_TYPES", "is_embedding_model", "load"]
