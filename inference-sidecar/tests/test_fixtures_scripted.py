"""Scripted fixture models: greedy decoding through the real mlx-lm engine emits exactly the
manifest's raw text, whatever the user wrote, and the manifest's split agrees with that text."""

import json
import re
from pathlib import Path

import mlx.core as mx
import pytest
from mlx_lm import batch_generate, generate, load, stream_generate
from mlx_lm.sample_utils import make_sampler
from mlx_lm.tool_parsers import qwen3_coder

from orchard_fixtures import build, find
from orchard_sidecar.serving.model_text import model_text

SCRIPTED = [
    "scripted-reasoner",
    "scripted-tools-hermes",
    "scripted-tools-qwen3-coder",
    "scripted-harmony",
    "scripted-harmony-tools",
    "scripted-markdown",
    "scripted-tools-hermes-parallel",
    "scripted-tools-llama3",
    "scripted-tools-llama3-json",
    "scripted-tools-mistral",
    "scripted-tools-mistral-args",
    "scripted-tools-glm",
    "scripted-tools-mcp",
]
# Tool models whose split is checked with mlx-lm's own parser: (Orchard's format, mlx-lm's parser).
TOOL_SPLITS = {
    "scripted-tools-hermes-parallel": ("hermes", "json_tools"),
    "scripted-tools-llama3": ("llama3", None),
    "scripted-tools-llama3-json": ("llama3", None),
    "scripted-tools-mistral": ("mistral", "mistral"),
    "scripted-tools-mistral-args": ("mistral", "mistral"),
    "scripted-tools-glm": ("glm", "glm47"),
    "scripted-tools-mcp": ("hermes", "json_tools"),
}

CONVERSATIONS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "count 1 2 3 <think>"},
    ],
    [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "Weather in Paris, please. ünïcödé ✓"},
    ],
    [{"role": "user", "content": ""}],
]


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    return build(tmp_path_factory.mktemp("hf-cache"))


@pytest.fixture(scope="module")
def loaded(manifest):
    cache = {}

    def get(name):
        if name not in cache:
            f = find(manifest, repo_id=f"orchard-fixtures/{name}")
            cache[name] = (f, *load(f["path"]))
        return cache[name]

    return get


def _prompt(f, tok, messages, **kw):
    return tok.apply_chat_template(
        messages, tools=f["tools"] or None, add_generation_prompt=True, **kw
    )


@pytest.mark.parametrize("name", SCRIPTED)
def test_greedy_output_is_the_manifest_text(loaded, name):
    f, model, tok = loaded(name)
    for messages in CONVERSATIONS:
        prompt = _prompt(f, tok, messages)
        assert generate(model, tok, prompt, max_tokens=100) == f["raw"]
        pieces = list(stream_generate(model, tok, prompt, max_tokens=100))
        assert "".join(r.text for r in pieces) == f["raw"]
        assert pieces[-1].finish_reason == "stop"
        assert len(pieces) == f["greedy_tokens"] + 1  # the last response carries the eos
        assert tok.decode([r.token for r in pieces[:-1]]) == f["raw"]


@pytest.mark.parametrize("name", SCRIPTED)
def test_batch_generator_and_sampling_stay_on_script(loaded, name):
    f, model, tok = loaded(name)
    prompts = [_prompt(f, tok, m) for m in CONVERSATIONS]
    out = batch_generate(model, tok, prompts, max_tokens=100, return_token_ids=True)
    assert [tok.decode(ids) for ids in out.token_ids] == [f["raw"]] * len(prompts)
    mx.random.seed(0)
    for temp in (0.7, 1.0):
        sampler = make_sampler(temp=temp, top_p=0.95)
        assert generate(model, tok, prompts[0], max_tokens=100, sampler=sampler) == f["raw"]


