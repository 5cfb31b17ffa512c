"""`chat_template_kwargs`: the chat-template switches a caller may set, on both APIs.

Anything else reaching `apply_chat_template` would let one client reshape the template run for
it (its own Jinja `chat_template`, whose loops hold a worker thread that cannot be cancelled) or
the tokenizer call itself (`tokenize`, `add_generation_prompt`, `tools`, `return_*`, …).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, StrictBool, model_validator
from pydantic_core import PydanticCustomError

ReasoningEffort = Literal["none", "minimal", "low", "medium", "high"]


class ChatTemplateKwargs(BaseModel):
    """Thinking switches that real templates read: Qwen3 and GLM `enable_thinking`, DeepSeek-V3.1
    `thinking`, GPT-OSS `reasoning_effort`. Values are plain scalars, never structures."""

    model_config = ConfigDict(extra="forbid")

    enable_thinking: StrictBool | None = None
    thinking: StrictBool | None = None
    reasoning_effort: ReasoningEffort | None = None

    @model_validator(mode="before")
    @classmethod
    def _only_switches(cls, data: Any) -> Any:
        if isinstance(data, dict):
            allowed = cls.model_fields
            for key in data:
                if key not in allowed:
                    raise PydanticCustomError(
                        "chat_template_kwarg",
                        "'{key}' is not allowed here; the allowed keys are {allowed}",
                        {"key": str(key)[:64], "allowed": ", ".join(allowed)},
                    )
        return data

    def template_kwargs(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)
