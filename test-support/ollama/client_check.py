"""Drives Orchard's Ollama-compatible API with the official `ollama` Python client.

Run by src-main/core/gateway/ollama/ollama.client.test.ts with OLLAMA_HOST set to a running Orchard; argv[1] is
a JSON object naming the fixture models. Each step's result (or its error) goes into one JSON object on stdout.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback

import httpx
import ollama

cfg = json.loads(sys.argv[1])
client = ollama.Client(host=os.environ["OLLAMA_HOST"], timeout=120)
out: dict = {}


def step(name):
    def run(fn):
        print(f"step {name}", file=sys.stderr, flush=True)
        try:
            out[name] = fn()
        except ollama.ResponseError as e:
            out[name] = {"error": e.error, "status": e.status_code}
        except Exception as e:  # anything else is a failure the test reports whole
            out[name] = {"exception": repr(e), "trace": traceback.format_exc()}
        return fn

    return run


def names():
    return sorted(m.model for m in client.list().models)


R = cfg["reasoner"]
H = cfg["hermes"]
opts = {"temperature": 0, "num_predict": 64}


@step("version")
def _():
    return httpx.get(f"{os.environ['OLLAMA_HOST']}/api/version").json()


@step("list")
def _():
    models = client.list().models
    m = next(x for x in models if x.model == R)
    return {
        "names": sorted(x.model for x in models),
        "size": m.size,
        "family": m.details.family,
        "digest": m.digest,
        "modified": m.modified_at.isoformat(),
    }


@step("show")
def _():
    s = client.show(R)
    return {
        "capabilities": s.capabilities,
        "model_info": dict(s.modelinfo or {}),
        "template": len(s.template or ""),
        "details": s.details.model_dump(),
    }


@step("chat")
def _():
    r = client.chat(model=R, messages=[{"role": "user", "content": "Count."}], options=opts)
    return {
        "content": r.message.content,
        "thinking": r.message.thinking,
        "done": r.done,
        "done_reason": r.done_reason,
        "eval_count": r.eval_count,
        "prompt_eval_count": r.prompt_eval_count,
        "total_duration": r.total_duration,
        "model": r.model,
    }


@step("chat_stream")
def _():
    parts = list(
        client.chat(
            model=R, messages=[{"role": "user", "content": "Count."}], options=opts, stream=True
        )
    )
    return {
        "content": "".join(p.message.content or "" for p in parts),
        "thinking": "".join(p.message.thinking or "" for p in parts),
        "chunks": len(parts),
        "last_done": parts[-1].done,
        "done_before_last": any(p.done for p in parts[:-1]),
        "eval_count": parts[-1].eval_count,
    }


@step("generate")
def _():
    r = client.generate(model=R, prompt="Count.", options=opts)
    return {"response": r.response, "thinking": r.thinking, "done": r.done}


@step("generate_stream")
def _():
    parts = list(client.generate(model=R, prompt="Count.", options=opts, stream=True))
    return {"response": "".join(p.response or "" for p in parts), "last_done": parts[-1].done}


@step("tools")
def _():
    tools = cfg["hermes_tools"]
    r = client.chat(
        model=H,
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=tools,
        options=opts,
    )
    calls = [
        {"name": c.function.name, "arguments": dict(c.function.arguments)}
        for c in r.message.tool_calls or []
    ]
    streamed = []
    for p in client.chat(
        model=H,
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=tools,
        options=opts,
        stream=True,
    ):
        streamed += [
            {"name": c.function.name, "arguments": dict(c.function.arguments)}
            for c in p.message.tool_calls or []
        ]
    # The result goes back as Ollama clients send it: a tool message named by the tool.
    follow = client.chat(
        model=H,
        options=opts,
        tools=tools,
        messages=[
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": "", "tool_calls": [{"function": c} for c in calls]},
            {"role": "tool", "content": "sunny", "tool_name": calls[0]["name"] if calls else "x"},
        ],
    )
    return {"calls": calls, "streamed": streamed, "follow_done": follow.done}


@step("keep_alive")
def _():
    client.chat(
        model=R, messages=[{"role": "user", "content": "Count."}], options=opts, keep_alive="10m"
    )
    loaded = {m.model: m for m in client.ps().models}
    r = loaded.get(R)
    ttl = (r.expires_at.timestamp() - time.time()) if r and r.expires_at else None
    unload = client.generate(model=R, keep_alive=0)
    after = [m.model for m in client.ps().models]
    load = client.generate(model=R)
    return {
        "loaded": R in loaded,
        "seconds_left": ttl,
        "size_vram": r.size_vram if r else None,
        "unload_reason": unload.done_reason,
        "after_unload": after,
        "load_reason": load.done_reason,
        "after_load": [m.model for m in client.ps().models],
    }


@step("copy")
def _():
    client.copy(R, "counter:v1")
    listed = "counter:v1" in names()
    r = client.chat(
        model="counter:v1", messages=[{"role": "user", "content": "Count."}], options=opts
    )
    client.delete("counter:v1")
    return {
        "listed": listed,
        "content": r.message.content,
        "after_delete": "counter:v1" in names(),
        "source_kept": R in names(),
    }


@step("pull")
def _():
    statuses = [p.model_dump(exclude_none=True) for p in client.pull(cfg["pull"], stream=True)]
    return {"statuses": statuses}


@step("listed_after_pull")
def _():
    # Right after "success", as Ollama's clients list again at once.
    return cfg["pull"] in names()


@step("delete")
def _():
    s = client.delete(cfg["pull"])
    return {"status": s.status, "listed": cfg["pull"] in names()}


@step("unknown_model")
def _():
    return client.chat(
        model="nobody/nothing", messages=[{"role": "user", "content": "x"}]
    ).model_dump()


@step("image_on_text_model")
def _():
    png = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")
    return client.chat(
        model=R,
        messages=[{"role": "user", "content": "What is it?", "images": [png]}],
        options=opts,
    ).model_dump()


print(json.dumps(out, default=str))