def test_endless_script_loops_until_max_tokens(loaded):
    f, model, tok = loaded("scripted-endless")
    assert f["loop"] is True
    turn = f["greedy_tokens"]
    for messages in CONVERSATIONS:
        pieces = list(stream_generate(model, tok, _prompt(f, tok, messages), max_tokens=3 * turn + 4))
        assert "".join(r.text for r in pieces) == f["raw"] * 3 + "".join(r.text for r in pieces[-4:])
        assert f["raw"].startswith("".join(r.text for r in pieces[-4:]))
        assert pieces[-1].finish_reason == "length"
    sampler = make_sampler(temp=1.0, top_p=0.95)
    text = generate(model, tok, _prompt(f, tok, CONVERSATIONS[0]), max_tokens=500, sampler=sampler)
    assert text == (f["raw"] * 50)[: len(text)] and len(text) > 20 * len(f["raw"])


def test_max_tokens_cuts_the_reasoner_inside_its_thinking(loaded):
    f, model, tok = loaded("scripted-reasoner")
    text = generate(model, tok, _prompt(f, tok, CONVERSATIONS[0]), max_tokens=5)
    assert f["raw"].startswith(text) and "</think>" not in text


def test_reasoner_manifest_split_and_no_thinking(loaded):
    f, model, tok = loaded("scripted-reasoner")
    assert f["template"] == "qwen3" and tok.has_thinking
    m = re.fullmatch(r"<think>(.*)</think>(.*)", f["raw"], re.S)
    assert m and m.group(1).strip() == f["reasoning"] and m.group(2).strip() == f["content"]
    # Characters recur inside different tokens: "6" is in " 6" (thinking) and " 6," (answer).
    assert "6" in f["reasoning"] and "6" in f["content"]
    prompt = _prompt(f, tok, CONVERSATIONS[0], enable_thinking=False)
    assert generate(model, tok, prompt, max_tokens=100) == f["no_thinking"]["raw"] == f["content"]


def _reference_split(f, tok) -> tuple[str, str, list[dict]]:
    """reasoning, content and calls of the raw text by mlx-lm's parser (JSON for Llama: it has none)."""
    raw, reasoning = f["raw"], ""
    if "</think>" in raw:
        reasoning, raw = re.fullmatch(r"\s*<think>(.*)</think>(.*)", raw, re.S).groups()
    if tok.tool_parser is None:
        obj = json.loads(raw.removeprefix("<|python_tag|>"))
        return reasoning, "", [{"name": obj["name"], "arguments": obj["parameters"]}]
    start, end = tok.tool_call_start, tok.tool_call_end
    i = raw.index(start)
    if end:
        bodies = re.findall(re.escape(start) + "(.*?)" + re.escape(end), raw[i:], re.S)
        assert "".join(f"{start}{b}{end}" for b in bodies) == raw[i:].replace(f"{end}\n{start}", end + start)
    else:
        bodies = [raw[i + len(start):]]
    calls = []
    for body in bodies:
        parsed = tok.tool_parser(body, f["tools"])
        calls.extend(parsed if isinstance(parsed, list) else [parsed])
    return reasoning.strip(), raw[:i].strip(), [{"name": c["name"], "arguments": c["arguments"]} for c in calls]


