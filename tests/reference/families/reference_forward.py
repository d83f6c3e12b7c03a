#!/usr/bin/env python3
"""Independent reference forward pass of Hugging Face LlamaForCausalLM, MistralForCausalLM,
Qwen2ForCausalLM and Qwen3ForCausalLM, hand-ported from the published modeling code
(transformers' modeling_llama.py, modeling_mistral.py, modeling_qwen2.py, modeling_qwen3.py and
modeling_rope_utils.py) to numpy in float64. It shares nothing with the project's engines: it
reads the Hugging Face folder itself (config.json, safetensors parsed by hand), keeps HF's
rotate-half rotary layout (no permutation of q/k rows), and computes the llama3/linear rope
frequencies the way modeling_rope_utils does.

Usage: reference_forward.py MODEL_DIR --prompt-ids 1,2,3 [--steps 16] [--sample 48] [--top 16] > OUT.json

Writes, for the prefill (every prompt position) and each of --steps greedy decode steps (each
feeding the previous argmax through a KV cache), the logits of a fixed id sample (the --top
largest of that row plus --sample ids spread evenly over the vocabulary), the argmax, and the
mean and root-mean-square of the whole row (so a difference anywhere in the vocabulary shows).
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np


# ---------------------------------------------------------------- safetensors, by hand
def read_safetensors(path):
    """name -> float64 array. Format: u64 LE header length, JSON header, then raw little-endian data."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        raw = data[start:end]
        dtype = entry["dtype"]
        if dtype == "F32":
            a = np.frombuffer(raw, dtype="<f4")
        elif dtype == "F16":
            a = np.frombuffer(raw, dtype="<f2")
        elif dtype == "BF16":
            # bfloat16 is the top half of a float32
            a = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view("<f4")
        else:
            raise SystemExit(f"{path}: tensor {name} has dtype {dtype}, not F32/F16/BF16")
        out[name] = a.astype(np.float64).reshape(entry["shape"])
    return out


def read_weights(folder):
    single = os.path.join(folder, "model.safetensors")
    if os.path.exists(single):
        return read_safetensors(single)
    with open(os.path.join(folder, "model.safetensors.index.json")) as f:
        shards = sorted(set(json.load(f)["weight_map"].values()))
    weights = {}
    for shard in shards:
        weights.update(read_safetensors(os.path.join(folder, shard)))
    return weights


# ---------------------------------------------------------------- config, as the HF config classes default it
class Config:
    def __init__(self, c):
        self.model_type = c["model_type"]
        self.hidden_size = c["hidden_size"]
        self.num_layers = c["num_hidden_layers"]
        self.num_heads = c["num_attention_heads"]
        self.num_kv_heads = c.get("num_key_value_heads") or self.num_heads
        self.head_dim = c.get("head_dim") or self.hidden_size // self.num_heads
        self.eps = c.get("rms_norm_eps", 1e-6)
        self.rope_theta = c.get("rope_theta", 10000.0)
        self.rope_scaling = c.get("rope_scaling")
        self.tie = c.get("tie_word_embeddings", False)
        attention_bias = c.get("attention_bias", False)
        # Which Linear layers carry a bias, as each family's attention __init__ builds them.
        if self.model_type == "qwen2":
            self.qkv_bias, self.o_bias = True, False
        elif self.model_type == "mistral":
            self.qkv_bias, self.o_bias = False, False
        else:  # llama, qwen3
            self.qkv_bias, self.o_bias = attention_bias, attention_bias
        self.qk_norm = self.model_type == "qwen3"
        if c.get("mlp_bias"):
            raise SystemExit("mlp_bias is not ported")


# ---------------------------------------------------------------- rope init (modeling_rope_utils)
def inverse_frequencies(cfg):
    dim = cfg.head_dim
    inv_freq = 1.0 / (cfg.rope_theta ** (np.arange(0, dim, 2, dtype=np.float64) / dim))
    s = cfg.rope_scaling
    if s is None:
        return inv_freq
    rope_type = s.get("rope_type", s.get("type"))
    if rope_type == "default":
        return inv_freq
    if rope_type == "linear":
        return inv_freq / s["factor"]
    if rope_type == "llama3":
        factor = s["factor"]
        low_freq_factor = s["low_freq_factor"]
        high_freq_factor = s["high_freq_factor"]
        old_context_len = s["original_max_position_embeddings"]
        low_freq_wavelen = old_context_len / low_freq_factor
        high_freq_wavelen = old_context_len / high_freq_factor
        wavelen = 2 * math.pi / inv_freq
        inv_freq_llama = np.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
        smooth_factor = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
        smoothed_inv_freq = (1 - smooth_factor) * inv_freq_llama / factor + smooth_factor * inv_freq_llama
        is_medium_freq = ~(wavelen < high_freq_wavelen) & ~(wavelen > low_freq_wavelen)
        return np.where(is_medium_freq, smoothed_inv_freq, inv_freq_llama)
    raise SystemExit(f"rope type {rope_type} is not ported")


def cos_sin(inv_freq, positions):
    freqs = np.outer(np.asarray(positions, dtype=np.float64), inv_freq)  # [seq, head_dim/2]
    emb = np.concatenate([freqs, freqs], axis=-1)                      # [seq, head_dim]
    return np.cos(emb), np.sin(emb)


def rotate_half(x):
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


# ---------------------------------------------------------------- the decoder
def rms_norm(x, weight, eps):
    variance = np.mean(x * x, axis=-1, keepdims=True)
    return weight * (x / np.sqrt(variance + eps))


