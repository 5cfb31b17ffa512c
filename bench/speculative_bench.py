"""Speculative decoding benchmark: prompt lookup against plain decoding on the same sidecar, in one run.

Two tasks on SmolLM2 at temperature 0: an edit (return a given ~300-token code file with one line
changed: the answer repeats the prompt) and a prompt with no repeats (lookup finds little; the ratio
shows what a miss costs). Runs alternate plain/speculative round by round so drift lands on both;
medians of decode tokens per second. Every speculative answer must equal the plain one token for token.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from sidecar_bench import STARTER, start_sidecar

# ~300 tokens of Python; the edit asks for one line changed.
CODE = '''import json
from pathlib import Path


class Inventory:
    """Items in a small shop, kept in a JSON file."""

    def __init__(self, path):
        self.path = Path(path)
        self.items = {}
        if self.path.exists():
            self.items = json.loads(self.path.read_text())

    def add(self, name, count=1):
        self.items[name] = self.items.get(name, 0) + count
        self.save()

    def remove(self, name, count=1):
        left = self.items.get(name, 0) - count
        if left <= 0:
            self.items.pop(name, None)
        else:
            self.items[name] = left
        self.save()

    def total(self):
        return sum(self.items.values())

    def names(self):
        return sorted(self.items)

    def save(self):
        self.path.write_text(json.dumps(self.items, indent=2))


def main():
    inventory = Inventory("inventory.json")
    inventory.add("apple", 3)
    inventory.add("pear", 2)
    inventory.remove("apple")
    print(inventory.names(), inventory.total())


if __name__ == "__main__":
    main()
'''
# Worded so the 135M starter follows it (it copies the file; whether it makes the edit is its own affair).
EDIT_PROMPT = "```python\n" + CODE + "```\n\nCopy the code above exactly, but write 5 instead of 2 in the pear line."
NO_REPEAT_PROMPT = "In one paragraph, explain how photosynthesis turns sunlight into sugar in a leaf."


def stream(client: httpx.Client, base: str, headers: dict, prompt: str, max_tokens: int, spec) -> dict:
    body = {
        "model": STARTER,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": max_tokens,
        "temperature": 0,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if spec is not None:
        body["speculative"] = spec
    first = last = None
    text, usage = [], None
    with client.stream("POST", base + "/v1/chat/completions", json=body, headers=headers) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            data = json.loads(line[6:])
            usage = data.get("usage") or usage
            for choice in data.get("choices") or []:
                piece = (choice.get("delta") or {}).get("content")
                if piece:
                    now = time.perf_counter()
                    first = first or now
                    last = now
                    text.append(piece)
    tokens = usage["completion_tokens"]
    return {"text": "".join(text), "tokens": tokens, "tps": (tokens - 1) / (last - first), "usage": usage}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    tasks = {"edit": (EDIT_PROMPT, 360), "no_repeats": (NO_REPEAT_PROMPT, 160)}
    lookup = {"method": "prompt_lookup"}
    results: dict = {"model": STARTER, "repeats": args.repeats, "tasks": {}}
    proc, base, headers = start_sidecar(args.cache)
    try:
        with httpx.Client(timeout=900) as client:
            for name, (prompt, max_tokens) in tasks.items():
                # Warm-up: load, compile, and put the prompt in the prefix cache for both runs alike.
                stream(client, base, headers, prompt, 8, None)
                plain, spec, identical = [], [], True
                accepted = proposed = 0
                for rnd in range(args.repeats):
                    order = [None, lookup] if rnd % 2 == 0 else [lookup, None]
                    runs = {}
                    for s in order:
                        runs["spec" if s else "plain"] = stream(client, base, headers, prompt, max_tokens, s)
                    plain.append(runs["plain"]["tps"])
                    spec.append(runs["spec"]["tps"])
                    identical &= runs["plain"]["text"] == runs["spec"]["text"]
                    got = runs["spec"]["usage"]["orchard"]["speculative"]
                    accepted, proposed = got["accepted"], got["proposed"]
                    print(f"bench:   round {rnd + 1} {name} plain {plain[-1]:.2f} tok/s, prompt lookup "
                          f"{spec[-1]:.2f} tok/s, accepted {accepted}/{proposed}, "
                          f"{runs['spec']['tokens']} tokens", flush=True)
                results["tasks"][name] = {
                    "plain_tps": statistics.median(plain), "prompt_lookup_tps": statistics.median(spec),
                    "identical_output": identical, "completion_tokens": runs["plain"]["tokens"],
                    "accepted": accepted, "proposed": proposed,
                }
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    t = results["tasks"]
    results["ratios"] = {
        "prompt_lookup_edit_vs_plain": t["edit"]["prompt_lookup_tps"] / t["edit"]["plain_tps"],
        "prompt_lookup_no_repeats_vs_plain": t["no_repeats"]["prompt_lookup_tps"] / t["no_repeats"]["plain_tps"],
        # 1 when every speculative answer equals the plain one (greedy parity), else 0.
        "identical_output": float(t["edit"]["identical_output"] and t["no_repeats"]["identical_output"]),
    }
    # The no-repeats bound: a miss may cost at most 10% (lookups run in Python between steps).
    results["targets"] = {"prompt_lookup_edit_vs_plain": 1.8, "prompt_lookup_no_repeats_vs_plain": 0.9,
                          "identical_output": 1}
    print(f"bench: {json.dumps(results['ratios'])}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"bench: wrote {args.out}", flush=True)


if __name__ == "__main__":
    main()