@pytest.mark.parametrize("name", sorted(TOOL_SPLITS))
def test_tool_model_split_agrees_with_mlx_lm_and_detection(loaded, name):
    f, _, tok = loaded(name)
    ours, theirs = TOOL_SPLITS[name]
    # The sidecar's detection and mlx-lm's inference both read the family off the template.
    assert model_text(tok).tools.name == ours
    assert tok._tokenizer.init_kwargs.get("tool_parser_type") == theirs
    assert _reference_split(f, tok) == (f["reasoning"], f["content"], f["tool_calls"])
    text = tok.apply_chat_template(
        [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"}],
        tools=f["tools"], add_generation_prompt=True, tokenize=False,
    )
    assert all(t["function"]["description"] in text for t in f["tools"])


def test_parallel_model_makes_two_calls(loaded):
    f, _, _ = loaded("scripted-tools-hermes-parallel")
    assert len(f["tool_calls"]) == 2 and f["raw"].count("<tool_call>") == 2


def test_llama3_python_tag_ends_the_message_with_eom(loaded):
    f, model, tok = loaded("scripted-tools-llama3")
    assert f["raw"].startswith("<|python_tag|>") and f["eos_token"] == "<|eom_id|>"
    assert tok.eos_token == "<|eot_id|>" and tok.convert_tokens_to_ids("<|eom_id|>") in tok.eos_token_ids
    g, _, _ = loaded("scripted-tools-llama3-json")
    assert g["raw"].startswith("{") and g["eos_token"] == "<|eot_id|>"
    # History renders calls the way Llama 3.1 does: bare JSON with "parameters", then <|eot_id|>.
    history = [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "tool_calls": [{"type": "function", "function": WEATHER_FN}]},
        {"role": "tool", "content": "21"},
    ]
    text = tok.apply_chat_template(history, tools=f["tools"], add_generation_prompt=True, tokenize=False)
    assert '{"name": "get_weather", "parameters": {"city": "Paris"}}<|eot_id|>' in text
    assert "<|start_header_id|>ipython<|end_header_id|>\n\n21<|eot_id|>" in text
    assert generate(model, tok, text, max_tokens=100) == f["raw"]


WEATHER_FN = {"name": "get_weather", "arguments": {"city": "Paris"}}


def test_mistral_templates_render_both_call_forms(loaded):
    for name, call in (
        ("scripted-tools-mistral", '[TOOL_CALLS] [{"name": "get_weather", "arguments": {"city": "Paris"}, "id": "abc123XYZ"}]</s>'),
        ("scripted-tools-mistral-args", '[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}</s>'),
    ):
        f, model, tok = loaded(name)
        history = [
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "tool_calls": [{"id": "abc123XYZ", "type": "function", "function": WEATHER_FN}]},
            {"role": "tool", "tool_call_id": "abc123XYZ", "content": "21"},
            {"role": "user", "content": "And now?"},
        ]
        text = tok.apply_chat_template(history, tools=f["tools"], add_generation_prompt=True, tokenize=False)
        assert call in text and text.endswith("[/INST]") and "[TOOL_RESULTS]" in text
        assert generate(model, tok, text, max_tokens=100) == f["raw"]


def test_glm_template_and_no_thinking(loaded):
    f, model, tok = loaded("scripted-tools-glm")
    assert tok.has_thinking and model_text(tok).reasoning == "think"
    history = [
        {"role": "user", "content": "Forecast?"},
        {"role": "assistant", "tool_calls": [{"type": "function", "function": {
            "name": "get_forecast", "arguments": {"city": "Paris", "days": 3}}}]},
        {"role": "tool", "content": "sunny"},
    ]
    text = tok.apply_chat_template(history, tools=f["tools"], add_generation_prompt=True, tokenize=False)
    assert text.startswith("[gMASK]<sop><|system|>\n# Tools")
    assert ("<|assistant|>\n<think></think>\n<tool_call>get_forecast\n<arg_key>city</arg_key>\n"
            "<arg_value>Paris</arg_value>\n<arg_key>days</arg_key>\n<arg_value>3</arg_value>\n</tool_call>"
            "<|observation|>\n<tool_response>\nsunny\n</tool_response><|assistant|>") in text
    # Thinking off pre-fills an empty think block; the script then goes straight to the call.
    prompt = tok.apply_chat_template(CONVERSATIONS[0], tools=f["tools"], add_generation_prompt=True,
                                     enable_thinking=False)
    assert generate(model, tok, prompt, max_tokens=100) == f["raw"].split("</think>", 1)[1]


