#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Independent reference for `kvlab-cli model`: reads Hugging Face config.json files and computes, from the
published formulas, what the C++ (core/arch/) derives. Written apart from the C++ and in another way:
parameters are counted by listing the weight tensors each Hugging Face modeling file creates (name ->
shape, as in a checkpoint's state dict) and summing their sizes; K/V sizes follow vLLM's KV cache specs
(vllm/v1/kv_cache_interface.py: FullAttentionSpec, SlidingWindowSpec, MLAAttentionSpec, MambaSpec with
MambaStateShapeCalculator.gated_delta_net_state_shape).

Usage: model_reference.py CONFIG.json|DIR [...] [--tokens N] [--kv-dtype bf16|fp16|fp8|int8|fp4|fp32]
Prints one JSON object per line: name, layers, attention, window_layers, window, state_layers,
kv_bytes_per_token, kv_bytes_total, params_total, params_active, params_embedding, weight_bytes.
Plain Python 3, standard library only.
"""
import argparse
import json
import math
import os
import sys

DTYPE_BITS = {"float32": 32, "bfloat16": 16, "float16": 16}
KV_BITS = {"fp32": 32, "bf16": 16, "fp16": 16, "fp8": 8, "int8": 8, "fp4": 4}


def load(path):
    file = os.path.join(path, "config.json") if os.path.isdir(path) else path
    with open(file) as f:
        root = json.load(f)
    text = root.get("text_config") or root
    lab = root.get("kvlab") or {}
    name = lab.get("name") or os.path.splitext(os.path.basename(file))[0]
    return root, text, name


def get(cfg, key, default=None):
    value = cfg.get(key)
    return default if value is None else value


def layer_types(cfg, mt, n):
    """transformers' configuration classes: which layers attend fully, in a window, or linearly."""
    if cfg.get("layer_types"):
        return list(cfg["layer_types"])
    if mt == "gpt_oss":
        return ["sliding_attention" if (i + 1) % 2 else "full_attention" for i in range(n)]
    if mt == "gemma3_text":
        p = get(cfg, "sliding_window_pattern", 6)
        return ["sliding_attention" if (i + 1) % p else "full_attention" for i in range(n)]
    if mt == "qwen3_next":
        p = get(cfg, "full_attention_interval", 4)
        return ["linear_attention" if (i + 1) % p else "full_attention" for i in range(n)]
    if mt in ("qwen2", "qwen3", "qwen3_moe"):
        start = get(cfg, "max_window_layers", n)
        slide = bool(cfg.get("use_sliding_window"))
        return ["sliding_attention" if slide and i >= start else "full_attention" for i in range(n)]
    if mt in ("llama", "mistral", "mixtral") and cfg.get("sliding_window") is not None:
        return ["sliding_attention"] * n
    return ["full_attention"] * n


def moe_layer(cfg, mt, i):
    if mt in ("qwen3_moe", "qwen3_next"):
        return get(cfg, "num_experts", 0) > 0 and i not in get(cfg, "mlp_only_layers", []) and \
            (i + 1) % get(cfg, "decoder_sparse_step", 1) == 0
    if mt in ("deepseek_v2", "deepseek_v3", "kimi_k2"):
        return get(cfg, "n_routed_experts", 0) > 0 and i >= get(cfg, "first_k_dense_replace", 0) and \
            i % get(cfg, "moe_layer_freq", 1) == 0
    return mt in ("gpt_oss", "mixtral")


def tensors(cfg, mt):
    """(name, shape, kind) of every weight; kind: 'embed', 'head', 'linear', 'expert', 'vector',
    'expert_vector'. Experts carry their index as the last name part for the active count."""
    h = cfg["hidden_size"]
    n = cfg["num_hidden_layers"]
    heads = cfg["num_attention_heads"]
    kvh = get(cfg, "num_key_value_heads", heads)
    default_hd = {"gemma3_text": 256, "qwen3_next": 256, "gpt_oss": 64}.get(mt, h // heads)
    hd = get(cfg, "head_dim", default_hd)
    vocab_default = {"gemma3_text": 262208, "qwen3_next": 151936, "gpt_oss": 201088}.get(mt)
    vocab = get(cfg, "vocab_size", vocab_default)
    tied = get(cfg, "tie_word_embeddings", mt == "gemma3_text")
    out = [("model.embed_tokens.weight", (vocab, h), "embed"), ("model.norm.weight", (h,), "vector")]
    if not tied:
        out.append(("lm_head.weight", (vocab, h), "head"))
    types = layer_types(cfg, mt, n)
    for i in range(n):
        p = "model.layers.%d." % i
        norms = ["input_layernorm", "post_attention_layernorm"]
        if mt == "gemma3_text":
            norms += ["pre_feedforward_layernorm", "post_feedforward_layernorm"]
        out += [(p + x + ".weight", (h,), "vector") for x in norms]
        a = p + "self_attn."
        if mt in ("deepseek_v2", "deepseek_v3", "kimi_k2"):
            qk = cfg["qk_nope_head_dim"] + cfg["qk_rope_head_dim"]
            if cfg.get("q_lora_rank"):
                r = cfg["q_lora_rank"]
                out += [(a + "q_a_proj.weight", (r, h), "linear"), (a + "q_a_layernorm.weight", (r,), "vector"),
                        (a + "q_b_proj.weight", (heads * qk, r), "linear")]
            else:
                out.append((a + "q_proj.weight", (heads * qk, h), "linear"))
            r = cfg["kv_lora_rank"]
            out += [(a + "kv_a_proj_with_mqa.weight", (r + cfg["qk_rope_head_dim"], h), "linear"),
                    (a + "kv_a_layernorm.weight", (r,), "vector"),
                    (a + "kv_b_proj.weight", (heads * (cfg["qk_nope_head_dim"] + cfg["v_head_dim"]), r), "linear"),
                    (a + "o_proj.weight", (h, heads * cfg["v_head_dim"]), "linear")]
        elif types[i] == "linear_attention":
            la = p + "linear_attn."
            kd = cfg["linear_num_key_heads"] * cfg["linear_key_head_dim"]
            vd = cfg["linear_num_value_heads"] * cfg["linear_value_head_dim"]
            nv = cfg["linear_num_value_heads"]
            out += [(la + "in_proj_qkvz.weight", (2 * kd + 2 * vd, h), "linear"),
                    (la + "in_proj_ba.weight", (2 * nv, h), "linear"),
                    (la + "conv1d.weight", (2 * kd + vd, 1, cfg["linear_conv_kernel_dim"]), "vector"),
                    (la + "dt_bias", (nv,), "vector"), (la + "A_log", (nv,), "vector"),
                    (la + "norm.weight", (cfg["linear_value_head_dim"],), "vector"),
                    (la + "out_proj.weight", (h, vd), "linear")]
        else:
            gate = 2 if mt == "qwen3_next" else 1  # attn_output_gate: q_proj also emits the gate
            out += [(a + "q_proj.weight", (heads * hd * gate, h), "linear"),
                    (a + "k_proj.weight", (kvh * hd, h), "linear"),
                    (a + "v_proj.weight", (kvh * hd, h), "linear"),
                    (a + "o_proj.weight", (h, heads * hd), "linear")]
            bias_qkv = mt == "qwen2" or mt == "gpt_oss" or (mt in ("llama", "mistral") and cfg.get("attention_bias"))
            if bias_qkv:
                out += [(a + "q_proj.bias", (heads * hd,), "vector"), (a + "k_proj.bias", (kvh * hd,), "vector"),
                        (a + "v_proj.bias", (kvh * hd,), "vector")]
            if mt == "gpt_oss" or (mt in ("llama", "mistral") and cfg.get("attention_bias")):
                out.append((a + "o_proj.bias", (h,), "vector"))
            if mt in ("qwen3", "qwen3_moe", "qwen3_next", "gemma3_text"):
                out += [(a + "q_norm.weight", (hd,), "vector"), (a + "k_norm.weight", (hd,), "vector")]
            if mt == "gpt_oss":
                out.append((a + "sinks", (heads,), "vector"))
        m = p + "mlp."
        if moe_layer(cfg, mt, i):
            if mt == "gpt_oss":
                e = get(cfg, "num_local_experts", get(cfg, "num_experts"))
                f = cfg["intermediate_size"]
                out += [(m + "router.weight", (e, h), "linear"), (m + "router.bias", (e,), "vector")]
                for x in range(e):
                    q = m + "experts.%d." % x
                    out += [(q + "gate_up_proj", (h, 2 * f), "expert"), (q + "gate_up_proj_bias", (2 * f,), "expert_vector"),
                            (q + "down_proj", (f, h), "expert"), (q + "down_proj_bias", (h,), "expert_vector")]
                continue
            if mt == "mixtral":
                e, f = cfg["num_local_experts"], cfg["intermediate_size"]
                out.append((p + "block_sparse_moe.gate.weight", (e, h), "linear"))
            elif mt in ("deepseek_v2", "deepseek_v3", "kimi_k2"):
                e, f = cfg["n_routed_experts"], cfg["moe_intermediate_size"]
                out.append((m + "gate.weight", (e, h), "linear"))
                if cfg.get("topk_method") == "noaux_tc":
                    out.append((m + "gate.e_score_correction_bias", (e,), "vector"))
                s = get(cfg, "n_shared_experts", 0) * f
                if s:
                    out += [(m + "shared_experts.%s.weight" % w, shp, "linear")
                            for w, shp in (("gate_proj", (s, h)), ("up_proj", (s, h)), ("down_proj", (h, s)))]
            else:  # qwen3_moe, qwen3_next
                e, f = cfg["num_experts"], cfg["moe_intermediate_size"]
                out.append((m + "gate.weight", (e, h), "linear"))
                s = get(cfg, "shared_expert_intermediate_size", 0)
                if s:
                    out += [(m + "shared_expert.%s.weight" % w, shp, "linear")
                            for w, shp in (("gate_proj", (s, h)), ("up_proj", (s, h)), ("down_proj", (h, s)))]
                    out.append((m + "shared_expert_gate.weight", (1, h), "linear"))
            for x in range(e):
                q = m + "experts.%d." % x
                out += [(q + "gate_proj.weight", (f, h), "expert"), (q + "up_proj.weight", (f, h), "expert"),
                        (q + "down_proj.weight", (h, f), "expert")]
        else:
            f = cfg["intermediate_size"]
            out += [(m + "gate_proj.weight", (f, h), "linear"), (m + "up_proj.weight", (f, h), "linear"),
                    (m + "down_proj.weight", (h, f), "linear")]
    return out


def experts_per_token(cfg, mt):
    for key in ("num_experts_per_tok", "experts_per_token"):
        if cfg.get(key):
            return cfg[key]
    return 0


def weight_bits(root, cfg):
    dtype = cfg.get("torch_dtype") or cfg.get("dtype") or root.get("torch_dtype") or root.get("dtype") or "bfloat16"
    base = DTYPE_BITS[dtype]
    q = cfg.get("quantization_config") or root.get("quantization_config") or {}
    method = q.get("quant_method")
    linear, expert = base, None
    if method == "fp8":
        linear = 8
    elif method == "mxfp4":
        expert = 4 + 8 / 32  # 4-bit values, one 8-bit (E8M0) scale per block of 32
    elif method in ("awq", "gptq"):
        linear = q.get("w_bit") or q.get("bits")
    elif method == "bitsandbytes":
        linear = 4 if q.get("load_in_4bit") else 8
    elif method == "compressed-tensors":
        linear = next(iter(q["config_groups"].values()))["weights"]["num_bits"]
    return base, linear, expert if expert is not None else linear


def kv_layers(root, cfg, mt, kv_dtype):
    """vLLM-style spec per layer: ('full'|'window'|'state', bytes per token, window, state bytes)."""
    n = cfg["num_hidden_layers"]
    heads = cfg["num_attention_heads"]
    kvh = get(cfg, "num_key_value_heads", heads)
    default_hd = {"gemma3_text": 256, "qwen3_next": 256, "gpt_oss": 64}.get(mt, cfg["hidden_size"] // heads)
    hd = get(cfg, "head_dim", default_hd)
    base = DTYPE_BITS[cfg.get("torch_dtype") or cfg.get("dtype") or root.get("torch_dtype") or "bfloat16"]
    bits = KV_BITS[kv_dtype] if kv_dtype else base
    specs = []
    for t in layer_types(cfg, mt, n):
        if mt in ("deepseek_v2", "deepseek_v3", "kimi_k2"):
            # MLAAttentionSpec: one head of kv_lora_rank + qk_rope_head_dim, no separate V
            specs.append(("full", (cfg["kv_lora_rank"] + cfg["qk_rope_head_dim"]) * bits // 8, 0, 0))
        elif t == "linear_attention":
            conv_dim = cfg["linear_key_head_dim"] * cfg["linear_num_key_heads"] * 2 + \
                cfg["linear_value_head_dim"] * cfg["linear_num_value_heads"]
            conv = conv_dim * (cfg["linear_conv_kernel_dim"] - 1)
            temporal = cfg["linear_num_value_heads"] * cfg["linear_key_head_dim"] * cfg["linear_value_head_dim"]
            specs.append(("state", 0, 0, (conv + temporal) * base // 8))
        elif t == "sliding_attention":
            window = get(cfg, "sliding_window", 4096)
            specs.append(("window", 2 * kvh * hd * bits // 8, window, 0))
        else:
            specs.append(("full", 2 * kvh * hd * bits // 8, 0, 0))
    return specs


def figures(path, tokens, kv_dtype):
    root, cfg, name = load(path)
    mt = cfg.get("model_type") or root.get("model_type")
    if mt == "gemma3":
        mt = "gemma3_text"
    ts = tensors(cfg, mt)
    size = lambda shape: math.prod(shape)
    total = sum(size(s) for _, s, _ in ts)
    k = experts_per_token(cfg, mt)
    # A token uses experts 0..k-1 of every MoE layer (any k of them: all experts have the same size).
    inactive = sum(size(s) for nm, s, kind in ts
                   if kind in ("expert", "expert_vector") and int(nm.split("experts.")[1].split(".")[0]) >= k)
    embedding = sum(size(s) for _, s, kind in ts if kind in ("embed", "head"))
    base, linear, expert = weight_bits(root, cfg)
    bits = {"embed": base, "head": base, "vector": base, "expert_vector": base, "linear": linear, "expert": expert}
    weight_bytes = sum(size(s) * bits[kind] for _, s, kind in ts) / 8
    specs = kv_layers(root, cfg, mt, kv_dtype)
    full = [s for s in specs if s[0] == "full"]
    window = [s for s in specs if s[0] == "window"]
    state = [s for s in specs if s[0] == "state"]
    mla = mt in ("deepseek_v2", "deepseek_v3", "kimi_k2")
    heads = cfg["num_attention_heads"]
    kvh = get(cfg, "num_key_value_heads", heads)
    attention = "MLA" if mla else ("linear" if not full and not window else
                                   "MQA" if kvh == 1 and heads > 1 else "MHA" if kvh == heads else "GQA")
    return {
        "name": name,
        "layers": len(specs),
        "attention": attention,
        "window_layers": len(window),
        "window": max([s[2] for s in window], default=0),
        "state_layers": len(state),
        "kv_bytes_per_token": sum(s[1] for s in full),
        "kv_bytes_total": sum(s[1] * tokens for s in full) + sum(s[1] * min(tokens, s[2]) for s in window) +
        sum(s[3] for s in state),
        "params_total": total,
        "params_active": total - inactive,
        "params_embedding": embedding,
        "weight_bytes": weight_bytes,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("configs", nargs="+")
    parser.add_argument("--tokens", type=int, default=131072)
    parser.add_argument("--kv-dtype", default=None, choices=sorted(KV_BITS))
    args = parser.parse_args()
    for path in args.configs:
        print(json.dumps(figures(path, args.tokens, args.kv_dtype)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
