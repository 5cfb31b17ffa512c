"""Turns a chat or text request into an engine job: prompt, limits, sampler, logits processors and
the text pipeline (stops, reasoning split and budget, tool calls, structured output).

Shared by the OpenAI and Anthropic endpoints; runs in a worker thread (templates can be slow).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import ApiError, bad_request
from ..log import log
from ..text import make_controller
from ..text.budget import default_reasoning_budget
from ..text.constrained import ConstraintError, grammar_for_response_format
from ..text.hooks import build_logits_processors
from ..text.reasoning import (
    H_CHANNEL,
    H_END,
    H_MESSAGE,
    H_START,
    THINK_END,
    THINK_START,
    starts_in_reasoning,
)
from ..text.stops import StopValidationError, merge_stops, normalize_stops, validate_stop_token_ids
from ..text.tool_parsers import ToolFormat, UnknownToolFormat, get_tool_format
from .history import (
    has_later_system,
    place_system_messages,
    shows_later_system,
    turns,
    without_turns,
)
from .model_text import model_text
from .pipeline import TextPipeline
from .sampling import DEFAULT_TEMPERATURE, make_processors, make_sampler
from .tool_grammar import forced_tools, tool_call_grammar
from .vision_prompt import check_images, vision_inputs

# max_tokens when the request gives none and the model has no context_length set (and room).
DEFAULT_MAX_TOKENS = 4096
# reasoning_effort → reasoning tokens asked for; always capped to leave room for the answer.
EFFORT_BUDGET: dict[str, int | None] = {"minimal": 128, "low": 512, "medium": 2048, "high": None}


@dataclass
class Params:
    """One request in protocol-neutral form (messages in the OpenAI shape chat templates expect)."""

    chat: bool
    messages: list[dict] | None = None
    prompt: str | list[int] | None = None
    template_kwargs: dict[str, Any] = field(default_factory=dict)
    tools: list[dict] | None = None
    tool_choice: Any = None  # "none" | "auto" | "required" | {"type": "function", "function": {"name"}}
    tool_format: str | None = None
    stop: str | list[str] | None = None
    stop_param: str = "stop"
    stop_token_ids: list[int] = field(default_factory=list)
    response_format: dict | None = None
    enable_thinking: bool | None = None
    reasoning_effort: str | None = None
    reasoning_budget: int | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    min_p: float | None = None
    seed: int | None = None
    logit_bias: dict[str, float] | None = None
    repetition_penalty: float | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    # "drop_oldest": a prompt longer than the window loses its oldest turns instead of a 400.
    context_overflow: str | None = None
    kv_bits: int | None = None  # 4 | 8: a quantized KV cache (kv_quant.kv_spec checks the model)
    # None | "none" | protocol.openai.SpeculativeConfig; read by generation.open_generation.
    speculative: Any = None


@dataclass
class Prepared:
    prompt: list[int]
    max_tokens: int
    sampler: Any
    processors: list
    pipeline: TextPipeline
    forced_call: bool = False
    vision: Any = None  # a vision model's processor inputs (vision.inputs.VisionInputs)


def prepare(lm, p: Params) -> Prepared:
    tokenizer = lm.tokenizer
    info = model_text(tokenizer)
    stops = _stops(lm, p)
    stop_ids = _stop_token_ids(p.stop_token_ids, lm.vocab_size)
    p, images = check_images(lm, p)
    if p.chat:
        tool_fmt, parse_tools, forced = _tool_setup(lm, info.tools, p)
        kwargs = dict(p.template_kwargs)
        if p.enable_thinking is not None:
            kwargs["enable_thinking"] = p.enable_thinking
        if p.reasoning_effort is not None:
            kwargs.setdefault("reasoning_effort", p.reasoning_effort)
            if p.reasoning_effort == "none":
                kwargs["enable_thinking"] = False
        thinking = kwargs.get("enable_thinking", True) is not False
        tools_shown = p.tools if p.tools and p.tool_choice != "none" else None
        text, prompt = _chat_prompt(lm, p, tools_shown, kwargs)
        rfmt = info.reasoning
    else:
        tool_fmt, parse_tools, forced = None, None, None
        text, thinking, rfmt = "", False, None
        prompt = _text_prompt(tokenizer, p.prompt, lm.vocab_size)
    vision = vision_inputs(lm, text, prompt, images)
    if vision is not None:
        prompt = vision.input_ids  # the processor's: each image token expanded to its patches
    if not prompt:
        raise bad_request("The prompt is empty after tokenization.", "messages" if p.chat else "prompt")
    max_tokens = _max_tokens(p, len(prompt), lm.options.context_length, lm.window, lm.name)

    grammar = None
    try:
        if forced:
            grammar = tool_call_grammar(tool_fmt, forced, tokenizer)
        elif p.response_format:
            grammar = grammar_for_response_format(p.response_format)
    except ConstraintError as e:
        raise bad_request(str(e), "tool_choice" if forced else "response_format") from None
    in_reasoning = starts_in_reasoning(text, rfmt) or rfmt == "harmony"
    budget = None
    if rfmt is not None and thinking:
        requested = p.reasoning_budget if p.reasoning_budget is not None else EFFORT_BUDGET.get(
            p.reasoning_effort or "high")
        # The opening and forced closing markers are not reasoning but do count in max_tokens.
        overhead = _marker_tokens(tokenizer, rfmt)
        budget = default_reasoning_budget(max(1, max_tokens - overhead), requested)
    # A forced harmony call goes to the commentary channel straight away: no analysis gate.
    proc_fmt = None if forced and rfmt == "harmony" else rfmt
    try:
        text_procs = build_logits_processors(
            tokenizer, reasoning_format=proc_fmt, in_reasoning=in_reasoning and proc_fmt is not None,
            reasoning_budget=budget if proc_fmt else None, grammar=grammar)
    except ConstraintError as e:
        raise bad_request(str(e), "response_format") from None

    temperature = DEFAULT_TEMPERATURE if p.temperature is None else p.temperature
    sampler = make_sampler(temperature, p.top_p, p.top_k, p.min_p, p.seed, lm.vocab_size)
    processors = make_processors(
        logit_bias=p.logit_bias, repetition_penalty=p.repetition_penalty,
        presence_penalty=p.presence_penalty, frequency_penalty=p.frequency_penalty,
        vocab_size=lm.vocab_size,
    )
    controller = make_controller(
        reasoning_format=rfmt, prompt_text=text, enable_thinking=thinking, stops=stops,
        tool_format=tool_fmt if parse_tools else None, tools=parse_tools,
    )
    pipeline = TextPipeline(tokenizer, controller, stop_ids)
    # The grammar's mask must be applied last so nothing can re-enable a masked token.
    return Prepared(prompt, max_tokens, sampler, processors + text_procs, pipeline, bool(forced), vision)


def _marker_tokens(tokenizer, rfmt: str) -> int:
    if rfmt == "harmony":
        markers = f"{H_CHANNEL}analysis{H_MESSAGE}{H_END}{H_START}assistant{H_CHANNEL}final{H_MESSAGE}"
    else:
        markers = f"{THINK_START}{THINK_END}\n\n"
    return len(tokenizer.encode(markers, add_special_tokens=False))


def _stops(lm, p: Params) -> list[str]:
    try:
        request = normalize_stops(p.stop)
    except StopValidationError as e:
        raise bad_request(f"{p.stop_param}: {e}", p.stop_param) from None
    merged = merge_stops(lm.options.stop, request)
    try:
        return normalize_stops(merged)
    except StopValidationError as e:
        raise bad_request(f"{p.stop_param}: {e} (the model profile adds {len(lm.options.stop or [])})",
                          p.stop_param) from None


def _stop_token_ids(ids: list[int], vocab_size: int) -> list[int]:
    try:
        return validate_stop_token_ids(ids, vocab_size)
    except StopValidationError as e:
        raise bad_request(str(e), "stop_token_ids") from None


def _tool_setup(lm, detected: ToolFormat | None, p: Params):
    """(format, tools to parse calls against, tools a call is forced to) for a chat request."""
    name = p.tool_format or lm.options.tool_format
    fmt = detected
    if name:
        try:
            fmt = get_tool_format(name)
        except UnknownToolFormat as e:
            raise bad_request(str(e), "tool_format") from None
    if not p.tools:
        if p.tool_choice not in (None, "none", "auto"):
            raise bad_request("tool_choice needs tools.", "tool_choice")
        return fmt, None, None
    if p.tool_choice == "none":
        return fmt, None, None
    forced = forced_tools(p.tools, p.tool_choice)
    if forced is not None and not forced:
        raise bad_request("tool_choice names a function that is not in tools.", "tool_choice")
    if fmt is None:
        if forced:
            raise bad_request("This model's tool-call format is unknown, so a call cannot be forced; "
                              "pass tool_format.", "tool_choice")
        return None, None, None
    return fmt, p.tools, forced


def _chat_prompt(lm, p: Params, tools_shown, kwargs: dict) -> tuple[str, list[int]]:
    """The rendered chat prompt and its tokens; with context_overflow drop_oldest, shortened to fit."""
    tokenizer = lm.tokenizer

    def tokens(messages: list[dict]) -> tuple[str, list[int]]:
        text = _render(tokenizer, messages, tools_shown, kwargs)
        return text, list(tokenizer.encode(text, add_special_tokens=False))

    messages = p.messages or []
    # The template is probed only when a system message comes after the first turn.
    keep_later = not has_later_system(messages) or shows_later_system(
        tokenizer, lambda m: tokenizer.apply_chat_template(m, tokenize=False, add_generation_prompt=True))
    messages = place_system_messages(messages, keep_later)
    text, prompt = tokens(messages)
    if p.context_overflow != "drop_oldest":
        return text, prompt
    limit = lm.options.context_length or lm.window
    room = _answer_room(p, limit, lm.options.context_length)
    groups = turns(messages)
    if len(prompt) + room <= limit or not groups:
        return text, prompt
    # The fewest oldest turns whose removal makes room (prompt length falls as turns go); if none
    # does, all of them go and the usual window check decides.
    best, lo, hi = None, 1, len(groups)
    while lo <= hi:
        mid = (lo + hi) // 2
        candidate = tokens(without_turns(messages, groups, mid))
        if len(candidate[1]) + room <= limit:
            best, hi = (mid, candidate), mid - 1
        else:
            lo = mid + 1
    dropped, (text2, prompt2) = best or (len(groups), tokens(without_turns(messages, groups, len(groups))))
    log("context_overflow_dropped", turns=dropped, prompt_tokens_before=len(prompt), prompt_tokens=len(prompt2))
    return text2, prompt2


def _answer_room(p: Params, limit: int, context_length: int | None) -> int:
    """Tokens drop_oldest keeps free for the answer: max_tokens under a profile's window (a contract),
    else max_tokens (default 4096) but never more than a quarter of the window."""
    if context_length and p.max_tokens:
        return p.max_tokens
    return max(1, min(p.max_tokens or DEFAULT_MAX_TOKENS, limit // 4))


def _render(tokenizer, messages: list[dict], tools, kwargs: dict) -> str:
    if not getattr(tokenizer, "has_chat_template", False):
        raise bad_request("This model has no chat template; use /v1/completions.", "model")
    kwargs = dict(kwargs)
    kwargs.setdefault("add_generation_prompt", True)
    kwargs.pop("tokenize", None)
    if tools:
        kwargs["tools"] = tools
    try:
        text = tokenizer.apply_chat_template(_template_messages(messages), tokenize=False, **kwargs)
    except Exception as e:  # jinja raise_exception, bad kwargs: the caller's input
        raise ApiError(422, f"The chat template rejected the request: {e}", param="messages") from None
    return well_formed(text)


def well_formed(text: str) -> str:
    """Lone UTF-16 surrogates (valid JSON escapes, invalid text) become U+FFFD: tokenizers raise on them."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _template_messages(messages: list[dict]) -> list[dict]:
    """OpenAI history → what templates iterate: tool-call arguments as mappings, not JSON text."""
    out = []
    for m in messages:
        calls = m.get("tool_calls")
        if calls and isinstance(calls, list):  # anything else is for the template to reject (422)
            m = {**m, "tool_calls": [_call_for_template(c) for c in calls]}
        out.append(m)
    return out


