// SPDX-License-Identifier: MIT
#include "core/model/llama_model.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "core/arch/rope_frequencies.h"
#include "core/model/attention_mask.h"
#include "core/model/checkpoint_weights.h"
#include "core/model/compute_info.h"
#include "core/model/cpu_matmul.h"
#include "core/model/cpu_row_ops.h"
#include "core/model/torch_compat.h"

// Shape letters used below: T = new (computed) tokens, P = cached prefix tokens, K = P + T keys,
// d = dModel, H = heads, Hkv = kvHeads, g = H / Hkv (queries per K/V head), hd = headDim,
// F = ffnHidden, V = vocab. Weights are stored (in, out) so every projection is one at::mm(x, W).
//
// Mathematically the model is a plain Llama block; three exact rewrites make it cheaper:
//  - RMSNorm gains are folded into the rows of the projection that follows the norm;
//  - the attention scale 1/sqrt(hd) is folded into the Q columns (RoPE is linear, so it commutes);
//  - Q, K, V are one GEMM and gate/up are one GEMM.

namespace kvlab {

namespace {

// Queries per attention chunk are chosen so one chunk's scores, (Hkv, c*g, K), stay near this many
// elements: big enough for efficient GEMMs and for a cache hit's few new tokens to be one chunk (each chunk
// packs all keys and values again), small enough to stay in the last-level cache between QK^T, softmax and
// PV. Measured on the 2-core VM (demo, 70 new tokens over 2000 cached): 4 MiB of fp32 scores took the
// cached prefill from 39.4 to 37.9 ms against 1 MiB; the uncached one did not change.
constexpr int64_t kScoreChunkElements = 1024 * 1024;
constexpr int64_t kMinQueryChunk = 32;
constexpr int64_t kMaxQueryChunk = 512;  // also the side of the precomputed causal mask

at::ScalarType scalarType(ComputeDtype dtype) {
  switch (dtype) {
    case ComputeDtype::Fp32:
      return at::kFloat;
    case ComputeDtype::Bf16:
      return at::kBFloat16;
    case ComputeDtype::Fp16:
      return at::kHalf;
  }
  return at::kFloat;
}

// Counter-based generator (splitmix64): value i of stream `key` depends on nothing else, so weights
// do not depend on generation order, thread count or LibTorch version.
uint64_t splitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Tensor ids for the weight streams; combined with the layer index into the stream key.
enum class WeightId : uint64_t { Embed = 1, LmHead, FinalNorm, Qkv, Out, GateUp, Down, AttnNorm, MlpNorm };

uint64_t streamKey(uint64_t seed, WeightId id, int layer) {
  return splitMix64(splitMix64(seed) ^ (uint64_t(id) << 32) ^ uint64_t(layer + 1));
}

// (rows, cols) fp32 CPU tensor, uniform in [centre - halfWidth, centre + halfWidth).
at::Tensor uniformWeight(uint64_t key, int64_t rows, int64_t cols, double centre, double halfWidth) {
  at::Tensor w = at::empty({rows, cols}, at::kFloat);
  float* data = w.data_ptr<float>();
  const int64_t n = rows * cols;
  for (int64_t i = 0; i < n; ++i) {
    // 24 random bits -> exact float in [0, 1).
    const double u = double(splitMix64(key + uint64_t(i)) >> 40) * (1.0 / 16777216.0);
    data[i] = float(centre + (2.0 * u - 1.0) * halfWidth);
  }
  return w;
}

// Uniform with standard deviation `std`: half-width std * sqrt(3).
at::Tensor randomWeight(uint64_t key, int64_t rows, int64_t cols, double std) {
  return uniformWeight(key, rows, cols, 0.0, std * std::sqrt(3.0));
}

// RMSNorm without gain (the gain lives in the next projection): out = x / sqrt(mean(x^2) + eps).
// x, out: (T, d) in the model dtype; invRms: (T, 1) fp32 scratch: the sum of squares is accumulated in fp32
// whatever the model dtype (as Llama implementations do for bf16/fp16).
void rmsNormNoGain(const at::Tensor& x, double eps, at::Tensor invRms, at::Tensor out) {
  if (rmsNormRowsCpu(x, eps, out)) return;
  const int64_t lastDim = -1;
  at::linalg_vector_norm_out(invRms, x, /*ord=*/2, at::IntArrayRef(lastDim),
                             /*keepdim=*/true, /*dtype=*/at::kFloat);  // sqrt(sum x^2)
  invRms.square_().div_(double(x.size(-1))).add_(eps).rsqrt_();
  at::mul_out(out, x, invRms);
}

// Rotates pairs (x[i], x[i + hd/2]) by angle pos * theta^(-2i/hd) (Llama "rotate_half" layout) and
// writes into `out`, which may have any strides. in/out: (T, ..., hd); cosT/sinT: (T, hd/2).
void applyRope(const at::Tensor& in, const at::Tensor& out, const at::Tensor& cosT, const at::Tensor& sinT) {
  if (ropeCpu(in, out, cosT, sinT)) return;
  const int64_t half = in.size(-1) / 2;
  std::vector<int64_t> tableShape(size_t(in.dim()), 1);  // (T, 1, ..., hd/2)
  tableShape.front() = cosT.size(0);
  tableShape.back() = half;
  const at::Tensor c = cosT.view(tableShape);
  const at::Tensor s = sinT.view(tableShape);
  const at::Tensor x1 = in.narrow(-1, 0, half);
  const at::Tensor x2 = in.narrow(-1, half, half);
  at::Tensor o1 = out.narrow(-1, 0, half);
  at::Tensor o2 = out.narrow(-1, half, half);
  at::mul_out(o1, x1, c);
  o1.addcmul_(x2, s, /*value=*/-1);
  at::mul_out(o2, x2, c);
  o2.addcmul_(x1, s);
}

struct LayerWeights {
  at::Tensor qkv;     // (d, H*hd + 2*Hkv*hd): Q (pre-scaled by 1/sqrt(hd) unless qNorm), then K, then V columns
  at::Tensor out;     // (H*hd, d)
  at::Tensor gateUp;  // (d, 2F): gate columns then up columns
  at::Tensor down;    // (F, d)
  at::Tensor qkvBias;       // (H*hd + 2*Hkv*hd), Q part pre-scaled like Q; undefined = none (Qwen2 has one)
  at::Tensor qNorm, kNorm;  // (hd) per-head RMSNorm gains (Qwen3), qNorm carrying 1/sqrt(hd); or undefined
};

// In-place RMSNorm over the last dimension (one head): x <- x / sqrt(mean(x^2) + eps) * gain.
// x: (T, heads, hd) model dtype, any row strides; gain: (hd). The mean is taken in fp32.
void headRmsNorm(at::Tensor x, const at::Tensor& gain, double eps) {
  const int64_t lastDim = -1;
  const at::Tensor invRms = at::linalg_vector_norm(x, 2, at::IntArrayRef(lastDim), /*keepdim=*/true, at::kFloat)
                                .square_()
                                .div_(double(x.size(-1)))
                                .add_(eps)
                                .rsqrt_();  // (T, heads, 1) fp32
  x.copy_(x.to(at::kFloat).mul_(invRms).to(x.scalar_type()).mul_(gain));
}

// The weights as drawn from the seed, fused the way the model multiplies them, gains not yet folded.
struct RawLayer {
  at::Tensor qkv;       // (d, H*hd + 2*Hkv*hd): Q, K, V columns, unscaled
  at::Tensor attnNorm;  // (d, 1)
  at::Tensor out;       // (H*hd, d)
  at::Tensor gateUp;    // (d, 2F)
  at::Tensor mlpNorm;   // (d, 1)
  at::Tensor down;      // (F, d)
};
struct RawWeights {
  at::Tensor embed;      // (V, d)
  at::Tensor lmHead;     // (d, V)
  at::Tensor finalNorm;  // (d, 1)
  std::vector<RawLayer> layers;
};

// Every weight from its own counter-based stream, so the values depend on the seed and shapes only.
RawWeights generateRaw(const ModelConfig& c) {
  const int64_t d = c.dModel, qDim = int64_t(c.heads) * c.headDim, kvDim = int64_t(c.kvHeads) * c.headDim,
                ffn = c.ffnHidden;
  constexpr double kStd = 0.02;
  // Residual-branch outputs are scaled down so the residual stream stays O(1) over all layers.
  const double residualStd = kStd / std::sqrt(2.0 * c.layers);
  const double normGainSpread = 0.2;  // RMSNorm gains are 1 +- 0.2
  RawWeights w;
  // (V, d); the scale is irrelevant because every block starts with an RMSNorm.
  w.embed = randomWeight(streamKey(c.seed, WeightId::Embed, -1), c.vocab, d, 1.0);
  // (d, V); std 1/sqrt(d) gives logits of O(1), so greedy decoding has clear winners.
  w.lmHead = randomWeight(streamKey(c.seed, WeightId::LmHead, -1), d, c.vocab, 1.0 / std::sqrt(double(d)));
  w.finalNorm = uniformWeight(streamKey(c.seed, WeightId::FinalNorm, -1), d, 1, 1.0, normGainSpread);
  w.layers.reserve(size_t(c.layers));
  for (int l = 0; l < c.layers; ++l) {
    RawLayer layer;
    layer.qkv = randomWeight(streamKey(c.seed, WeightId::Qkv, l), d, qDim + 2 * kvDim, kStd);
    layer.attnNorm = uniformWeight(streamKey(c.seed, WeightId::AttnNorm, l), d, 1, 1.0, normGainSpread);
    layer.out = randomWeight(streamKey(c.seed, WeightId::Out, l), qDim, d, residualStd);
    layer.gateUp = randomWeight(streamKey(c.seed, WeightId::GateUp, l), d, 2 * ffn, kStd);
    layer.mlpNorm = uniformWeight(streamKey(c.seed, WeightId::MlpNorm, l), d, 1, 1.0, normGainSpread);
    layer.down = randomWeight(streamKey(c.seed, WeightId::Down, l), ffn, d, residualStd);
    w.layers.push_back(std::move(layer));
  }
  return w;
}

// A cached prefix handed over as per-layer tensors (assembled by the caller): one copy per layer read.
class LayerKvPrefix final : public KvPrefixSource {
public:
  LayerKvPrefix(const std::vector<LayerKv>& layers, int64_t tokens) : m_layers(layers), m_tokens(tokens) {}
  int64_t tokens() const override { return m_tokens; }
  void read(int layer, const at::Tensor& k, const at::Tensor& v) const override {
    k.copy_(m_layers[size_t(layer)].k);
    v.copy_(m_layers[size_t(layer)].v);
  }
  bool segments(int layer, std::vector<KvSegment>& out) const override {
    out.push_back({m_layers[size_t(layer)].k, m_layers[size_t(layer)].v});
    return true;
  }

private:
  const std::vector<LayerKv>& m_layers;
  int64_t m_tokens = 0;
};

// Waits for the work queued on a CUDA device's current stream (device-generic c10 interface: no CUDA
// header, so this compiles against a CPU-only LibTorch); nothing on the CPU, where work is synchronous.
void deviceBarrier(const at::Device& device) {
  if (!device.is_cuda()) return;
  const c10::impl::DeviceGuardImplInterface* impl = c10::impl::getDeviceGuardImpl(c10::DeviceType::CUDA);
  impl->getStream(device.has_index() ? device : impl->getDevice()).synchronize();
}

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

void checkComputable(const ModelConfig& c) {
  if (!c.computable)
    throw std::invalid_argument("LlamaModel: preset '" + c.name +
                                "' is accounting-only (computable = false)");
  if (c.layers <= 0 || c.dModel <= 0 || c.heads <= 0 || c.kvHeads <= 0 || c.headDim <= 0 ||
      c.headDim % 2 != 0 || c.heads % c.kvHeads != 0 || c.ffnHidden <= 0 || c.vocab <= 0)
    throw std::invalid_argument("LlamaModel: inconsistent shapes in preset '" + c.name + "'");
}

}  // namespace

struct LlamaModel::Impl {
  ModelConfig config;
  std::string deviceName = "cpu";  // as given: "cpu", "cuda" or "cuda:N"
  at::Device device{at::kCPU};
  at::ScalarType dtype = at::kFloat;  // weights, activations and K/V (config.dtype)
  at::Tensor embed;                   // (V, d)
  at::Tensor lmHead;                  // (d, V), final-norm gain folded into its rows (unless finalGain)
  at::Tensor finalGain;               // (d) final RMSNorm gain when lmHead is the tied embedding's view
  RopeFrequencies rope;               // from config.ropeTheta and config.rope (scaling)
  std::vector<LayerWeights> layers;
  at::Tensor
      causalMask;  // (C, 1, C) model dtype: 0 on and below the diagonal, -inf above; C = kMaxQueryChunk