def test_hermes_manifest_split(loaded):
    f, _, tok = loaded("scripted-tools-hermes")
    assert f["template"] == "chatml-hermes" and not tok.has_thinking
    assert tok.has_tool_calling and tok.tool_call_start == "<tool_call>"
    inner = re.fullmatch(r"<tool_call>(.*)</tool_call>", f["raw"], re.S).group(1)
    assert [json.loads(inner)] == f["tool_calls"]
    assert f["content"] == "" and f["reasoning"] == ""
    system = tok.apply_chat_template(
        [{"role": "user", "content": "x"}], tools=f["tools"], tokenize=False
    )
    assert '"name": "get_weather"' in system and "<tools>" in system


def test_qwen3_coder_manifest_split(loaded):
    f, _, tok = loaded("scripted-tools-qwen3-coder")
    assert tok.tool_call_start == "<tool_call>"
    # mlx-lm inferred its Qwen3-Coder parser from the template; run that parser on the raw text.
    assert tok._tokenizer.init_kwargs.get("tool_parser_type") == "qwen3_coder"
    before, inner = re.fullmatch(r"(.*)<tool_call>(.*)</tool_call>", f["raw"], re.S).groups()
    assert before.strip() == f["content"]
    call = qwen3_coder.parse_tool_call(inner, f["tools"])
    assert [{"name": call["name"], "arguments": call["arguments"]}] == f["tool_calls"]
    system = tok.apply_chat_template(
        [{"role": "user", "content": "x"}], tools=f["tools"], tokenize=False
    )
    assert "<function>\n<name>get_weather</name>" in system


def test_harmony_manifest_split(loaded):
    f, _, tok = loaded("scripted-harmony")
    m = re.fullmatch(
        r"<\|channel\|>analysis<\|message\|>(.*)<\|end\|><\|start\|>assistant<\|channel\|>final<\|message\|>(.*)",
        f["raw"],
        re.S,
    )
    assert m and m.group(1) == f["reasoning"] and m.group(2) == f["content"]
    assert f["eos_token"] == "<|return|>"
    g, _, _ = loaded("scripted-harmony-tools")
    m = re.fullmatch(
        r"<\|channel\|>commentary to=functions\.(\w+) <\|constrain\|>json<\|message\|>(.*)",
        g["raw"],
        re.S,
    )
    assert [{"name": m.group(1), "arguments": json.loads(m.group(2))}] == g["tool_calls"]
    assert g["eos_token"] == "<|call|>"
    text = tok.apply_chat_template(
        [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"}],
        tools=g["tools"],
        add_generation_prompt=True,
        tokenize=False,
    )
    assert text.startswith("<|start|>system<|message|>")
    assert "<|start|>developer<|message|># Instructions\n\nBe kind." in text
    assert "type get_weather = (_: {" in text and text.endswith(
        "<|start|>user<|message|>Hi<|end|><|start|>assistant"
    )


def test_scripted_weights_are_a_real_llama(manifest):
    f = find(manifest, kind="scripted-reasoner")
    config = json.loads((Path(f["path"]) / "config.json").read_text())
    assert config["model_type"] == "llama" and config["tie_word_embeddings"] is False
    assert config["hidden_size"] > f["greedy_tokens"]


def test_mcp_model_answers_once_a_tool_result_came_last(loaded):
    f, model, tok = loaded("scripted-tools-mcp")
    call = {"type": "function", "id": "c1", "function": {"name": "echo", "arguments": {"message": "x"}}}
    for result in ("Echo: orchard-mcp-check", "an error: the user declined"):
        history = [
            {"role": "user", "content": "Echo something"},
            {"role": "assistant", "content": "", "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "c1", "content": result},
        ]
        text = generate(model, tok, _prompt(f, tok, history), max_tokens=100)
        assert text == f["after_tool"]["raw"] == "The echo tool answered."
    # A user turn after the tool round starts the loop again with a call.
    history.append({"role": "user", "content": "Again"})
    assert generate(model, tok, _prompt(f, tok, history), max_tokens=100) == f["raw"]