def _call_for_template(call: Any) -> Any:
    fn = call.get("function") if isinstance(call, dict) else None
    if not isinstance(fn, dict) or not isinstance(fn.get("arguments"), str):
        return call
    try:
        args = json.loads(fn["arguments"]) if fn["arguments"].strip() else {}
    except ValueError:
        return call
    return {**call, "function": {**fn, "arguments": args}}


def _text_prompt(tokenizer, prompt: str | list[int] | None, vocab_size: int) -> list[int]:
    if isinstance(prompt, list):
        bad = [t for t in prompt if t >= vocab_size]
        if bad:
            raise bad_request(f"Prompt token id {bad[0]} is outside the vocabulary (0..{vocab_size - 1}).", "prompt")
        return list(prompt)
    prompt = well_formed(prompt or "")
    bos = getattr(tokenizer, "bos_token", None)
    add_special = bos is None or not prompt.startswith(bos)
    return tokenizer.encode(prompt, add_special_tokens=add_special)


def _max_tokens(p: Params, prompt_len: int, context_length: int | None, window: int, name: str) -> int:
    """Tokens this request may generate; never more than the window has room for.

    A profile's context_length is a contract: a request that overruns it is 400. Without one the
    model's own window (from its config) bounds max_tokens as a ceiling, since clients such as
    Claude Code send large max_tokens meaning "as much as you like".
    """
    requested = p.max_tokens
    limit = context_length or window
    source = "its profile's context_length" if context_length else (
        "from its config; a profile's context_length overrides it")
    if prompt_len >= limit:
        hint = (" Shorten the conversation, or set the profile's context_overflow to drop_oldest."
                if p.chat and p.context_overflow != "drop_oldest" else "")
        raise bad_request(
            f"The prompt is {prompt_len} tokens; {name}'s window is {limit} ({source}).{hint}",
            "messages" if p.chat else "prompt",
            "context_length_exceeded",
        )
    room = limit - prompt_len
    if context_length is None:
        return min(requested or DEFAULT_MAX_TOKENS, room)
    if requested is None:
        return room
    if prompt_len + requested > context_length:
        raise bad_request(
            f"The prompt is {prompt_len} tokens; {name}'s window is {context_length} ({source}), "
            f"which leaves {context_length - prompt_len} for the answer, not max_tokens {requested}.",
            "max_tokens", "context_length_exceeded",
        )
    return requested


def count_prompt_tokens(lm, p: Params) -> int:
    """Tokens the rendered chat prompt takes (Anthropic count_tokens), without generating."""
    tool_fmt, parse_tools, _ = _tool_setup(lm, model_text(lm.tokenizer).tools, p)
    p, _ = check_images(lm, p)
    kwargs = dict(p.template_kwargs)
    if p.enable_thinking is not None:
        kwargs["enable_thinking"] = p.enable_thinking
    tools_shown = p.tools if p.tools and p.tool_choice != "none" else None
    return len(_chat_prompt(lm, p, tools_shown, kwargs)[1])
