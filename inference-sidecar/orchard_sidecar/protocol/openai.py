"""OpenAI-compatible request bodies (chat completions, completions).

Unknown fields are ignored so SDKs that send extras keep working; known ones are checked.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from .chat_template import ChatTemplateKwargs

# The largest seed an MLX random key takes (64 bits); negative ones mean "no seed".
MAX_SEED = 2**64 - 1


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class StreamOptions(_Body):
    include_usage: bool = False


class SpeculativeConfig(_Body):
    """Orchard extension: {"method": "prompt_lookup"}, {"draft_model": "REPO"} or {"method": "none"}."""

    method: Literal["prompt_lookup", "draft_model", "none"] | None = None
    draft_model: Annotated[str, Field(min_length=1, max_length=1024)] | None = None
    # Proposals per round; the method's default when absent.
    num_draft_tokens: Annotated[int, Field(ge=1, le=32)] | None = None


class SamplingFields(_Body):
    """Fields shared by /v1/chat/completions and /v1/completions."""

    model: Annotated[str, Field(min_length=1, max_length=1024)]
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: Annotated[int, Field(ge=1)] | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(gt=0, le=1)] | None = None
    top_k: Annotated[int, Field(ge=0)] | None = None
    min_p: Annotated[float, Field(ge=0, le=1)] | None = None
    repetition_penalty: Annotated[float, Field(gt=0)] | None = None
    presence_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    frequency_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    logit_bias: dict[str, Annotated[float, Field(ge=-100, le=100)]] | None = None
    seed: Annotated[int, Field(le=MAX_SEED)] | None = None
    n: Annotated[int, Field(ge=1, le=1)] = 1
    stop_token_ids: list[Annotated[int, Field(ge=0)]] | None = None
    # Count and length limits are checked by the text layer (text.stops), with a 400 naming them.
    stop: str | list[str] | None = None
    # Orchard extension (a profile sets it): a prompt longer than the window is refused (400
    # context_length_exceeded) or, with "drop_oldest", loses its oldest turns until it fits.
    context_overflow: Literal["refuse", "drop_oldest"] | None = None
    # Orchard extension (a profile may set it): the KV cache held in 4 or 8 bits (kv_quant.py).
    kv_bits: Literal[4, 8] | None = None
    # Orchard extension (a profile may set it): speculative decoding, see speculative.py.
    speculative: Literal["none"] | SpeculativeConfig | None = None


class TextPart(_Body):
    type: Literal["text"]
    text: str


class ImageUrl(_Body):
    url: Annotated[str, Field(min_length=1)]
    detail: Literal["auto", "low", "high"] | None = None


class ImagePart(_Body):
    """An image (data: or http(s) URL); only vision models take one, others answer 400."""

    type: Literal["image_url"]
    image_url: ImageUrl


ContentPart = Annotated[TextPart | ImagePart, Field(discriminator="type")]


class ChatMessage(BaseModel):
    # Extra keys (tool_call_id, name, tool_calls, reasoning_content) reach the chat template as-is.
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None


class FunctionName(_Body):
    name: Annotated[str, Field(min_length=1)]


class NamedToolChoice(_Body):
    type: Literal["function"]
    function: FunctionName


class FunctionDefinition(BaseModel):
    # Extra keys (strict, examples, …) reach the chat template as-is.
    model_config = ConfigDict(extra="allow")

    name: Annotated[str, Field(min_length=1, max_length=256)]
    description: str | None = None
    parameters: dict[str, Any] | None = None


class ToolDefinition(BaseModel):
    """A tool the template renders; without a function there is nothing to render or call."""

    model_config = ConfigDict(extra="allow")

    type: Literal["function"]
    function: FunctionDefinition


class ChatCompletionRequest(SamplingFields):
    messages: Annotated[list[ChatMessage], Field(min_length=1)]
    max_completion_tokens: Annotated[int, Field(ge=1)] | None = None
    chat_template_kwargs: ChatTemplateKwargs | None = None
    tools: list[ToolDefinition] | None = None
    tool_choice: Literal["none", "auto", "required"] | NamedToolChoice | None = None
    parallel_tool_calls: bool | None = None
    # Orchard extension: override the tool-call format detected from the tokenizer/template.
    tool_format: str | None = Field(default=None, validation_alias=AliasChoices("tool_format", "tool_parser"))
    response_format: dict[str, Any] | None = None
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high"] | None = None
    # Orchard extension: reasoning tokens allowed before the think block is closed for the answer.
    reasoning_budget: Annotated[int, Field(ge=0)] | None = None


class CompletionRequest(SamplingFields):
    prompt: Annotated[str, Field(min_length=1)] | Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1)]
    echo: Literal[False] = False


# OpenAI's limit on inputs per embeddings request.
MAX_EMBEDDING_INPUTS = 2048
_TokenIds = Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1)]


class EmbeddingRequest(_Body):
    """POST /v1/embeddings: text(s) or token-id array(s) of the model's own tokenizer."""

    model: Annotated[str, Field(min_length=1, max_length=1024)]
    input: (str | Annotated[list[str], Field(min_length=1, max_length=MAX_EMBEDDING_INPUTS)] | _TokenIds
            | Annotated[list[_TokenIds], Field(min_length=1, max_length=MAX_EMBEDDING_INPUTS)])
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: Annotated[int, Field(ge=1)] | None = None
    # Orchard extension (Ollama's `truncate`): an input over the model's length is cut (true, as
    # sentence-transformers does) or refused with a 400 (false).
    truncate: bool = True