def linear(x, w, b=None):
    y = x @ w.T
    return y if b is None else y + b


def silu(x):
    return x / (1.0 + np.exp(-x))


class Model:
    def __init__(self, folder):
        with open(os.path.join(folder, "config.json")) as f:
            self.cfg = Config(json.load(f))
        self.w = read_weights(folder)
        self.inv_freq = inverse_frequencies(self.cfg)
        self.cache = [([], []) for _ in range(self.cfg.num_layers)]  # per layer: key and value blocks [kv_heads, seq, head_dim]
        self.used = set()

    def W(self, name):
        self.used.add(name)
        return self.w[name]

    def bias(self, module, present):
        return self.W(module + ".bias") if present else None

    def attention(self, layer, x, positions):
        c, p = self.cfg, f"model.layers.{layer}.self_attn"
        seq = x.shape[0]
        q = linear(x, self.W(p + ".q_proj.weight"), self.bias(p + ".q_proj", c.qkv_bias)).reshape(seq, c.num_heads, c.head_dim)
        k = linear(x, self.W(p + ".k_proj.weight"), self.bias(p + ".k_proj", c.qkv_bias)).reshape(seq, c.num_kv_heads, c.head_dim)
        v = linear(x, self.W(p + ".v_proj.weight"), self.bias(p + ".v_proj", c.qkv_bias)).reshape(seq, c.num_kv_heads, c.head_dim)
        if c.qk_norm:  # Qwen3: RMSNorm over head_dim of each head, before the rotary step
            q = rms_norm(q, self.W(p + ".q_norm.weight"), c.eps)
            k = rms_norm(k, self.W(p + ".k_norm.weight"), c.eps)
        q, k, v = q.transpose(1, 0, 2), k.transpose(1, 0, 2), v.transpose(1, 0, 2)  # [heads, seq, head_dim]
        cos, sin = cos_sin(self.inv_freq, positions)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        keys, values = self.cache[layer]
        keys.append(k)
        values.append(v)
        k_all, v_all = np.concatenate(keys, axis=1), np.concatenate(values, axis=1)  # [kv_heads, total, head_dim]
        n_rep = c.num_heads // c.num_kv_heads
        k_all, v_all = np.repeat(k_all, n_rep, axis=0), np.repeat(v_all, n_rep, axis=0)  # repeat_kv
        scores = q @ k_all.transpose(0, 2, 1) * c.head_dim ** -0.5                      # [heads, seq, total]
        total = k_all.shape[1]
        key_pos = np.arange(total)
        mask = key_pos[None, :] > np.asarray(positions)[:, None]                         # causal
        scores = np.where(mask[None, :, :], -np.inf, scores)
        scores = scores - scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=-1, keepdims=True)
        out = (probs @ v_all).transpose(1, 0, 2).reshape(seq, c.num_heads * c.head_dim)
        return linear(out, self.W(p + ".o_proj.weight"), self.bias(p + ".o_proj", c.o_bias))

    def mlp(self, layer, x):
        p = f"model.layers.{layer}.mlp"
        return linear(silu(linear(x, self.W(p + ".gate_proj.weight"))) * linear(x, self.W(p + ".up_proj.weight")), self.W(p + ".down_proj.weight"))

    def forward(self, ids, start):
        c = self.cfg
        positions = list(range(start, start + len(ids)))
        h = self.W("model.embed_tokens.weight")[ids]
        for layer in range(c.num_layers):
            p = f"model.layers.{layer}"
            h = h + self.attention(layer, rms_norm(h, self.W(p + ".input_layernorm.weight"), c.eps), positions)
            h = h + self.mlp(layer, rms_norm(h, self.W(p + ".post_attention_layernorm.weight"), c.eps))
        h = rms_norm(h, self.W("model.norm.weight"), c.eps)
        head = self.W("model.embed_tokens.weight") if c.tie else self.W("lm_head.weight")
        return h @ head.T  # [seq, vocab]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--prompt-ids", required=True)
    ap.add_argument("--steps", type=int, default=16)
    ap.add_argument("--top", type=int, default=16)
    ap.add_argument("--sample", type=int, default=48)
    a = ap.parse_args()
    prompt = [int(t) for t in a.prompt_ids.split(",")]
    model = Model(a.model)
    rows = []

    def record(logits, position, fed):
        vocab = logits.shape[0]
        top = [int(i) for i in np.argsort(-logits, kind="stable")[: a.top]]
        spread = [int(round(j * (vocab - 1) / (a.sample - 1))) for j in range(a.sample)]
        ids = sorted(set(top) | set(spread))
        rows.append({
            "position": position, "input_id": fed, "argmax": int(np.argmax(logits)),
            "mean": float(np.mean(logits)), "rms": float(np.sqrt(np.mean(logits * logits))),
            "ids": ids, "logits": [float(logits[i]) for i in ids],
        })

    logits = model.forward(prompt, 0)
    for i, t in enumerate(prompt):
        record(logits[i], i, t)
    greedy = [int(np.argmax(logits[-1]))]
    for step in range(a.steps):
        position = len(prompt) + step
        row = model.forward([greedy[-1]], position)[0]
        record(row, position, greedy[-1])
        greedy.append(int(np.argmax(row)))
    unused = sorted(set(model.w) - model.used)
    if unused:
        raise SystemExit(f"tensors the HF model does not have: {unused[:5]}")
    json.dump({"prompt_ids": prompt, "steps": a.steps, "greedy_ids": greedy, "rows": rows}, sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
