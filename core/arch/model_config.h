// SPDX-License-Identifier: MIT
#pragma once
// A model as the lab describes it: the shapes a Hugging Face config.json gives (hf_config_reader.h reads
// one; model_presets.h holds published ones), per layer what it keeps (attention kind, window) and what
// its MLP is (dense or routed experts). Torch-free: the replayer, the serving simulator and the CLI size
// caches and price steps from it without LibTorch; the live LibTorch model (core/model/llama_model.h)
// builds its tensors from the same fields.
//
// Everything derived from it lives in one place each: K/V per layer in kv_cache_layout.h (the specs),
// parameters and weight bytes in parameter_count.h, step costs in core/hardware/step_cost_model.h.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/arch/compute_dtype.h"
#include "core/arch/kv_dtype.h"

namespace kvlab {

// What a decoder layer attends with.
enum class LayerAttention : unsigned char {
  Full,           // every earlier token (MHA / GQA / MQA: K and V of kvHeads x headDim)
  SlidingWindow,  // the last `window` tokens, K and V like Full
  Mla,            // multi-head latent attention: one compressed latent per token (ModelConfig::mla)
  LinearState,    // linear attention with a constant-size recurrent state (ModelConfig::linear)
};

// One decoder layer.
struct LayerKind {
  LayerAttention attention = LayerAttention::Full;
  std::uint32_t window = 0;  // tokens a SlidingWindow layer attends to (itself included); else 0
  bool moe = false;          // routed experts (ModelConfig::moe) instead of the dense MLP (ffnHidden)
};

// DeepSeek V2/V3 multi-head latent attention (config.json names in comments).
struct MlaShape {
  int qLoraRank = 0;      // q_lora_rank: width of the compressed query (0 = q projected directly)
  int kvLoraRank = 0;     // kv_lora_rank: width of the cached K/V latent
  int qkNopeHeadDim = 0;  // qk_nope_head_dim: per-head query/key width without RoPE
  int qkRopeHeadDim = 0;  // qk_rope_head_dim: per-head RoPE width; the key's part is cached with the latent
  int vHeadDim = 0;       // v_head_dim: per-head value width
};

// Routed experts of an MoE layer.
struct MoeShape {
  int experts = 0;  // routed experts per MoE layer (num_experts / n_routed_experts / num_local_experts)
  int expertsPerToken = 0;  // experts each token is routed to (num_experts_per_tok)
  int expertFfn = 0;        // hidden width of one expert's SwiGLU (moe_intermediate_size)
  int sharedFfn = 0;        // hidden width of the always-on shared expert(s), all together (0 = none)
  bool sharedGate = false;  // a sigmoid gate (1 x hidden) on the shared expert (Qwen3-Next)
  bool routerBias = false;  // the router has one bias per expert (gpt-oss; DeepSeek V3's score correction)
  bool expertBias = false;  // every expert projection has a bias (gpt-oss)
};

// A Gated DeltaNet linear-attention layer (Qwen3-Next; config.json linear_*).
struct LinearAttentionShape {
  int keyHeads = 0;      // linear_num_key_heads
  int valueHeads = 0;    // linear_num_value_heads
  int keyHeadDim = 0;    // linear_key_head_dim
  int valueHeadDim = 0;  // linear_value_head_dim
  int convKernel = 0;    // linear_conv_kernel_dim: the short convolution's width
};

enum class AttentionBias : unsigned char { None, Qkv, QkvO };  // Qwen2: q/k/v biases; gpt-oss: and o

struct ModelConfig {
  std::string name;    // preset name ("demo", "llama-3.1-8b") or the config's file/directory name
  std::string source;  // where the description comes from: the published config's URL, or the file
  std::string family;  // Hugging Face model_type ("llama", "qwen3_moe", "deepseek_v3"; "" = built here)
  int layers = 0;      // decoder blocks
  int dModel = 0;      // residual stream width (hidden_size)
  int heads = 0;       // query heads
  int kvHeads = 0;     // K/V heads (grouped-query attention); heads % kvHeads == 0
  int headDim = 0;     // width of one head; heads * headDim == dModel for computable presets
  int ffnHidden = 0;   // SwiGLU hidden width of a dense MLP (gate and up projections)
  int vocab = 256;     // token ids; 256 = the byte tokenizer used by computable presets
  double ropeTheta = 10000.0;  // RoPE base frequency
  double rmsEps = 1e-5;        // RMSNorm epsilon
  int dtypeBytes = 4;          // bytes per weight element: 4 = fp32, 2 = fp16/bf16 (= bytesPerElement(dtype))
  ComputeDtype dtype = ComputeDtype::Fp32;  // what a computable model runs in (`--dtype`); the weights' dtype
  std::optional<KvDtype> kvDtype;  // what K/V is stored in (`--kv-dtype`); unset = the weights' dtype
  bool computable = false;         // true: LlamaModel can instantiate it; false: shapes for accounting only
  uint64_t seed = 0;               // weight seed; same seed => bit-identical weights

