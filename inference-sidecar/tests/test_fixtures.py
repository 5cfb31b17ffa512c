"""Random-weight fixture models: HF cache layout, manifest, loading and generation in mlx-lm,
tokenizer round trips, templates, and a byte-identical rebuild."""

import hashlib
import json
import os
from pathlib import Path

import mlx.core as mx
import pytest
from huggingface_hub import snapshot_download
from mlx_lm import generate, load

from orchard_fixtures import FIXTURE_VERSION, MANIFEST_NAME, build, find


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hf-cache")
    build(path)
    return path


@pytest.fixture(scope="module")
def manifest(cache) -> dict:
    return json.loads((cache / MANIFEST_NAME).read_text())


def _tree(root: Path) -> dict[str, bytes]:
    """Every file under root (symlinks followed) with its bytes; locks and temp files excluded."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_file() and not rel.startswith(".orchard"):
            out[rel] = p.read_bytes()
    return out


def test_manifest_lists_every_random_fixture(manifest, cache):
    assert manifest["version"] == FIXTURE_VERSION
    by_repo = {f["repo_id"]: f for f in manifest["fixtures"]}
    assert by_repo["orchard-fixtures/random-llama"]["kind"] == "random-llama"
    assert by_repo["orchard-fixtures/random-llama-b"]["kind"] == "random-llama"
    assert by_repo["orchard-fixtures/random-qwen3"]["kind"] == "random-qwen3"
    assert by_repo["orchard-fixtures/random-llama"]["template"] == "llama3"
    assert by_repo["orchard-fixtures/random-qwen3"]["template"] == "qwen3"
    for f in manifest["fixtures"]:
        assert Path(f["path"]).is_dir()
        assert Path(f["path"]).parent.parent.parent == cache
    assert find(manifest, kind="random-qwen3")["repo_id"] == "orchard-fixtures/random-qwen3"
    with pytest.raises(KeyError):
        find(manifest, kind="no-such-kind")


def test_layout_is_the_hub_cache_layout(manifest, cache):
    f = find(manifest, repo_id="orchard-fixtures/random-llama")
    root = cache / "models--orchard-fixtures--random-llama"
    rev = (root / "refs" / "main").read_text()
    assert len(rev) == 40 and int(rev, 16) >= 0
    assert Path(f["path"]) == root / "snapshots" / rev
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"):
        link = Path(f["path"]) / name
        assert link.is_symlink()
        target = link.resolve()
        assert target.parent == (root / "blobs").resolve()
    st = (Path(f["path"]) / "model.safetensors").read_bytes()
    assert (Path(f["path"]) / "model.safetensors").resolve().name == hashlib.sha256(st).hexdigest()
    # huggingface_hub itself resolves the repo from this cache without any network.
    got = snapshot_download(
        "orchard-fixtures/random-llama", cache_dir=str(cache), local_files_only=True
    )
    assert Path(got) == Path(f["path"])


@pytest.mark.parametrize("repo", ["random-llama", "random-llama-b", "random-qwen3"])
def test_loads_and_generates_in_mlx_lm(manifest, repo):
    f = find(manifest, repo_id=f"orchard-fixtures/{repo}")
    model, tok, config = load(f["path"], return_config=True)
    assert config["hidden_size"] == 64 and config["num_hidden_layers"] == 2
    assert config["vocab_size"] >= len(tok.get_vocab())
    prompt = tok.apply_chat_template(
        [{"role": "user", "content": "Hello there"}], add_generation_prompt=True
    )
    tokens = []
    from mlx_lm import stream_generate

    for r in stream_generate(model, tok, prompt, max_tokens=8):
        tokens.append(r.token)
    assert 1 <= len(tokens) <= 8
    assert all(0 <= t < config["vocab_size"] for t in tokens)
    text = generate(model, tok, prompt, max_tokens=4)
    assert isinstance(text, str)


def test_two_llamas_differ_only_in_weights(manifest):
    a = Path(find(manifest, repo_id="orchard-fixtures/random-llama")["path"])
    b = Path(find(manifest, repo_id="orchard-fixtures/random-llama-b")["path"])
    assert (a / "config.json").read_bytes() == (b / "config.json").read_bytes()
    assert (a / "tokenizer.json").read_bytes() == (b / "tokenizer.json").read_bytes()
    wa, wb = mx.load(str(a / "model.safetensors")), mx.load(str(b / "model.safetensors"))
    assert wa.keys() == wb.keys()
    name = "model.layers.0.self_attn.q_proj.weight"
    assert not mx.array_equal(wa[name], wb[name]).item()


@pytest.mark.parametrize("repo", ["random-llama", "random-qwen3"])
def test_tokenizer_round_trips_any_text(manifest, repo):
    _, tok = load(find(manifest, repo_id=f"orchard-fixtures/{repo}")["path"])
    for text in [
        "The capital of France is Paris.",
        "héllo wörld 🍎 — 日本語\n\tcode(){}",
        "12345 6789",
    ]:
        ids = tok.encode(text, add_special_tokens=False)
        assert tok.decode(ids) == text
        detok = tok.detokenizer
        detok.reset()
        for t in ids:
            detok.add_token(t)
        detok.finalize()
        assert detok.text == text
    # Learned merges make common words shorter than their bytes.
    assert len(tok.encode("the capital", add_special_tokens=False)) < len("the capital")


def test_llama_template_and_special_tokens(manifest):
    _, tok = load(find(manifest, repo_id="orchard-fixtures/random-llama")["path"])
    text = tok.apply_chat_template(
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        add_generation_prompt=True,
        tokenize=False,
    )
    assert text == (
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    )
    assert tok.bos_token == "<|begin_of_text|>"
    assert tok.encode("x")[0] == tok.bos_token_id
    assert tok.convert_tokens_to_ids("<|eot_id|>") in tok.eos_token_ids
    assert tok.convert_tokens_to_ids("<|end_of_text|>") in tok.eos_token_ids


def test_qwen3_thinking_template(manifest):
    _, tok = load(find(manifest, repo_id="orchard-fixtures/random-qwen3")["path"])
    assert tok.has_thinking and tok.think_start == "<think>" and tok.think_end == "</think>"
    msgs = [{"role": "user", "content": "Hi"}]
    on = tok.apply_chat_template(
        msgs, add_generation_prompt=True, tokenize=False, enable_thinking=True
    )
    off = tok.apply_chat_template(
        msgs, add_generation_prompt=True, tokenize=False, enable_thinking=False
    )
    assert on == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    assert off == on + "<think>\n\n</think>\n\n"
    # Earlier turns' reasoning is dropped, the latest assistant turn after the last user keeps it.
    history = [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": "b", "reasoning_content": "old"},
        {"role": "user", "content": "c"},
        {"role": "assistant", "content": "d", "reasoning_content": "new"},
    ]
    text = tok.apply_chat_template(history, tokenize=False)
    assert "old" not in text and "<think>\nnew\n</think>\n\nd<|im_end|>" in text
    tools = [
        {
            "type": "function",
            "function": {"name": "f", "parameters": {"type": "object", "properties": {}}},
        }
    ]
    with_tools = tok.apply_chat_template(
        msgs, tools=tools, add_generation_prompt=True, tokenize=False
    )
    assert with_tools.startswith("<|im_start|>system\n# Tools\n")
    assert '"name": "f"' in with_tools and "<tool_call>" in with_tools
    assert tok.has_tool_calling and tok.tool_call_start == "<tool_call>"
    assert tok.eos_token == "<|im_end|>"


def test_build_is_deterministic_and_idempotent(cache, manifest, tmp_path):
    again = build(tmp_path)
    assert [f["revision"] for f in again["fixtures"]] == [
        f["revision"] for f in manifest["fixtures"]
    ]
    first = _tree(cache)
    second = _tree(tmp_path)
    strip = {k: v for k, v in first.items() if k != MANIFEST_NAME}
    assert strip == {k: v for k, v in second.items() if k != MANIFEST_NAME}

    blob = Path(find(again, repo_id="orchard-fixtures/random-llama")["path"]) / "model.safetensors"
    before = os.stat(blob.resolve()).st_mtime_ns
    assert build(tmp_path) == again
    assert os.stat(blob.resolve()).st_mtime_ns == before


def test_stale_manifest_is_rebuilt(tmp_path):
    m = build(tmp_path)
    victim = Path(find(m, repo_id="orchard-fixtures/random-qwen3")["path"])
    for p in victim.iterdir():
        p.unlink()
    victim.rmdir()
    m2 = build(tmp_path)
    assert Path(find(m2, repo_id="orchard-fixtures/random-qwen3")["path"]).is_dir()
    assert not list(tmp_path.glob(".orchard-tmp-*"))


def test_cli_builds(tmp_path):
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "orchard_sidecar.fixtures", "build", "--cache", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "built orchard-fixtures/random-llama" in out.stdout
    assert json.loads((tmp_path / MANIFEST_NAME).read_text())["version"] == FIXTURE_VERSION
    # The package's own entry point reads the same manifest (nothing left to build).
    again = subprocess.run(
        [sys.executable, "-m", "orchard_fixtures", "build", "--cache", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "fixtures ready" in again.stdout and "built " not in again.stdout


def test_old_entry_point_without_the_fixtures_package_says_what_to_install(tmp_path):
    import subprocess
    import sys

    # None in sys.modules makes the import fail as if the package were not installed.
    code = (
        "import sys; sys.modules['orchard_fixtures'] = None; "
        "from orchard_sidecar.fixtures.__main__ import main; "
        f"sys.exit(main(['build', '--cache', {str(tmp_path)!r}]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 2
    assert "orchard-fixtures" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / MANIFEST_NAME).exists()
