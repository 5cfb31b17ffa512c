"""The image side of preparing a chat job: refuse pictures a text model cannot read, and turn a vision
model's rendered prompt and images into its Processor's inputs."""

from __future__ import annotations

from dataclasses import replace

from ..errors import bad_request
from ..vision.images import describe, load_images
from ..vision.inputs import VisionInputs, flatten_text, for_template, image_urls, processor_inputs
from ..vision.loader import KIND_VISION


def check_images(lm, p):
    """(params with template-ready messages, the request's image URLs); a 400 for a text-only model."""
    if not p.chat or not p.messages:
        return p, []
    urls = image_urls(p.messages)
    if getattr(lm, "kind", "text") != KIND_VISION:
        if urls:
            raise bad_request(
                f"The model '{lm.name}' reads text only, so {describe(0, urls[0])} cannot be used. "
                "Send the image to a vision model, or remove it.",
                "messages", "model_not_vision",
            )
        return replace(p, messages=flatten_text(p.messages)), []
    return replace(p, messages=for_template(p.messages)), urls


def vision_inputs(lm, text: str, prompt: list[int], urls: list[str]) -> VisionInputs | None:
    """A vision model's job inputs (None for a text model); images are fetched and decoded here."""
    if getattr(lm, "kind", "text") != KIND_VISION:
        return None
    if not text:  # /v1/completions: a plain prompt, already tokenized
        return VisionInputs(list(prompt), None, None)
    pictures = load_images(urls)
    try:
        return processor_inputs(lm.processor, text, pictures)
    except Exception as e:  # the processor's own checks (image count, sizes) on the caller's input
        raise bad_request(f"The model's processor could not prepare this request: {e}", "messages") from None
