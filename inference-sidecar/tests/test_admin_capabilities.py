"""GET /admin/capabilities: the model_types mlx-lm can load, for the core's "will it run here" estimate."""

from __future__ import annotations

import importlib

from orchard_sidecar import embeddings
from orchard_sidecar.routes.admin import supported_model_types
from orchard_sidecar.vision.loader import vision_model_types


def test_lists_loadable_model_types_and_aliases(sidecar):
    r = sidecar.client.get("/admin/capabilities")
    assert r.status_code == 200
    body = r.json()
    types = body["model_types"]
    assert body["mlx_lm_version"]
    assert types == sorted(types) and len(types) == len(set(types))
    # Architectures of the fixtures, a re-exporting module, and an alias mlx-lm remaps.
    for t in ("llama", "qwen3", "solar_open", "mistral"):
        assert t in types
    # Helper modules of mlx_lm.models are not architectures.
    for t in ("base", "cache", "rope_utils", "switch_layers", "activations"):
        assert t not in types
    # An embedding model runs only in the sidecar's own embedder: core judges its fit by this list.
    assert body["embedding_model_types"] == ["bert"]
    assert set(body["embedding_model_types"]) <= set(types)


def test_every_listed_type_resolves_to_a_model_class():
    from mlx_lm.utils import MODEL_REMAPPING

    vision = vision_model_types()  # loaded through mlx-vlm
    assert "llava" in vision
    for t in supported_model_types():
        if t in embeddings.SUPPORTED_TYPES:  # run by Orchard's own encoder, not mlx-lm
            assert hasattr(importlib.import_module(f"orchard_sidecar.embeddings.{t}"), "BertModel"), t
            continue
        name = f"mlx_vlm.models.{t}" if t in vision else f"mlx_lm.models.{MODEL_REMAPPING.get(t, t)}"
        try:  # one mlx-lm module calls sys.exit when its optional package is missing
            module = importlib.import_module(name)
        except BaseException as e:  # noqa: BLE001
            raise AssertionError(f"{t} is listed but does not import: {e!r}") from None
        config_class = "ModelConfig" if t in vision else "ModelArgs"
        assert hasattr(module, "Model") and hasattr(module, config_class), t


def test_needs_the_secret(sidecar):
    import httpx

    r = httpx.get(f"{sidecar.url}/admin/capabilities")
    assert r.status_code == 401
