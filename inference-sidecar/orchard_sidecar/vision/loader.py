"""Loads a vision model through mlx-vlm and gives it the tokenizer interface text models have.

A model is a vision model when its config has a vision_config and a preprocessor config sits beside
it. Its Processor may carry no eos_token_id (the config names none); the EOS ids then come from the
generation config or the tokenizer, so generation always knows where an answer ends.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import bad_request

KIND_TEXT = "text"
KIND_VISION = "vision"


def model_kind(folder: Path) -> str:
    """"vision" for a folder mlx-vlm should load (an image processor config and a vision tower)."""
    try:
        config = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        return KIND_TEXT
    has_processor = (folder / "preprocessor_config.json").is_file()
    return KIND_VISION if has_processor and isinstance(config.get("vision_config"), dict) else KIND_TEXT


def _ids(value) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, int) and not isinstance(v, bool)]
    return []


def eos_token_ids(folder: Path, config: dict, tokenizer) -> list[int]:
    """EOS ids from the config, else the generation config, plus the tokenizer's own."""
    ids = _ids(config.get("eos_token_id")) or _ids((config.get("text_config") or {}).get("eos_token_id"))
    if not ids:
        try:
            ids = _ids(json.loads((folder / "generation_config.json").read_text()).get("eos_token_id"))
        except (OSError, ValueError):
            ids = []
    own = getattr(tokenizer, "eos_token_id", None)
    return sorted(set(ids) | set(_ids(own)))


def load(folder: Path):
    """(model, tokenizer wrapper, config dict, processor) for a vision model folder."""
    from mlx_lm.tokenizer_utils import load as load_tokenizer

    try:
        import mlx_vlm
    except ImportError:
        raise bad_request(f"'{folder.name}' is a vision model, which needs the mlx-vlm package; it is not "
                          "installed with this sidecar.", "model", "model_not_supported") from None

    model, processor = mlx_vlm.load(str(folder))
    config = json.loads((folder / "config.json").read_text())
    eos = eos_token_ids(folder, config, processor.tokenizer)
    if not eos:
        raise ValueError(f"{folder}: no eos_token_id in its config, generation config or tokenizer")
    # mlx-lm's wrapper (streaming detokenizer chosen from tokenizer.json) so the text pipeline is the same.
    tokenizer = load_tokenizer(folder, eos_token_ids=eos)
    hf = tokenizer._tokenizer
    if not getattr(hf, "chat_template", None) and getattr(processor, "chat_template", None):
        hf.chat_template = processor.chat_template
    return model, tokenizer, config, processor


def vision_model_types() -> set[str]:
    """config.json `model_type`s mlx-vlm runs with a vision tower (its model packages with a vision
    module), read from the package folder without importing them."""
    import importlib.util

    spec = importlib.util.find_spec("mlx_vlm.models")
    if spec is None or not spec.submodule_search_locations:
        return set()
    found = set()
    for root in spec.submodule_search_locations:
        for package in Path(root).iterdir():
            if (package / "vision.py").is_file() and (package / "__init__.py").is_file():
                found.add(package.name)
    return found
