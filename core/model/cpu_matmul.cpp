// SPDX-License-Identifier: MIT
#include "core/model/cpu_matmul.h"

#include "core/model/compute_info.h"

#include <ATen/ops/addmm.h>
#include <ATen/ops/baddbmm.h>
#include <ATen/ops/bmm.h>
#include <ATen/ops/mm.h>
#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#if KVLAB_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace kvlab {

namespace {

int defaultThreads() {
  // OpenBLAS's count honours OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, so a user who limits one limits both.
  const int blas = blasThreads();
  return blas > 0 ? blas : int(std::max(1u, std::thread::hardware_concurrency()));
}

std::atomic<int> g_threads{0};  // 0 = not set yet: defaultThreads()

void atenMatmul(const at::Tensor& out, const at::Tensor& a, const at::Tensor& b, bool accumulate) {
  at::Tensor target = out;  // the same tensor: LibTorch's out-arguments take a non-const reference
  if (accumulate)
    target.addmm_(a, b);
  else
    at::mm_out(target, a, b);
}

#if KVLAB_HAVE_ONEDNN

// LibTorch's OpenMP runtime (libgomp) is the one oneDNN runs on; its thread count is a per-thread setting
// that LibTorch also reads (computeThreads(): 1 here), so each product sets it for its own duration. The
// functions are looked up in the loaded runtime instead of linking one, so a Clang build cannot bring a
// second OpenMP runtime into the process.
struct OmpThreads {
  using Get = int (*)();
  using Set = void (*)(int);
  Get get = reinterpret_cast<Get>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
  Set set = reinterpret_cast<Set>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
};

const OmpThreads& omp() {
  static const OmpThreads functions;
  return functions;
}

class ScopedOmpThreads {
public:
  explicit ScopedOmpThreads(int n) {
    const OmpThreads& f = omp();
    if (!f.get || !f.set) return;
    m_previous = f.get();
    if (m_previous != n) f.set(n);
    else m_previous = 0;
  }
  ~ScopedOmpThreads() {
    if (m_previous > 0) omp().set(m_previous);
  }
  ScopedOmpThreads(const ScopedOmpThreads&) = delete;
  ScopedOmpThreads& operator=(const ScopedOmpThreads&) = delete;

private:
  int m_previous = 0;
};

using dnnl::memory;

constexpr memory::dim kRuntime = DNNL_RUNTIME_DIM_VAL;

// One primitive per (dtype, b's layout, accumulate), with every size and stride given at run time: made
// once per thread (about 1 ms) and reused for every shape. Primitives and streams are per thread, so no
// lock is needed and concurrent prefills never share one.
struct ThreadPrimitives {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  // Index: dtype (0 fp32, 1 bf16) * 4 + transposedB * 2 + accumulate.
  std::array<std::optional<dnnl::matmul>, 8> primitives;
  std::array<bool, 8> unsupported{};
  // Memory descriptions of recent operand shapes, re-pointed at each call's data: making three per call
  // cost 3.4 us, about 1 ms of a cache hit's 32-layer prefill (measured on the 2-core VM). The layers of a
  // prefill repeat the same few shapes. One list per argument (src, weights, dst): two operands of one
  // call may have the same shape, and each needs its own object.
  struct Operand {
    memory::dims dims;
    memory::dims strides;
    memory::data_type type;
    memory handle;
  };
  std::array<std::vector<Operand>, 3> operandsByRole;
  static constexpr std::size_t kMaxOperands = 32;
  enum Role { kSrc, kWeights, kDst };

  memory operand(Role role, memory::data_type type, const memory::dims& dims, const memory::dims& strides,
                 void* data) {
    std::vector<Operand>& operands = operandsByRole[role];
    for (Operand& o : operands) {
      if (o.type == type && o.dims == dims && o.strides == strides) {
        o.handle.set_data_handle(data);
        return o.handle;
      }
    }
    if (operands.size() >= kMaxOperands) operands.erase(operands.begin());
    operands.push_back({dims, strides, type, memory({dims, type, strides}, engine, data)});
    return operands.back().handle;
  }
};

ThreadPrimitives& threadPrimitives() {
  thread_local ThreadPrimitives state;
  return state;
}

std::optional<memory::data_type> dnnlType(at::ScalarType t) {
  if (t == at::kFloat) return memory::data_type::f32;
  if (t == at::kBFloat16) return memory::data_type::bf16;
  return std::nullopt;
}

// nullptr when oneDNN has no fast kernel for this combination (the caller falls back to LibTorch).
const dnnl::matmul* primitive(ThreadPrimitives& s, memory::data_type type, bool transposedB, bool accumulate) {
  const std::size_t index =
      (type == memory::data_type::bf16 ? 4u : 0u) + (transposedB ? 2u : 0u) + (accumulate ? 1u : 0u);
  if (s.unsupported[index]) return nullptr;
  if (s.primitives[index]) return &*s.primitives[index];
  try {
    const memory::desc a({kRuntime, kRuntime}, type, {kRuntime, 1});
    const memory::desc b({kRuntime, kRuntime}, type,
                         transposedB ? memory::dims{1, kRuntime} : memory::dims{kRuntime, 1});
    const memory::desc c({kRuntime, kRuntime}, type, {kRuntime, 1});
    dnnl::primitive_attr attr;
    if (accumulate) {
      dnnl::post_ops ops;
      ops.append_sum(1.0f);
      attr.set_post_ops(ops);
    }
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, c), attr, s.engine);
    // A reference kernel (no JIT for this CPU and dtype) is far slower than BLAS: not worth it.
    if (std::string(pd.impl_info_str()).rfind("ref", 0) == 0) {
      s.unsupported[index] = true;
      return nullptr;
    }
    s.primitives[index].emplace(pd);
    return &*s.primitives[index];
  } catch (const dnnl::error&) {
    s.unsupported[index] = true;
    return nullptr;
  }
}

