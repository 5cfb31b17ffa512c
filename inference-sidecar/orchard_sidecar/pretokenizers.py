"""Pre-tokenizer split patterns of the byte-level BPE families Orchard rebuilds tokenizers for.

Shared by the GGUF importer (which maps a GGUF's `tokenizer.ggml.pre` to one) and the fixture builders.
"""

# The two families differ in digits only (Llama 3 groups up to 3 digits, Qwen 1).
LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

__all__ = ["LLAMA3_SPLIT", "QWEN_SPLIT"]
