#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Independent reference for the live model on real weights (core/model/checkpoint_weights.h + LlamaModel).

1. Writes a tiny Hugging Face checkpoint with random weights: config.json and safetensors written by hand
   (8-byte little-endian header length, JSON header, raw little-endian data), one file or sharded with a
   model.safetensors.index.json, fp32 or bf16.
2. Reads it back with its own safetensors parser and runs the decoder forward pass in float64 NumPy,
   written from Hugging Face transformers' modeling_llama.py / modeling_mistral.py / modeling_qwen2.py /
   modeling_qwen3.py (RMSNorm, rotate_half RoPE, repeat_kv grouped-query attention with a causal mask,
   SwiGLU MLP, Qwen2's q/k/v biases, Qwen3's per-head q/k RMSNorm before RoPE, tied embeddings) and
   modeling_rope_utils.py (default, linear, llama3 and yarn frequencies).
3. Prints JSON: {"tokens": [...], "logits": [last position's logits]}.

It shares nothing with the C++: no folding of norm gains, no fused projections, no K/V cache.

Usage: hf_reference_forward.py DIR --arch llama|mistral|qwen2|qwen3 [--sharded] [--bf16] [--seed N]
                               [--tokens 1,2,3]
       hf_reference_forward.py DIR --config published/config.json --bf16 --no-logits   (random weights)
       hf_reference_forward.py DIR --read-only --tokens 1,2,3   (an existing checkpoint: logits only)
NumPy and the standard library only.
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np

# hidden 64, 2 layers: small enough that CI runs one reference per architecture in well under a second.
BASE = {
    "hidden_size": 64,
    "intermediate_size": 96,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "vocab_size": 300,
    "rms_norm_eps": 1e-6,
    "max_position_embeddings": 2048,
}

# One variant per architecture, chosen so that together they cover every feature the C++ computes.
ARCH = {
    # Llama 3.2 style: tied embeddings, llama3 RoPE scaling.
    "llama": {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "rope_theta": 500000.0,
              "tie_word_embeddings": True, "attention_bias": False,
              "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                               "high_freq_factor": 4.0, "original_max_position_embeddings": 64}},
    # Mistral 7B v0.3 style: untied, no window, linear RoPE scaling to cover that type.
    "mistral": {"model_type": "mistral", "architectures": ["MistralForCausalLM"], "rope_theta": 1000000.0,
                "tie_word_embeddings": False, "sliding_window": None,
                "rope_scaling": {"type": "linear", "factor": 2.0}},
    # Qwen2.5 style: q/k/v biases, tied, yarn RoPE scaling.
    "qwen2": {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "rope_theta": 1000000.0,
              "tie_word_embeddings": True, "use_sliding_window": False,
              "rope_scaling": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 512}},
    # Qwen3 style: head_dim 32 (heads x head_dim != hidden), q/k norm, untied, no scaling.
    "qwen3": {"model_type": "qwen3", "architectures": ["Qwen3ForCausalLM"], "rope_theta": 1000000.0,
              "head_dim": 32, "tie_word_embeddings": False, "attention_bias": False,
              "use_sliding_window": False},
}


def config_for(arch):
    cfg = dict(BASE)
    cfg.update(ARCH[arch])
    return cfg


def head_dim(cfg):
    return cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]


def tensor_shapes(cfg):
    """name -> shape, as the Hugging Face model's state dict holds them (nn.Linear weight = (out, in))."""
    d, f, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    hd = head_dim(cfg)
    q, kv = cfg["num_attention_heads"] * hd, cfg["num_key_value_heads"] * hd
    shapes = {"model.embed_tokens.weight": (v, d), "model.norm.weight": (d,)}
    if not cfg.get("tie_word_embeddings"):
        shapes["lm_head.weight"] = (v, d)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        shapes[p + "input_layernorm.weight"] = (d,)
        shapes[p + "post_attention_layernorm.weight"] = (d,)
        shapes[p + "self_attn.q_proj.weight"] = (q, d)
        shapes[p + "self_attn.k_proj.weight"] = (kv, d)
        shapes[p + "self_attn.v_proj.weight"] = (kv, d)
        shapes[p + "self_attn.o_proj.weight"] = (d, q)
        if cfg["model_type"] == "qwen2":
            shapes[p + "self_attn.q_proj.bias"] = (q,)
            shapes[p + "self_attn.k_proj.bias"] = (kv,)
            shapes[p + "self_attn.v_proj.bias"] = (kv,)
        if cfg["model_type"] == "qwen3":
            shapes[p + "self_attn.q_norm.weight"] = (hd,)
            shapes[p + "self_attn.k_norm.weight"] = (hd,)
        shapes[p + "mlp.gate_proj.weight"] = (f, d)
        shapes[p + "mlp.up_proj.weight"] = (f, d)
        shapes[p + "mlp.down_proj.weight"] = (d, f)
    return shapes


def random_weights(cfg, seed):
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape in tensor_shapes(cfg).items():
        if name.endswith("norm.weight") or name.endswith("layernorm.weight"):
            out[name] = (1.0 + 0.2 * rng.uniform(-1, 1, shape)).astype(np.float32)
        elif name == "model.embed_tokens.weight":
            out[name] = rng.standard_normal(shape, dtype=np.float32)
        elif name.endswith(".bias"):
            out[name] = rng.standard_normal(shape, dtype=np.float32) * np.float32(0.1)
        else:  # std 1/sqrt(fan_in): activations O(1), logits O(1)
            out[name] = rng.standard_normal(shape, dtype=np.float32) * np.float32(1.0 / math.sqrt(shape[1]))
    return out


def to_bf16_bits(a):
    """float32 -> bfloat16 bit patterns (uint16), round to nearest even."""
    bits = a.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def write_safetensors(path, tensors, bf16):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        a = tensors[name]
        raw = to_bf16_bits(a).tobytes() if bf16 else a.astype("<f4").tobytes()
        header[name] = {"dtype": "BF16" if bf16 else "F32", "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)  # the format pads the header to 8 bytes with spaces
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def bytes_to_unicode():
    """GPT-2's byte -> printable character table (byte-level BPE's alphabet)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + \
        list(range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def write_tokenizer(directory):
    """A byte-level BPE tokenizer.json: id = byte value, plus one merge "e r" -> 256 (vocab 257 < 300)."""
    alphabet = bytes_to_unicode()
    vocab = {alphabet[b]: b for b in range(256)}
    vocab["er"] = 256
    tok = {"version": "1.0", "added_tokens": [], "normalizer": None,
           "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                             "use_regex": True},
           "post_processor": None, "decoder": {"type": "ByteLevel"},
           "model": {"type": "BPE", "vocab": vocab, "merges": ["e r"]}}
    with open(os.path.join(directory, "tokenizer.json"), "w") as f:
        json.dump(tok, f)


def write_checkpoint(directory, cfg, sharded, bf16, seed):
    os.makedirs(directory, exist_ok=True)
    write_tokenizer(directory)
    cfg = dict(cfg)
    cfg["torch_dtype"] = "bfloat16" if bf16 else "float32"
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    weights = random_weights(cfg, seed)
    if not sharded:
        write_safetensors(os.path.join(directory, "model.safetensors"), weights, bf16)
        return
    # Two shards: layer 0 with the embeddings, the rest with the head, as transformers splits by size.
    names = sorted(weights)
    first = [n for n in names if n.startswith("model.layers.0.") or n == "model.embed_tokens.weight"]
    second = [n for n in names if n not in first]
    files = {"model-00001-of-00002.safetensors": first, "model-00002-of-00002.safetensors": second}
    weight_map = {}
    for file, group in files.items():
        write_safetensors(os.path.join(directory, file), {n: weights[n] for n in group}, bf16)
        weight_map.update({n: file for n in group})
    with open(os.path.join(directory, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=2)


# --- reading back (own parser) ---

def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = data[base + begin:base + end]
        if info["dtype"] == "F32":
            a = np.frombuffer(raw, dtype="<f4")
        elif info["dtype"] == "BF16":
            a = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise SystemExit(f"{path}: {name}: dtype {info['dtype']} not handled by the reference")
        out[name] = a.reshape(info["shape"]).astype(np.float64)
    return out


def read_checkpoint(directory):
    with open(os.path.join(directory, "config.json")) as f:
        cfg = json.load(f)
    index = os.path.join(directory, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = sorted(n for n in os.listdir(directory) if n.endswith(".safetensors"))
    weights = {}
    for file in files:
        weights.update(read_safetensors(os.path.join(directory, file)))
    return cfg, weights


# --- modeling_rope_utils.py ---

def rope_parameters(cfg):
    """(inv_freq (hd/2,), attention_factor) as transformers computes them, in float64."""
    base = cfg.get("rope_theta", 10000.0)
    dim = head_dim(cfg)
    inv_freq = 1.0 / (base ** (np.arange(0, dim, 2, dtype=np.float64) / dim))
    scaling = cfg.get("rope_scaling") or {}
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    if kind == "default":
        return inv_freq, 1.0
    if kind == "linear":
        return inv_freq / scaling["factor"], 1.0
    if kind == "llama3":
        factor, low, high = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"]
        old = scaling["original_max_position_embeddings"]
        low_wavelen, high_wavelen = old / low, old / high
        wavelen = 2 * math.pi / inv_freq
        llama = np.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * llama / factor + smooth * llama
        medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
        return np.where(medium, smoothed, llama), 1.0
    if kind == "yarn":
        factor = scaling.get("factor")
        original = scaling.get("original_max_position_embeddings") or cfg["max_position_embeddings"]
        if factor is None:
            factor = cfg["max_position_embeddings"] / original

        def mscale(scale, m=1.0):
            return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0

        attention = scaling.get("attention_factor")
        if attention is None:
            m, m_all = scaling.get("mscale"), scaling.get("mscale_all_dim")
            attention = mscale(factor, m) / mscale(factor, m_all) if m and m_all else mscale(factor)
        beta_fast, beta_slow = scaling.get("beta_fast") or 32, scaling.get("beta_slow") or 1

        def correction_dim(rotations):
            return (dim * math.log(original / (rotations * 2 * math.pi))) / (2 * math.log(base))

        low, high = correction_dim(beta_fast), correction_dim(beta_slow)
        if scaling.get("truncate", True):
            low, high = math.floor(low), math.ceil(high)
        low, high = max(low, 0), min(high, dim - 1)
        if low == high:
            high += 0.001
        ramp = np.clip((np.arange(dim // 2, dtype=np.float64) - low) / (high - low), 0, 1)
        extrapolation = 1 - ramp
        pos_freqs = base ** (np.arange(0, dim, 2, dtype=np.float64) / dim)
        inv = (1 / (factor * pos_freqs)) * (1 - extrapolation) + (1 / pos_freqs) * extrapolation
        return inv, attention
    raise SystemExit(f"rope type {kind} not handled by the reference")


# --- modeling_llama.py / qwen2 / qwen3 / mistral, float64 ---

def rms_norm(x, w, eps):
    return w * (x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def forward(cfg, w, tokens):
    mt = cfg["model_type"]
    n_heads, n_kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd, eps = head_dim(cfg), cfg["rms_norm_eps"]
    t = len(tokens)
    inv_freq, attention_factor = rope_parameters(cfg)
    freqs = np.outer(np.arange(t, dtype=np.float64), inv_freq)  # (T, hd/2)
    emb = np.concatenate([freqs, freqs], axis=-1)  # (T, hd)
    cos, sin = np.cos(emb) * attention_factor, np.sin(emb) * attention_factor
    mask = np.triu(np.full((t, t), -np.inf), k=1)  # causal
    x = w["model.embed_tokens.weight"][tokens]  # (T, d)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = h @ w[p + "self_attn.q_proj.weight"].T
        k = h @ w[p + "self_attn.k_proj.weight"].T
        v = h @ w[p + "self_attn.v_proj.weight"].T
        if mt == "qwen2":
            q = q + w[p + "self_attn.q_proj.bias"]
            k = k + w[p + "self_attn.k_proj.bias"]
            v = v + w[p + "self_attn.v_proj.bias"]
        q = q.reshape(t, n_heads, hd)
        k = k.reshape(t, n_kv, hd)
        v = v.reshape(t, n_kv, hd)
        if mt == "qwen3":
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps)
        q, k, v = q.transpose(1, 0, 2), k.transpose(1, 0, 2), v.transpose(1, 0, 2)  # (heads, T, hd)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        groups = n_heads // n_kv
        k = np.repeat(k, groups, axis=0)  # repeat_kv: head h uses K/V head h // groups
        v = np.repeat(v, groups, axis=0)
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(hd) + mask
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        probs = scores / scores.sum(axis=-1, keepdims=True)
        ctx = (probs @ v).transpose(1, 0, 2).reshape(t, n_heads * hd)
        x = x + ctx @ w[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        gate = h @ w[p + "mlp.gate_proj.weight"].T
        up = h @ w[p + "mlp.up_proj.weight"].T
        x = x + ((gate / (1 + np.exp(-gate))) * up) @ w[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w.get("lm_head.weight")
    if head is None:
        head = w["model.embed_tokens.weight"]  # tie_word_embeddings
    return x[-1] @ head.T


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--arch", choices=sorted(ARCH))
    ap.add_argument("--sharded", action="store_true")
    ap.add_argument("--bf16", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--read-only", action="store_true")
    ap.add_argument("--config", help="a published config.json to give random weights (with --no-logits for big "
                                     "models: the measurement checkpoint of docs/real-weights.md)")
    ap.add_argument("--no-logits", action="store_true", help="only write the checkpoint")
    ap.add_argument("--tokens", default="1,17,42,7,256,3,99,5,120,64,11")
    args = ap.parse_args()
    if not args.read_only:
        if args.config:
            with open(args.config) as f:
                cfg = json.load(f)
        elif args.arch:
            cfg = config_for(args.arch)
        else:
            ap.error("--arch or --config is required unless --read-only")
        write_checkpoint(args.dir, cfg, args.sharded, args.bf16, args.seed)
    if args.no_logits:
        return
    cfg, weights = read_checkpoint(args.dir)
    tokens = [int(s) for s in args.tokens.split(",") if s]
    logits = forward(cfg, weights, tokens)
    json.dump({"tokens": tokens, "logits": [float(v) for v in logits]}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