  // Architecture beyond the plain Llama block (defaults = Llama: untied, no biases, 2 norms per layer).
  bool tiedEmbeddings = false;  // the LM head is the embedding table (tie_word_embeddings)
  AttentionBias attentionBias = AttentionBias::None;
  bool qkNorm = false;          // RMSNorm (headDim weights) on every query and key head (Qwen3, Gemma 3)
  bool attentionGate = false;   // the query projection also emits an output gate as wide (Qwen3-Next)
  bool attentionSinks = false;  // one learned attention-sink logit per query head (gpt-oss)
  int normsPerLayer = 2;        // RMSNorms of hidden_size per layer (Gemma 3 has 4)
  MlaShape mla;
  MoeShape moe;
  LinearAttentionShape linear;
  // Quantized checkpoints: bits per weight of the projections and of the routed experts; 0 = the dtype's
  // (dtypeBytes x 8). Embeddings, the LM head and vectors (norms, biases) stay at the dtype.
  double linearWeightBits = 0;  // fp8 checkpoints (DeepSeek V3, Kimi K2): 8
  double expertWeightBits =
      0;  // MXFP4 experts (gpt-oss): 4.25 (4 bits + one 8-bit scale per 32); 0 = linear's
  std::vector<LayerKind> layerKinds;  // one per layer; empty = every layer Full with the dense MLP
};

// The same model running in `dtype`: sets dtype and dtypeBytes together, so K/V byte accounting (an unset
// kvDtype follows it), the resource check and the model agree (bf16 halves the K/V bytes of an fp32 run).
ModelConfig withDtype(ModelConfig config, ComputeDtype dtype);
// The same model storing K/V in `dtype` (`--kv-dtype`); the weights are unchanged.
ModelConfig withKvDtype(ModelConfig config, KvDtype dtype);

// What K/V is stored in: kvDtype, or the weights' dtype when unset (vLLM's kv-cache-dtype "auto").
KvDtype effectiveKvDtype(const ModelConfig& config);
// Layer i (0-based): layerKinds[i], or a Full dense layer when layerKinds is empty.
LayerKind layerKind(const ModelConfig& config, int layer);

// "MHA", "GQA", "MQA" or "MLA": how the attention layers share K/V (heads vs kvHeads; MLA when any layer
// is Mla). A model whose every layer is LinearState: "linear".
std::string attentionName(const ModelConfig& config);

// K/V bytes one cached token costs in a prefix cache sized in bytes, all layers: the layers that keep
// every token (KvCacheLayout::cacheBytesPerToken; llama-3-70b: 327680 = 320 KiB).
uint64_t kvBytesPerToken(const ModelConfig& config);
// One Full layer's K+V bytes per token: kvHeads * headDim * 2 (K and V) at effectiveKvDtype — the size of
// one layer's tensors in the live model's cache.
uint64_t kvBytesPerTokenPerLayer(const ModelConfig& config);

}  // namespace kvlab
