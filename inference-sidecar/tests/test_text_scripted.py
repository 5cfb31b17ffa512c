"""The text layer on real mlx-lm output: scripted fixture models decoded greedily, token by token.

Reasoning, content and tool calls must equal what each fixture's manifest says it emits.
"""

import pytest
from mlx_lm import load, stream_generate
from mlx_lm.sample_utils import make_sampler

from orchard_fixtures import find
from orchard_sidecar.text import (
    ContentDelta,
    Finish,
    ReasoningDelta,
    detect_reasoning_format,
    make_controller,
)
from orchard_sidecar.text.events import ToolCallStart
from orchard_sidecar.text.hooks import build_logits_processors
from orchard_sidecar.text.reasoning import starts_in_reasoning
from orchard_sidecar.text.tool_parsers import detect_tool_format

KINDS = ["scripted-reasoner", "scripted-tools-hermes", "scripted-tools-qwen3-coder", "scripted-harmony",
         "scripted-harmony-tools"]


def run_fixture(entry, *, stops=(), budget=None, max_tokens=64):
    model, tok = load(entry["path"])
    tools = entry.get("tools")
    prompt = tok.apply_chat_template([{"role": "user", "content": "Go"}], tools=tools,
                                     add_generation_prompt=True, tokenize=False)
    rfmt = detect_reasoning_format(tok.chat_template, tok.vocab)
    tfmt = detect_tool_format(tok.chat_template, tok.vocab)
    in_reasoning = starts_in_reasoning(prompt, rfmt)
    ctl = make_controller(reasoning_format=rfmt, prompt_text=prompt, stops=stops, tool_format=tfmt, tools=tools)
    procs = build_logits_processors(tok, reasoning_format=rfmt, in_reasoning=in_reasoning or rfmt == "harmony",
                                    reasoning_budget=budget)
    events, reason = [], "length"
    for r in stream_generate(model, tok, prompt, max_tokens=max_tokens, sampler=make_sampler(temp=0.0),
                             logits_processors=procs):
        events += ctl.feed(r.text)
        if ctl.stopped:
            reason = "stop"
            break
        if r.finish_reason:
            reason = r.finish_reason
    events += ctl.finish(reason)
    return ctl, events, procs


def split(events):
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    content = "".join(e.text for e in events if isinstance(e, ContentDelta))
    return reasoning, content


@pytest.mark.parametrize("kind", KINDS)
def test_scripted_output_is_split_as_manifest_says(manifest, kind):
    entry = find(manifest, kind=kind)
    ctl, events, _ = run_fixture(entry)
    reasoning, content = split(events)
    assert reasoning == entry["reasoning"]
    assert content == entry["content"]
    assert [{"name": c["name"], "arguments": c["arguments"]} for c in ctl.tool_calls] == entry["tool_calls"]
    finish = events[-1]
    assert isinstance(finish, Finish)
    assert finish.reason == ("tool_calls" if entry["tool_calls"] else "stop")
    assert sum(isinstance(e, ToolCallStart) for e in events) == len(entry["tool_calls"])


def test_stop_inside_reasoning_does_not_stop_the_answer(manifest):
    entry = find(manifest, kind="scripted-reasoner")
    assert "5" in entry["reasoning"] and "5" in entry["content"]
    ctl, events, _ = run_fixture(entry, stops=["5"])
    reasoning, content = split(events)
    assert reasoning == entry["reasoning"]
    assert content == entry["content"].split("5")[0]
    assert events[-1] == Finish("stop", "5", {})


def test_budget_cuts_reasoning_on_real_model(manifest):
    entry = find(manifest, kind="scripted-reasoner")
    ctl, events, procs = run_fixture(entry, budget=4)
    reasoning, content = split(events)
    assert procs[0].step.forced
    assert len(reasoning) < len(entry["reasoning"])
    assert entry["reasoning"].startswith(reasoning)
