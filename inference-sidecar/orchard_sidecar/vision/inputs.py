"""A chat request's images and the model inputs a vision model's Processor makes from them.

Messages carry images as OpenAI parts ({"type": "image_url", "image_url": {"url": ...}}); every API's
request is translated into that shape. Chat templates of vision models expect {"type": "image"}.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class VisionInputs:
    """What the engine's vision runner needs (numpy, made into MLX arrays on the MLX thread)."""

    input_ids: list[int]
    pixel_values: np.ndarray | None
    mask: np.ndarray | None
    extra: dict[str, Any] = field(default_factory=dict)


def _url(part: Any) -> str | None:
    if not isinstance(part, dict) or part.get("type") != "image_url":
        return None
    ref = part.get("image_url")
    url = ref.get("url") if isinstance(ref, dict) else ref
    return url if isinstance(url, str) else ""


def image_urls(messages: list[dict]) -> list[str]:
    """Every image of the conversation, in the order the template shows them."""
    urls = []
    for m in messages:
        content = m.get("content")
        if isinstance(content, list):
            urls.extend(u for u in (_url(p) for p in content) if u is not None)
    return urls


def for_template(messages: list[dict]) -> list[dict]:
    """Image parts as the {"type": "image"} placeholders vision chat templates render."""
    out = []
    for m in messages:
        content = m.get("content")
        if isinstance(content, list) and any(_url(p) is not None for p in content):
            m = {**m, "content": [{"type": "image"} if _url(p) is not None else p for p in content]}
        out.append(m)
    return out


def flatten_text(messages: list[dict]) -> list[dict]:
    """For a text model: list contents (no images) joined into one text, as text templates expect."""
    out = []
    for m in messages:
        content = m.get("content")
        if isinstance(content, list):
            m = {**m, "content": "".join(p.get("text", "") for p in content if isinstance(p, dict))}
        out.append(m)
    return out


def processor_inputs(processor, text: str, images: list) -> VisionInputs:
    """The Processor's token ids (image tokens expanded) and pixel values for one prompt."""
    # Called without padding options: some mlx-vlm processors hand every keyword to the image processor.
    feats = processor(text=[text], images=images or None, return_tensors="np")
    data = dict(feats)
    ids = np.asarray(data.pop("input_ids")).reshape(-1).tolist()
    pixels = data.pop("pixel_values", None)
    mask = data.pop("attention_mask", None)
    extra = {k: np.asarray(v) for k, v in data.items() if v is not None}
    return VisionInputs(ids, None if pixels is None else np.asarray(pixels),
                        None if mask is None else np.asarray(mask), extra)