// True when oneDNN computed it; false: the caller uses LibTorch.
bool dnnlMatmul(const at::Tensor& out, const at::Tensor& a, const at::Tensor& b, bool accumulate) {
  if (!out.device().is_cpu()) return false;
  const std::optional<memory::data_type> type = dnnlType(out.scalar_type());
  if (!type || a.scalar_type() != out.scalar_type() || b.scalar_type() != out.scalar_type()) return false;
  const int64_t m = a.size(0), k = a.size(1), n = b.size(1);
  if (m == 0 || n == 0) return true;
  if (k == 0) return false;  // out = 0 (or unchanged): LibTorch's edge-case handling
  // Row-major a and out; b either row- or column-major (a transposed view). A dimension of size 1 has no
  // meaningful stride, so it never decides the layout.
  const bool aRows = a.stride(1) == 1 || k == 1;
  const bool outRows = out.stride(1) == 1 || n == 1;
  const bool bRows = b.stride(1) == 1 || n == 1;
  const bool bCols = !bRows && (b.stride(0) == 1 || k == 1);
  if (!aRows || !outRows || !(bRows || bCols)) return false;
  ThreadPrimitives& s = threadPrimitives();
  const dnnl::matmul* p = primitive(s, *type, bCols, accumulate);
  if (!p) return false;
  const memory::dim lda = std::max<int64_t>(a.stride(0), k);
  const memory::dim ldc = std::max<int64_t>(out.stride(0), n);
  const memory::dim ldb = bCols ? std::max<int64_t>(b.stride(1), k) : std::max<int64_t>(b.stride(0), n);
  const memory am = s.operand(ThreadPrimitives::kSrc, *type, {m, k}, {lda, 1}, a.data_ptr());
  const memory bm = s.operand(ThreadPrimitives::kWeights, *type, {k, n},
                              bCols ? memory::dims{1, ldb} : memory::dims{ldb, 1}, b.data_ptr());
  const memory cm = s.operand(ThreadPrimitives::kDst, *type, {m, n}, {ldc, 1}, out.data_ptr());
  const ScopedOmpThreads threads(cpuMatmulThreads());
  p->execute(s.stream, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
  s.stream.wait();
  return true;
}

#endif  // KVLAB_HAVE_ONEDNN

void checkShapes(const at::Tensor& out, const at::Tensor& a, const at::Tensor& b) {
  if (a.dim() != 2 || b.dim() != 2 || out.dim() != 2 || a.size(1) != b.size(0) || out.size(0) != a.size(0) ||
      out.size(1) != b.size(1))
    throw std::invalid_argument("matmulOut: shapes do not chain");
}

}  // namespace

void matmulOut(const at::Tensor& out, const at::Tensor& a, const at::Tensor& b, bool accumulate) {
  checkShapes(out, a, b);
#if KVLAB_HAVE_ONEDNN
  if (dnnlMatmul(out, a, b, accumulate)) return;
#endif
  atenMatmul(out, a, b, accumulate);
}

void batchMatmulOut(const at::Tensor& out, const at::Tensor& a, const at::Tensor& b, bool accumulate) {
  if (a.dim() != 3 || b.dim() != 3 || out.dim() != 3 || a.size(0) != b.size(0) || out.size(0) != a.size(0))
    throw std::invalid_argument("batchMatmulOut: batch sizes differ");
#if KVLAB_HAVE_ONEDNN
  if (out.device().is_cpu() && dnnlType(out.scalar_type())) {
    for (int64_t i = 0; i < out.size(0); ++i) matmulOut(out[i], a[i], b[i], accumulate);
    return;
  }
#endif
  // A column slice of a wider buffer (the attention's scores) is written through a product of its own.
  if (!out.is_contiguous()) {
    const at::Tensor product = at::bmm(a, b);
    at::Tensor target = out;
    if (accumulate)
      target.add_(product);
    else
      target.copy_(product);
    return;
  }
  at::Tensor target = out;
  if (accumulate)
    target.baddbmm_(a, b);
  else
    at::bmm_out(target, a, b);
}

std::string cpuMatmulBackend() {
#if KVLAB_HAVE_ONEDNN
  const dnnl_version_t* v = dnnl_version();
  const int n = cpuMatmulThreads();
  return "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) +
         " (fp32, bf16), " + std::to_string(n) + (n == 1 ? " thread" : " threads");
#else
  return "LibTorch (BLAS)";
#endif
}

void setCpuMatmulThreads(int n) { g_threads.store(std::max(1, n)); }

int cpuMatmulThreads() {
  const int n = g_threads.load(std::memory_order_relaxed);
  if (n > 0) return n;
  static const int byDefault = defaultThreads();
  return byDefault;
}

}  // namespace kvlab