  // A CPU tensor on the model device, in the model dtype (no copy when both already match).
  at::Tensor toModel(const at::Tensor& t) const { return t.to(device, dtype); }
};

LlamaModel::LlamaModel(const ModelConfig& config, const std::string& device) : LlamaModel(config, device, nullptr) {}

LlamaModel::LlamaModel(const ModelConfig& config, const std::string& device, const CheckpointWeights& weights)
    : LlamaModel(config, device, &weights) {}

LlamaModel::LlamaModel(const ModelConfig& config, const std::string& device, const CheckpointWeights* weights)
    : m_impl(std::make_unique<Impl>()) {
  Impl& m = *m_impl;
  m.config = config;
  const ModelConfig& c = config;
  if (weights) {
    CheckpointWeights::checkSupported(c);
  } else {
    checkComputable(c);
  }
  try {
    m.rope = ropeFrequencies(c);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("LlamaModel: " + std::string(e.what()));
  }
  const std::string cudaPrefix = "cuda:";
  const bool cudaIndexed = device.rfind(cudaPrefix, 0) == 0 && device.size() > cudaPrefix.size() &&
                           device.size() <= cudaPrefix.size() + 3 &&
                           device.find_first_not_of("0123456789", cudaPrefix.size()) == std::string::npos;
  if (device == "cuda" || cudaIndexed) {
    if (!cudaAvailable())
      throw std::runtime_error("LlamaModel: device '" + device +
                               "' requested, but this LibTorch build has "
                               "no CUDA support or no GPU is visible");
    m.device = cudaIndexed
                   ? at::Device(at::kCUDA, at::DeviceIndex(std::stoi(device.substr(cudaPrefix.size()))))
                   : at::Device(at::kCUDA);
  } else if (device != "cpu") {
    throw std::invalid_argument("LlamaModel: unknown device '" + device + "' (use cpu, cuda or cuda:N)");
  }
  m.deviceName = device;
  m.dtype = scalarType(c.dtype);
  if (c.dtype == ComputeDtype::Fp16 && !m.device.is_cuda())
    throw std::invalid_argument(
        "LlamaModel: fp16 needs a CUDA device (LibTorch's CPU kernels lack fp16 matrix products); on the CPU "
        "use --dtype bf16 or fp32");
  if (bytesPerElement(c.dtype) != c.dtypeBytes)
    throw std::invalid_argument("LlamaModel: preset '" + c.name + "' has dtypeBytes " +
                                std::to_string(c.dtypeBytes) + " but dtype " +
                                std::string(toString(c.dtype)) + " (use withDtype)");

  c10::InferenceMode inferenceGuard;
  const int64_t qDim = int64_t(c.heads) * c.headDim;
  const double attentionScale = 1.0 / std::sqrt(double(c.headDim));
  if (weights) {
    // The same exact rewrites as for generated weights, one layer at a time so only one layer's fp32 copy
    // exists besides the model. With q/k norms the attention scale goes into the query norm's gain (a
    // norm would undo it in the columns); a Q bias is scaled with the Q columns.
    m.embed = m.toModel(weights->embed());
    const bool tiedView = c.tiedEmbeddings && !weights->hasLmHead();
    if (tiedView) {
      m.lmHead = m.embed.t();  // (d, V) view: no second copy of the table
      m.finalGain = m.toModel(weights->finalNorm());
    } else {
      m.lmHead = m.toModel(weights->lmHead().mul(weights->finalNorm().unsqueeze(1)));
    }
    m.layers.reserve(size_t(c.layers));
    for (int l = 0; l < c.layers; ++l) {
      const LlamaReferenceWeights::Layer r = weights->layer(l);
      at::Tensor qkv = at::cat({r.wq, r.wk, r.wv}, 1);  // (d, H*hd + 2*Hkv*hd) fp32
      if (!r.qNorm.defined()) qkv.narrow(1, 0, qDim).mul_(attentionScale);
      LayerWeights w;
      w.qkv = m.toModel(qkv.mul_(r.attnNorm.unsqueeze(1)));
      if (r.qBias.defined()) {
        at::Tensor bias = at::cat({r.qBias, r.kBias, r.vBias});
        if (!r.qNorm.defined()) bias.narrow(0, 0, qDim).mul_(attentionScale);
        w.qkvBias = m.toModel(bias);
      }
      if (r.qNorm.defined()) {
        w.qNorm = m.toModel(r.qNorm * attentionScale);
        w.kNorm = m.toModel(r.kNorm);
      }
      w.out = m.toModel(r.wo);
      w.gateUp = m.toModel(at::cat({r.wGate, r.wUp}, 1).mul_(r.mlpNorm.unsqueeze(1)));
      w.down = m.toModel(r.wDown);
      m.layers.push_back(std::move(w));
    }
  } else {
    RawWeights raw = generateRaw(c);
    // The exact rewrites, in place on the raw tensors: gains into the rows of the next projection, the
    // attention scale into the Q columns.
    // Generated and folded in fp32 on the CPU, then rounded once to the model dtype.
    m.embed = m.toModel(raw.embed);
    m.lmHead = m.toModel(raw.lmHead.mul_(raw.finalNorm));
    m.layers.reserve(size_t(c.layers));
    for (RawLayer& r : raw.layers) {
      LayerWeights w;
      r.qkv.narrow(1, 0, qDim).mul_(1.0 / std::sqrt(double(c.headDim)));
      w.qkv = m.toModel(r.qkv.mul_(r.attnNorm));
      w.out = m.toModel(r.out);
      w.gateUp = m.toModel(r.gateUp.mul_(r.mlpNorm));
      w.down = m.toModel(r.down);
      m.layers.push_back(std::move(w));
    }
  }

  // The diagonal block of a query chunk: as many queries as keys, so bottom-right = the usual triangle.
  const at::Tensor hidden =
      bottomRightCausalMask(kMaxQueryChunk, kMaxQueryChunk, at::TensorOptions()).logical_not();
  m.causalMask = m.toModel(at::zeros({kMaxQueryChunk, 1, kMaxQueryChunk}, at::kFloat)
                               .masked_fill_(hidden.unsqueeze(1), -std::numeric_limits<float>::infinity()));
}

LlamaModel::~LlamaModel() = default;
LlamaModel::LlamaModel(LlamaModel&&) noexcept = default;
LlamaModel& LlamaModel::operator=(LlamaModel&&) noexcept = default;

const ModelConfig& LlamaModel::config() const { return m_impl->config; }

std::string LlamaModel::device() const { return m_impl->deviceName; }

PrefillResult LlamaModel::prefill(std::span<const int32_t> tokens, const std::vector<LayerKv>& cachedPrefix,
                                  const std::atomic<bool>* cancel) const {
  const Impl& m = *m_impl;
  const ModelConfig& c = m.config;
  const int64_t hkv = c.kvHeads, hd = c.headDim;
  const at::Tensor* firstK = cachedPrefix.empty() ? nullptr : &cachedPrefix.front().k;
  const int64_t P = firstK && firstK->defined() && firstK->dim() == 3 ? firstK->size(1) : 0;
  const int64_t promptTokens = int64_t(tokens.size());
  if (promptTokens - P <= 0)
    throw std::invalid_argument("LlamaModel::prefill: the prompt (" + std::to_string(promptTokens) +
                                " tokens) must be longer than the cached prefix (" + std::to_string(P) + ")");
  if (!cachedPrefix.empty() && int64_t(cachedPrefix.size()) != c.layers)
    throw std::invalid_argument("LlamaModel::prefill: cachedPrefix has " +
                                std::to_string(cachedPrefix.size()) + " layers, model has " +
                                std::to_string(c.layers));
  for (const LayerKv& kv : cachedPrefix) {
    for (const at::Tensor* t : {&kv.k, &kv.v}) {
      if (!t->defined() || t->dim() != 3 || t->size(0) != hkv || t->size(1) != P || t->size(2) != hd ||
          t->scalar_type() != m.dtype || t->device().type() != m.device.type())
        throw std::invalid_argument("LlamaModel::prefill: every cached K/V must be " +
                                    std::string(toString(c.dtype)) + " (" + std::to_string(hkv) + ", " +
                                    std::to_string(P) + ", " + std::to_string(hd) + ") on " + device());
    }
  }
  const LayerKvPrefix prefix(cachedPrefix, P);
  return forward(tokens, P, P > 0 ? &prefix : nullptr, nullptr, cancel);
}

PrefillResult LlamaModel::prefill(std::span<const int32_t> tokens, const KvPrefixSource& prefix,
                                  const std::atomic<bool>* cancel) const {
  const int64_t P = prefix.tokens();
  const int64_t promptTokens = int64_t(tokens.size());
  if (P < 0 || promptTokens - P <= 0)
    throw std::invalid_argument("LlamaModel::prefill: the prompt (" + std::to_string(promptTokens) +
                                " tokens) must be longer than the cached prefix (" + std::to_string(P) + ")");
  return forward(tokens, P, P > 0 ? &prefix : nullptr, nullptr, cancel);
}

SequenceKv LlamaModel::newSequence(int64_t capacity) const {
  const Impl& m = *m_impl;
  if (capacity < 1) throw std::invalid_argument("LlamaModel::newSequence: capacity must be at least 1");
  c10::InferenceMode inferenceGuard;
  const at::TensorOptions opts = at::TensorOptions().dtype(m.dtype).device(m.device);
  SequenceKv sequence;
  sequence.capacity = capacity;
  sequence.layers.reserve(size_t(m.config.layers));
  for (int l = 0; l < m.config.layers; ++l)
    sequence.layers.push_back({at::empty({m.config.kvHeads, capacity, m.config.headDim}, opts),
                               at::empty({m.config.kvHeads, capacity, m.config.headDim}, opts)});
  return sequence;
}

void LlamaModel::appendToSequence(SequenceKv& sequence, const std::vector<LayerKv>& kv) const {
  if (kv.empty()) return;
  c10::InferenceMode inferenceGuard;
  if (kv.size() != sequence.layers.size())
    throw std::invalid_argument("LlamaModel::appendToSequence: layer count differs");
  const int64_t n = kv.front().k.size(1);
  if (sequence.length + n > sequence.capacity)
    throw std::invalid_argument("LlamaModel::appendToSequence: " + std::to_string(n) +
                                " more tokens do not fit the sequence's capacity of " +
                                std::to_string(sequence.capacity));
  for (size_t l = 0; l < kv.size(); ++l) {
    if (kv[l].k.size(1) != n || kv[l].v.size(1) != n)
      throw std::invalid_argument("LlamaModel::appendToSequence: layers hold different token counts");
    sequence.layers[l].k.narrow(1, sequence.length, n).copy_(kv[l].k);
    sequence.layers[l].v.narrow(1, sequence.length, n).copy_(kv[l].v);
  }
  sequence.length += n;
}

void LlamaModel::appendToSequence(SequenceKv& sequence, const KvPrefixSource& prefix) const {
  const int64_t n = prefix.tokens();
  if (n == 0) return;
  c10::InferenceMode inferenceGuard;
  if (int64_t(sequence.layers.size()) != m_impl->config.layers)
    throw std::invalid_argument("LlamaModel::appendToSequence: layer count differs");
  if (n < 0 || sequence.length + n > sequence.capacity)
    throw std::invalid_argument("LlamaModel::appendToSequence: " + std::to_string(n) +
                                " more tokens do not fit the sequence's capacity of " +
                                std::to_string(sequence.capacity));
  for (size_t l = 0; l < sequence.layers.size(); ++l)
    prefix.read(int(l), sequence.layers[l].k.narrow(1, sequence.length, n),
                sequence.layers[l].v.narrow(1, sequence.length, n));
  sequence.length += n;
}

PrefillResult LlamaModel::extend(std::span<const int32_t> tokens, SequenceKv& sequence,
                                 const std::atomic<bool>* cancel) const {
  const Impl& m = *m_impl;
  const int64_t total = int64_t(tokens.size());
  if (total <= sequence.length)
    throw std::invalid_argument("LlamaModel::extend: no new tokens (sequence holds " +
                                std::to_string(sequence.length) + ", given " + std::to_string(total) + ")");
  if (total > sequence.capacity || int64_t(sequence.layers.size()) != m.config.layers)
    throw std::invalid_argument("LlamaModel::extend: " + std::to_string(total) +
                                " tokens exceed the sequence's capacity of " +
                                std::to_string(sequence.capacity));
  PrefillResult result = forward(tokens, sequence.length, nullptr, &sequence, cancel);
  sequence.length = total;
  return result;
}

PrefillResult LlamaModel::forward(std::span<const int32_t> tokens, int64_t P, const KvPrefixSource* prefix,
                                  SequenceKv* sequence, const std::atomic<bool>* cancel) const {
  const Impl& m = *m_impl;
  const ModelConfig& c = m.config;
  applyComputeThreads();
  c10::InferenceMode inferenceGuard;

  const int64_t hkv = c.kvHeads, hd = c.headDim, g = c.heads / c.kvHeads;
  const int64_t qDim = int64_t(c.heads) * hd, kvDim = hkv * hd, ffn = c.ffnHidden;
  const int64_t promptTokens = int64_t(tokens.size());
  const int64_t T = promptTokens - P;
  const int64_t K = promptTokens;
  for (const int32_t t : tokens)
    if (t < 0 || t >= c.vocab)
      throw std::invalid_argument("LlamaModel::prefill: token id " + std::to_string(t) + " outside [0, " +
                                  std::to_string(c.vocab) + ")");
  const auto checkCancel = [cancel] {
    if (cancel && cancel->load(std::memory_order_relaxed)) throw Cancelled();
  };

  // (T) ids of the tokens to compute.
  at::Tensor ids = at::empty({T}, at::kLong);
  std::copy(tokens.begin() + P, tokens.end(), ids.data_ptr<int64_t>());
  ids = ids.to(m.device);

  // RoPE tables for positions [P, K): (T, hd/2).
  at::Tensor cosT, sinT;
  {
    const at::TensorOptions f64 = at::TensorOptions().dtype(at::kDouble);
    const at::Tensor pos = at::arange(double(P), double(K), f64);  // (T)
    const at::Tensor invFreq =                                     // (hd/2), scaled as config.rope says
        at::tensor(at::ArrayRef<double>(m.rope.inverseFrequencies), f64);
    const at::Tensor angle = at::outer(pos, invFreq);  // (T, hd/2)
    // Computed in fp64, rounded once to the model dtype; yarn scales cos and sin (attentionFactor).
    cosT = m.toModel(angle.cos().mul_(m.rope.attentionFactor));
    sinT = m.toModel(angle.sin().mul_(m.rope.attentionFactor));
  }

  const at::TensorOptions opts = at::TensorOptions().dtype(m.dtype).device(m.device);
  [[maybe_unused]] const int64_t queryChunk =
      std::clamp<int64_t>(kScoreChunkElements / (hkv * g * K), kMinQueryChunk, kMaxQueryChunk);
  // Scratch reused by every layer: one allocation per call instead of fresh, page-faulting buffers
  // per layer.
  at::Tensor normed = at::empty({T, c.dModel}, opts);             // (T, d) RMSNorm output
  at::Tensor invRms = at::empty({T, 1}, opts.dtype(at::kFloat));  // (T, 1) fp32
  at::Tensor qkv = at::empty({T, qDim + 2 * kvDim}, opts);        // (T, H*hd + 2*Hkv*hd)
  // Q is laid out (Hkv, T, g, hd) so that for one K/V head the g query heads of a token are adjacent
  // rows: a chunk of queries is then a plain (Hkv, chunk*g, hd) strided view and the whole group
  // shares K/V in one bmm, without repeating K/V.
  at::Tensor q = at::empty({hkv, T, g, hd}, opts);
  at::Tensor ctx = at::empty({hkv, T * g, hd}, opts);  // attention output, same layout as q
  at::Tensor ctxRows = hkv == 1 ? ctx.view({T, qDim}) : at::empty({T, qDim}, opts);  // (T, H*hd)
  at::Tensor gateUp = at::empty({T, 2 * ffn}, opts);                                 // (T, 2F)
#if KVLAB_TORCH_HAS_SDPA
  // (T*g, K) bool: query row t*g + j (token t, head j of the group) sees keys [0, P + t]; shared by all
  // layers and broadcast over the K/V heads.
  const at::Tensor sdpaMask = bottomRightCausalMask(T, K, opts).repeat_interleave(g, /*dim=*/0);
#else
  at::Tensor scoreBuf = at::empty({hkv * std::min(queryChunk, T) * g * K}, opts);  // (Hkv, chunk*g, K)
#endif
  // (Hkv, K, hd): the keys / values attended to, cached prefix then new tokens, rewritten by every layer
  // (one buffer per call, so its pages stay resident and mostly in cache), made when a layer's prefix has
  // to be read (not attended in place); a sequence holds them in place instead, and without a prefix the
  // new tokens' K/V are all there is.
  at::Tensor kAll, vAll;
  // Where one layer's keys / values lie, in token order: the cached prefix's stretches, then the new tokens.
  std::vector<KvSegment> pieces;
  const at::Tensor qRows = q.view({hkv, T * g, hd});
  at::Tensor gate = gateUp.narrow(1, 0, ffn);  // (T, F) views
  const at::Tensor up = gateUp.narrow(1, ffn, ffn);

  at::Tensor x = m.embed.index_select(0, ids);  // (T, d) residual stream
  PrefillResult result;
  if (!sequence) result.newKv.reserve(size_t(c.layers));

  for (int l = 0; l < c.layers; ++l) {
    checkCancel();
    const LayerWeights& w = m.layers[size_t(l)];

    // --- attention ---
    rmsNormNoGain(x, c.rmsEps, invRms, normed);
    matmulOut(qkv, normed, w.qkv);
    if (w.qkvBias.defined()) qkv.add_(w.qkvBias);
    if (w.qNorm.defined()) {  // Qwen3: RMSNorm on every query and key head, before RoPE
      headRmsNorm(qkv.narrow(1, 0, qDim).view({T, c.heads, hd}), w.qNorm, c.rmsEps);
      headRmsNorm(qkv.narrow(1, qDim, kvDim).view({T, hkv, hd}), w.kNorm, c.rmsEps);
    }
    applyRope(qkv.narrow(1, 0, qDim).view({T, hkv, g, hd}), q.permute({1, 0, 2, 3}), cosT, sinT);
    // Where this layer's keys / values lie, in token order (the cached prefix's stretches, then the new
    // tokens), and where the new tokens' K/V go: (Hkv, T, hd), fresh tensors, the sequence's slots [P, K),
    // or the prefix source's room right after its last stretch (then prefix and new tokens are one piece).
    pieces.clear();
    LayerKv kv;
    bool prefixInPlace = false;
    if (prefix && !sequence && !torch_compat::kHasSdpa) {
      // The cached K/V of [0, P) where the cache keeps it, attended in place (timed alone: barriers on
      // CUDA). Otherwise (fused attention, a prefix in too many pieces, K/V elsewhere) it is read below
      // into the attention buffer, the new tokens' K/V after it.
      deviceBarrier(m.device);
      const auto readStart = std::chrono::steady_clock::now();
      const auto onModelDevice = [&] {
        return std::all_of(pieces.begin(), pieces.end(), [&](const KvSegment& s) {
          return s.k.device() == m.device && s.k.scalar_type() == m.dtype && s.v.device() == m.device &&
                 s.v.scalar_type() == m.dtype;
        });
      };
      if (prefix->segmentsWithRoom(l, T, pieces) && onModelDevice()) {
        const KvSegment& last = pieces.back();
        kv.k = last.k.narrow(1, last.k.size(1) - T, T);
        kv.v = last.v.narrow(1, last.v.size(1) - T, T);
        result.newKvInRoom = true;
        prefixInPlace = true;
      } else {
        pieces.clear();
        prefixInPlace = prefix->segments(l, pieces) && onModelDevice();
        if (!prefixInPlace) pieces.clear();
      }
      deviceBarrier(m.device);
      result.prefixReadMs += msSince(readStart);
    }
    if (!kv.k.defined()) {
      kv.k = sequence ? sequence->layers[size_t(l)].k.narrow(1, P, T) : at::empty({hkv, T, hd}, opts);
      kv.v = sequence ? sequence->layers[size_t(l)].v.narrow(1, P, T) : at::empty({hkv, T, hd}, opts);
    }
    applyRope(qkv.narrow(1, qDim, kvDim).view({T, hkv, hd}), kv.k.permute({1, 0, 2}), cosT, sinT);
    kv.v.permute({1, 0, 2}).copy_(qkv.narrow(1, qDim + kvDim, kvDim).view({T, hkv, hd}));
    if (prefixInPlace) {
      if (!result.newKvInRoom) pieces.push_back({kv.k, kv.v});
    } else if (prefix && !sequence) {
      deviceBarrier(m.device);
      const auto readStart = std::chrono::steady_clock::now();
      if (!kAll.defined()) {
        kAll = at::empty({hkv, K, hd}, opts);
        vAll = at::empty({hkv, K, hd}, opts);
      }
      prefix->read(l, kAll.narrow(1, 0, P), vAll.narrow(1, 0, P));
      kAll.narrow(1, P, T).copy_(kv.k);
      vAll.narrow(1, P, T).copy_(kv.v);
      pieces.push_back({kAll, vAll});
      deviceBarrier(m.device);
      result.prefixReadMs += msSince(readStart);
    } else if (sequence) {
      pieces.push_back({sequence->layers[size_t(l)].k.narrow(1, 0, K), sequence->layers[size_t(l)].v.narrow(1, 0, K)});
    } else {
      pieces.push_back({kv.k, kv.v});
    }
#if KVLAB_TORCH_HAS_SDPA
    // LibTorch's fused attention, (1, Hkv, T*g, hd) queries over (1, Hkv, K, hd) keys/values, with the
    // explicit bottom-right mask (is_causal would be top-left aligned: wrong once P > 0). Q is pre-scaled.
    // Without segments, one piece holds all K keys.
    ctx.copy_(at::scaled_dot_product_attention(qRows.unsqueeze(0), pieces.front().k.unsqueeze(0),
                                               pieces.front().v.unsqueeze(0), sdpaMask, /*dropout_p=*/0.0,
                                               /*is_causal=*/false, /*scale=*/1.0)
                  .squeeze(0));
#else
    for (int64_t q0 = 0; q0 < T; q0 += queryChunk) {
      const int64_t n = std::min(queryChunk, T - q0);
      const int64_t keys = P + q0 + n;  // causal: the chunk sees keys [0, keys)
      at::Tensor scores = scoreBuf.narrow(0, 0, hkv * n * g * keys).view({hkv, n * g, keys});
      const at::Tensor queries = qRows.narrow(1, q0 * g, n * g);
      // Each piece's keys fill their columns of the scores; the values are summed over the pieces.
      int64_t offset = 0;
      for (const KvSegment& piece : pieces) {
        const int64_t len = std::min(piece.k.size(1), keys - offset);
        if (len <= 0) break;
        batchMatmulOut(scores.narrow(2, offset, len), queries, piece.k.narrow(1, 0, len).transpose(1, 2));
        offset += len;
      }
      // Only the (n x n) diagonal block needs masking; earlier keys are all visible.
      scores.view({hkv, n, g, keys}).narrow(3, P + q0, n).add_(m.causalMask.narrow(0, 0, n).narrow(2, 0, n));
      at::_softmax_out(scores, scores, /*dim=*/-1, /*half_to_float=*/false);
      at::Tensor ctxChunk = ctx.narrow(1, q0 * g, n * g);
      offset = 0;
      for (const KvSegment& piece : pieces) {
        const int64_t len = std::min(piece.v.size(1), keys - offset);
        if (len <= 0) break;
        batchMatmulOut(ctxChunk, scores.narrow(2, offset, len), piece.v.narrow(1, 0, len), /*accumulate=*/offset > 0);
        offset += len;
      }
    }
#endif
    // (Hkv, T, g, hd) -> (T, H*hd) (a view when Hkv == 1); the residual add is fused into the GEMM.
    if (hkv > 1) ctxRows.view({T, hkv, g * hd}).copy_(ctx.view({hkv, T, g * hd}).permute({1, 0, 2}));
    matmulOut(x, ctxRows, w.out, /*accumulate=*/true);
    if (!sequence) result.newKv.push_back(std::move(kv));

    // --- SwiGLU MLP ---
    rmsNormNoGain(x, c.rmsEps, invRms, normed);
    matmulOut(gateUp, normed, w.gateUp);
    at::silu_(gate);
    gate.mul_(up);
    matmulOut(x, gate, w.down, /*accumulate=*/true);
  }
  checkCancel();

  const at::Tensor xLast = x.narrow(0, T - 1, 1);  // (1, d)
  at::Tensor last = at::empty({1, c.dModel}, opts);
  rmsNormNoGain(xLast, c.rmsEps, invRms.narrow(0, 0, 1), last);
  if (m.finalGain.defined()) last.mul_(m.finalGain);  // tied head: the gain could not be folded into it
  result.lastLogits = at::mm(last, m.lmHead).view({c.vocab}).to(at::kFloat);  // (V) fp32
  return result;
}

void detachNewKv(PrefillResult& result) {
  if (!result.newKvInRoom) return;
  c10::InferenceMode inferenceGuard;
  for (LayerKv& kv : result.newKv) kv = {kv.k.clone(at::MemoryFormat::Contiguous), kv.v.clone(at::MemoryFormat::Contiguous)};
  result.newKvInRoom = false;
}

LlamaReferenceWeights generateReferenceWeights(const ModelConfig& config) {
  checkComputable(config);
  c10::InferenceMode inferenceGuard;
  const int64_t qDim = int64_t(config.heads) * config.headDim,
                kvDim = int64_t(config.kvHeads) * config.headDim, ffn = config.ffnHidden;
  RawWeights raw = generateRaw(config);
  LlamaReferenceWeights w;
  w.embed = raw.embed;
  w.finalNorm = raw.finalNorm.view({-1});
  w.lmHead = raw.lmHead;
  for (const RawLayer& r : raw.layers) {
    LlamaReferenceWeights::Layer layer;
    layer.attnNorm = r.attnNorm.view({-1});
    layer.wq = r.qkv.narrow(1, 0, qDim).contiguous();
    layer.wk = r.qkv.narrow(1, qDim, kvDim).contiguous();
    layer.wv = r.qkv.narrow(1, qDim + kvDim, kvDim).contiguous();
    layer.wo = r.out;
    layer.mlpNorm = r.mlpNorm.view({-1});
    layer.wGate = r.gateUp.narrow(1, 0, ffn).contiguous();
    layer.wUp = r.gateUp.narrow(1, ffn, ffn).contiguous();
    layer.wDown = r.down;
    w.layers.push_back(std::move(layer));
  }
  return w;
}

double prefillFlops(const ModelConfig& c, int64_t promptTokens, int64_t cachedTokens) {
  if (promptTokens <= cachedTokens) return 0.0;
  const double d = c.dModel, qDim = double(c.heads) * c.headDim, kvDim = double(c.kvHeads) * c.headDim;
  const double perTokenLinear = 2.0 * (d * (qDim + 2.0 * kvDim) + qDim * d + 3.0 * d * c.ffnHidden);
  const double computed = double(promptTokens - cachedTokens);
  // Token at position i attends to i + 1 keys; sum over i in [cached, prompt) of (i + 1).
  const double keysSum =
      (double(promptTokens) * double(promptTokens + 1) - double(cachedTokens) * double(cachedTokens + 1)) /
      2.0;
  const double attention = 4.0 * qDim * keysSum;  // QK^T and PV, 2 FLOPs per multiply-add each
  return double(c.layers) * (computed * perTokenLinear + attention) + 2.0 * d * c.vocab;
}

}  // namespace kvlab
