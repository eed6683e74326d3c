// SPDX-License-Identifier: MIT
#include "core/arch/rope_frequencies.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace kvlab {

namespace {

// YaRN's mscale: 0.1 * m * ln(scale) + 1 for scale > 1.
double yarnMscale(double scale, double m) { return scale <= 1 ? 1.0 : 0.1 * m * std::log(scale) + 1.0; }

// The dimension (of `dim`) whose wavelength turns `rotations` times over `maxPositions` positions.
double correctionDim(double rotations, double dim, double base, double maxPositions) {
  return dim * std::log(maxPositions / (rotations * 2 * std::numbers::pi)) / (2 * std::log(base));
}

}  // namespace

RopeFrequencies ropeFrequencies(const ModelConfig& c) {
  const RopeScaling& s = c.rope;
  if (s.type == RopeType::Other)
    throw std::invalid_argument("RoPE scaling '" + s.typeName +
                                "' is not computed by the live model (supported: default, linear, llama3, yarn)");
  if (c.headDim <= 0 || c.headDim % 2 != 0)
    throw std::invalid_argument("RoPE needs an even head_dim, got " + std::to_string(c.headDim));
  const int half = c.headDim / 2;
  const double dim = c.headDim, base = c.ropeTheta;
  RopeFrequencies out;
  std::vector<double>& f = out.inverseFrequencies;
  f.resize(std::size_t(half));
  for (int i = 0; i < half; ++i) f[std::size_t(i)] = std::pow(base, -2.0 * i / dim);  // theta^(-2i/d)

  switch (s.type) {
    case RopeType::Default:
    case RopeType::Other:
      break;
    case RopeType::Linear:
      for (double& x : f) x /= s.factor;
      break;
    case RopeType::Llama3: {
      // Wavelengths longer than original/low_freq_factor are slowed by `factor`, shorter than
      // original/high_freq_factor kept, and the band between interpolated smoothly.
      const double old = s.originalMaxPositions;
      const double lowWavelen = old / s.lowFreqFactor, highWavelen = old / s.highFreqFactor;
      for (double& x : f) {
        const double wavelen = 2 * std::numbers::pi / x;
        if (wavelen > lowWavelen) {
          x /= s.factor;
        } else if (wavelen >= highWavelen) {
          const double smooth = (old / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
          x = (1 - smooth) * x / s.factor + smooth * x;
        }
      }
      break;
    }
    case RopeType::Yarn: {
      // The context the model was trained on: original_max_position_embeddings, else max_position_embeddings.
      // The explicit factor wins (transformers); without one, the ratio of the two contexts.
      const double original = s.originalMaxPositions > 0 ? s.originalMaxPositions : c.rope.maxPositions;
      if (!(original > 0))
        throw std::invalid_argument("yarn RoPE needs max_position_embeddings or original_max_position_embeddings");
      const double factor = s.factor > 0 ? s.factor : double(c.rope.maxPositions) / original;
      out.attentionFactor = s.attentionFactor > 0 ? s.attentionFactor
                            : (s.mscale > 0 && s.mscaleAllDim > 0)
                                ? yarnMscale(factor, s.mscale) / yarnMscale(factor, s.mscaleAllDim)
                                : yarnMscale(factor, 1.0);
      double low = correctionDim(s.betaFast, dim, base, original);
      double high = correctionDim(s.betaSlow, dim, base, original);
      if (s.truncate) {
        low = std::floor(low);
        high = std::ceil(high);
      }
      low = std::max(low, 0.0);
      high = std::min(high, dim - 1);
      if (low == high) high += 0.001;  // no singular ramp
      for (int i = 0; i < half; ++i) {
        const double ramp = std::clamp((i - low) / (high - low), 0.0, 1.0);
        const double extrapolation = 1 - ramp;  // share of the original frequency
        double& x = f[std::size_t(i)];
        x = x / factor * (1 - extrapolation) + x * extrapolation;
      }
      break;
    }
  }
  return out;
}

}  // namespace kvlab
