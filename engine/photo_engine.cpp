// The photo model's transforms on oneDNN: convolutions with fused post-ops in oneDNN's blocked
// layout (channels-last for models whose widths do not fill its blocks), GDN as a 1x1 convolution of x^2 followed by a square root (or its inverse) and a product
// fused into it, sub-pixel upsampling as a convolution and a pixel shuffle.
#include "engine/photo_engine.h"

#include <dnnl.hpp>
#include <omp.h>
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <mutex>
#include <tuple>
#include <unordered_map>

#include "model/entropy_model.h"

namespace facet {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;
using dims = dnnl::memory::dims;

// oneDNN (OpenMP runtime) at one thread on the calling thread for the lifetime of the guard: its
// kernels then split no reduction over threads, so a tile's numbers are fixed.
class OneOmpThread {
 public:
  OneOmpThread() : saved_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~OneOmpThread() { omp_set_num_threads(saved_); }
  OneOmpThread(const OneOmpThread&) = delete;
  OneOmpThread& operator=(const OneOmpThread&) = delete;

 private:
  int saved_;
};

struct ConvWeights {
  int in = 0, out = 0, kernel = 0, stride = 1;
  std::vector<float> weight;  // [out, in, kernel, kernel]
  std::vector<float> bias;    // [out]
};

// What a layer computes after its convolution.
enum class LayerKind { kConv, kConvRelu, kGdn, kInverseGdn };

struct Primitive {
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::primitive conv;
  dnnl::primitive square;  // GDNs: x -> x^2, the convolution's input
  dnnl::primitive divide;  // GDN: x / sqrt(norm), in place over x
  dnnl::memory weights;    // in the convolution's layout
  dnnl::memory bias;
};
dt data_type_of(TransformPrecision p) { return p == TransformPrecision::kBf16 ? dt::bf16 : dt::f32; }
size_t element_size(dt t) { return t == dt::bf16 ? 2 : 4; }

StatusOr<std::vector<float>> floats_of(const TensorFile& file, const std::string& name,
                                       const std::vector<int64_t>& shape) {
  auto it = file.tensors.find(name);
  FACET_RETURN_ERROR_IF(it == file.tensors.end(), kCorrupt, "the model has no parameter " + name);
  FACET_RETURN_ERROR_IF(it->second.shape != shape, kCorrupt, "parameter " + name + " has an unexpected shape");
  return tensor_as_floats(it->second);
}

StatusOr<ConvWeights> conv_weights(const TensorFile& file, const std::string& prefix, int in, int out, int kernel,
                                   int stride) {
  ConvWeights w;
  w.in = in;
  w.out = out;
  w.kernel = kernel;
  w.stride = stride;
  FACET_ASSIGN_OR_RETURN(w.weight, floats_of(file, prefix + ".weight", {out, in, kernel, kernel}));
  FACET_ASSIGN_OR_RETURN(w.bias, floats_of(file, prefix + ".bias", {out}));
  return w;
}

// GDN's effective parameters as a 1x1 convolution of x^2: gamma [c, c] as its weight, beta as its
// bias (networks/layers.cpp: beta = max(p, 1e-3)^2, gamma = max(p, 2^-18)^2 - 2^-36, in float).
StatusOr<ConvWeights> gdn_weights(const TensorFile& file, const std::string& prefix, int channels) {
  ConvWeights w;
  w.in = w.out = channels;
  w.kernel = 1;
  FACET_ASSIGN_OR_RETURN(std::vector<float> beta, floats_of(file, prefix + ".beta", {channels}));
  FACET_ASSIGN_OR_RETURN(std::vector<float> gamma, floats_of(file, prefix + ".gamma", {channels, channels}));
  const float beta_bound = 1e-3f, gamma_bound = std::ldexp(1.0f, -18), pedestal = std::ldexp(1.0f, -36);
  for (float& b : beta) {
    const float v = std::max(b, beta_bound);
    b = v * v;
  }
  for (float& g : gamma) {
    const float v = std::max(g, gamma_bound);
    g = v * v - pedestal;
  }
  w.weight = std::move(gamma);
  w.bias = std::move(beta);
  return w;
}

// The upsampling convolutions' output channels are stored sub-pixel major (permute_subpixel):
// channel s * C + c, s = dy * 2 + dx, of (y, x) becomes channel c of (2y + dy, 2x + dx), as
// torch::pixel_shuffle(., 2) does with channel c * 4 + s. Sub-pixel major, every move is a copy of
// contiguous channels: a block of the blocked layout, or all C channels of a channels-last pixel.
void permute_subpixel(ConvWeights& w) {
  const int c_out = w.out / 4;
  const size_t per = size_t(w.in) * w.kernel * w.kernel;
  std::vector<float> weight(w.weight.size()), bias(w.bias.size());
  for (int c = 0; c < c_out; ++c)
    for (int s = 0; s < 4; ++s) {
      std::memcpy(&weight[(size_t(s) * c_out + c) * per], &w.weight[(size_t(c) * 4 + s) * per], per * sizeof(float));
      bias[size_t(s) * c_out + c] = w.bias[size_t(c) * 4 + s];
    }
  w.weight = std::move(weight);
  w.bias = std::move(bias);
}

// Blocked layout (nChw8c / nChw16c: blocks of `block` channels, each [h][w][block]).
void shuffle_blocked(const uint8_t* src, int channels, int h, int w, int block, size_t element, uint8_t* dst) {
  const int blocks = channels / block;
  const size_t vector = size_t(block) * element;
  for (int s = 0; s < 4; ++s) {
    const int dy = s / 2, dx = s % 2;
    for (int cb = 0; cb < blocks; ++cb) {
      const uint8_t* in = src + size_t(s * blocks + cb) * h * w * vector;
      uint8_t* out = dst + size_t(cb) * (2 * h) * (2 * w) * vector;
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
          std::memcpy(out + (size_t(2 * y + dy) * (2 * w) + 2 * x + dx) * vector, in + (size_t(y) * w + x) * vector,
                      vector);
    }
  }
}

// Channels-last layout.
void shuffle_channels_last(const uint8_t* src, int channels, int h, int w, size_t element, uint8_t* dst) {
  const size_t pixel = size_t(channels) * element;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int s = 0; s < 4; ++s)
        std::memcpy(dst + (size_t(2 * y + s / 2) * (2 * w) + 2 * x + s % 2) * pixel,
                    src + ((size_t(y) * w + x) * 4 + s) * pixel, pixel);
}

// Planar f32 [4 C][h][w] into rows [2 y0, 2 (y0 + h)) of planar f32 [C][dst_h][2w] (the synthesis'
// last layer, or a band of it, into the pixels).
void shuffle_planar(const float* src, int channels, int h, int w, float* dst, int dst_h, int y0) {
  for (int s = 0; s < 4; ++s)
    for (int c = 0; c < channels; ++c) {
      const float* in = src + (size_t(s) * channels + c) * h * w;
      float* out = dst + size_t(c) * dst_h * (2 * w);
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
          out[size_t(2 * (y0 + y) + s / 2) * (2 * w) + 2 * x + s % 2] = in[size_t(y) * w + x];
    }
}

// Rows [y0, y0 + rows) of an activation [1, c, src_h, w] into rows [dst_y0, dst_y0 + rows) of one
// [1, c, dst_h, w], both in the blocked layout of `block` channels (block 0: channels-last).
void copy_rows(const uint8_t* src, int c, int src_h, int w, int y0, int rows, int block, size_t element, uint8_t* dst,
               int dst_h, int dst_y0) {
  if (block > 0) {
    const size_t row = size_t(w) * block * element;
    for (int cb = 0; cb < c / block; ++cb)
      std::memcpy(dst + (size_t(cb) * dst_h + dst_y0) * row, src + (size_t(cb) * src_h + y0) * row, row * rows);
  } else {
    const size_t row = size_t(w) * c * element;
    std::memcpy(dst + size_t(dst_y0) * row, src + size_t(y0) * row, row * rows);
  }
}

// The buffers of one transform call, reused from layer to layer: the activations move between a
// few slots instead of a new allocation per layer, so that a tile touches each page (which the
// kernel faults in and zero-fills) once rather than once per layer. A slot handed out again is
// overwritten: the caller takes a slot only when its previous contents are dead.
class Workspace {
 public:
  static constexpr int kSlots = 9;
  // `bytes` of slot k, page-aligned: the slot's buffer, grown when it is too small. Buffers are
  // mapped from the kernel and unmapped when the call ends (or the slot grows), not taken from
  // malloc: a decode of many tiles on worker threads would otherwise leave them in malloc's
  // per-thread arenas (a 6000x4000 decode peaked at 799 MB that way, against 571 MB).
  void* take(int slot, size_t bytes) {
    Slot& s = slots_[slot];
    if (bytes > s.capacity || !s.data) {
      s.release();  // first: the old and the new buffer are never held together
      const size_t page = 4096, rounded = (std::max<size_t>(bytes, 1) + page - 1) / page * page;
      void* p = mmap(nullptr, rounded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
      s.data = p;
      s.capacity = rounded;
    }
    return s.data;
  }

 private:
  struct Slot {
    Slot() = default;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    void* data = nullptr;
    size_t capacity = 0;
    void release() {
      if (data) munmap(data, capacity);
      data = nullptr;
      capacity = 0;
    }
    ~Slot() { release(); }
  };
  std::array<Slot, kSlots> slots_;
};

// Which workspace slots a layer writes: its output (a convolution; an inverse GDN writes over its
// input), the x^2 of a GDN, and a forward GDN's sqrt(norm). The scratchpad has the last slot.
struct Slots {
  int out = 0, squared = 1, norm = 2;
};
constexpr int kScratchSlot = Workspace::kSlots - 1;

}  // namespace

struct PhotoEngine::Impl {
  ModelConfig config;
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  // Layers, in one list: g_a's 4 convolutions and 3 GDNs, g_s's 4 upsampling convolutions and 3
  // inverse GDNs, h_a's 3 convolutions.
  std::vector<ConvWeights> layers;
  std::vector<LayerKind> kinds;
  int ga_conv[4], ga_gdn[3], gs_conv[4], gs_gdn[3], ha_conv[3];
  std::vector<float> log_gains, log_inverse_gains, log_synthesis_scales;  // [rate_points, ...]

  // The activations' layout: blocks of 8 channels (AVX2) or 16 (AVX-512), the layout oneDNN's jit
  // convolutions run fastest on (channels-last was 15-25% slower on AVX2), or channels-last for
  // models whose channel counts are not multiples of the block (block 0).
  tag act_tag = tag::nhwc;
  int block = 0;

  // Primitives by (layer, input height, input width, data type, scaled, input layout, output layout).
  std::mutex mutex;
  std::map<std::tuple<int, int, int, int, bool, int, int, int, int>, std::shared_ptr<Primitive>> cache;
  // Each layer's weights in the layouts its primitives asked for (usually one).
  std::vector<std::vector<std::pair<dnnl::memory::desc, dnnl::memory>>> reordered;

  int add(ConvWeights w, LayerKind kind) {
    layers.push_back(std::move(w));
    kinds.push_back(kind);
    reordered.emplace_back();
    return int(layers.size()) - 1;
  }

  // The primitive of `layer` for a [1, in, h, w] input of type t in layout in_tag, writing layout
  // out_tag; `scaled`: an inverse GDN whose output is multiplied by the rate's channel scales.
  // rows: for a band of rows (stride 1), the zero rows above and below it ({-1, -1}: the kernel's
  // own half-width on both sides, the whole tile).
  StatusOr<std::shared_ptr<Primitive>> primitive(int layer, int h, int w, dt t, bool scaled, tag in_tag, tag out_tag,
                                                 std::pair<int, int> rows = {-1, -1}) {
    std::lock_guard<std::mutex> lock(mutex);
    const auto key = std::make_tuple(layer, h, w, int(t), scaled, int(in_tag), int(out_tag), rows.first, rows.second);
    auto found = cache.find(key);
    if (found != cache.end()) return found->second;
    const ConvWeights& cw = layers[layer];
    const LayerKind kind = kinds[layer];
    const int pad = cw.kernel / 2;
    const int top = rows.first < 0 ? pad : rows.first, bottom = rows.second < 0 ? -1 : rows.second;
    const int oh = bottom < 0 ? (h + 2 * pad - cw.kernel) / cw.stride + 1 : h + top + bottom - cw.kernel + 1;
    const int ow = (w + 2 * pad - cw.kernel) / cw.stride + 1;
    FACET_RETURN_ERROR_IF(oh < 1 || ow < 1, kInvalidArgument, "a tile too small for the transforms");
    FACET_RETURN_ERROR_IF(bottom >= 0 && cw.stride != 1, kInternal, "row bands of a strided convolution");
    const dims pad_l = {top, pad};
    const dims pad_r = {bottom >= 0 ? bottom : (oh - 1) * cw.stride + cw.kernel - h - pad,
                        (ow - 1) * cw.stride + cw.kernel - w - pad};
    dnnl::memory::desc src_md({1, cw.in, h, w}, t, in_tag);
    dnnl::memory::desc dst_md({1, cw.out, oh, ow}, t, out_tag);
    dnnl::memory::desc weights_md({cw.out, cw.in, cw.kernel, cw.kernel}, t, tag::any);
    dnnl::memory::desc bias_md({cw.out}, dt::f32, tag::x);
    dnnl::post_ops ops;
    switch (kind) {
      case LayerKind::kConv: break;
      case LayerKind::kConvRelu: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f); break;
      case LayerKind::kGdn:  // sqrt(norm) here, then x / sqrt(norm) by a binary primitive: a pow(-1/2)
        // post-op (exp and log per element) ran the 1x1 convolution at 15-22 GFLOP/s instead of 84
        ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_sqrt, 0.0f, 0.0f);
        break;
      case LayerKind::kInverseGdn:  // x * sqrt(norm) (* the rate's channel scales)
        ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_sqrt, 0.0f, 0.0f);
        ops.append_binary(dnnl::algorithm::binary_mul, dst_md);
        if (scaled)
          ops.append_binary(dnnl::algorithm::binary_mul, dnnl::memory::desc({1, cw.out, 1, 1}, dt::f32, tag::nchw));
        break;
    }
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    auto entry = std::make_shared<Primitive>();
    try {
      dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                           src_md, weights_md, bias_md, dst_md, {cw.stride, cw.stride}, pad_l, pad_r);
      entry->pd = dnnl::convolution_forward::primitive_desc(desc, attr, engine);
      entry->conv = dnnl::convolution_forward(entry->pd);
      if (kind == LayerKind::kGdn || kind == LayerKind::kInverseGdn) {
        dnnl::eltwise_forward::desc sq(dnnl::prop_kind::forward_inference, dnnl::algorithm::eltwise_square, src_md,
                                       0.0f, 0.0f);
        entry->square = dnnl::eltwise_forward(dnnl::eltwise_forward::primitive_desc(sq, engine));
      }
      if (kind == LayerKind::kGdn) {
        dnnl::binary::desc div(dnnl::algorithm::binary_div, src_md, dst_md, src_md);
        entry->divide = dnnl::binary(dnnl::binary::primitive_desc(div, engine));
      }
      // The weights in the primitive's layout: reordered once per layout, from the plain f32
      // weights the first time, then from the layer's first f32 layout (an exact reorder), so that
      // the plain copy is released once a layout holds the weights in f32.
      auto& known = reordered[layer];
      const dnnl::memory::desc want = entry->pd.weights_desc();
      auto same = std::find_if(known.begin(), known.end(), [&](const auto& k) { return k.first == want; });
      if (same == known.end()) {
        auto f32 = std::find_if(known.begin(), known.end(),
                                [](const auto& k) { return k.first.data_type() == dt::f32; });
        dnnl::memory from = f32 != known.end()
                                ? f32->second
                                : dnnl::memory({{cw.out, cw.in, cw.kernel, cw.kernel}, dt::f32, tag::oihw}, engine,
                                               const_cast<float*>(layers[layer].weight.data()));
        dnnl::memory mem(want, engine);
        dnnl::stream stream(engine);
        dnnl::reorder(from, mem).execute(stream, from, mem);
        stream.wait();
        known.emplace_back(want, mem);
        same = known.end() - 1;
        if (want.data_type() == dt::f32) std::vector<float>().swap(layers[layer].weight);
      }
      entry->weights = same->second;
      entry->bias = dnnl::memory(bias_md, engine, const_cast<float*>(cw.bias.data()));
    } catch (const dnnl::error& e) {
      return make_error(ErrorCode::kUnsupported,
                        std::string("oneDNN cannot run layer ") + std::to_string(layer) + ": " + e.what());
    }
    cache.emplace(key, entry);
    return entry;
  }

  // Runs `layer` on src ([1, in, h, w] in layout in_tag) into workspace slot slots.out in layout
  // out_tag (a GDN: over its input). scales: an inverse GDN's channel scales, or null.
  StatusOr<dnnl::memory> run(int layer, const dnnl::memory& src, dnnl::stream& stream, const float* scales, tag in_tag,
                             tag out_tag, Workspace& ws, Slots slots, std::pair<int, int> rows = {-1, -1}) {
    const dnnl::memory::desc md = src.get_desc();
    const int h = int(md.dims()[2]), w = int(md.dims()[3]);
    FACET_ASSIGN_OR_RETURN(std::shared_ptr<Primitive> p,
                           primitive(layer, h, w, md.data_type(), scales != nullptr, in_tag, out_tag, rows));
    try {
      const LayerKind kind = kinds[layer];
      const bool gdn = kind == LayerKind::kGdn || kind == LayerKind::kInverseGdn;
      // An inverse GDN writes its output over its input x: the convolution reads x^2 (another
      // buffer) and each output element needs only the x at its own position (the binary post-op,
      // applied as the element is stored), so a tile holds two full-size activations here, not
      // three. A GDN writes sqrt(norm) to a third buffer and divides x by it in place.
      const dnnl::memory::desc dst_md = p->pd.dst_desc();
      dnnl::memory dst = kind == LayerKind::kInverseGdn
                             ? src
                             : dnnl::memory(dst_md, engine,
                                            ws.take(kind == LayerKind::kGdn ? slots.norm : slots.out, dst_md.get_size()));
      const dnnl::memory::desc scratch_md = p->pd.scratchpad_desc();
      dnnl::memory scratch(scratch_md, engine, ws.take(kScratchSlot, scratch_md.get_size()));
      std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, p->weights},
                                                    {DNNL_ARG_BIAS, p->bias}, {DNNL_ARG_DST, dst},
                                                    {DNNL_ARG_SCRATCHPAD, scratch}};
      dnnl::memory squared, scale_memory;
      if (gdn) {
        // The convolution reads x^2; its first binary post-op multiplies by x itself.
        squared = dnnl::memory(md, engine, ws.take(slots.squared, md.get_size()));
        p->square.execute(stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, squared}});
        args[DNNL_ARG_SRC] = squared;
        if (kind == LayerKind::kInverseGdn) args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(1) | DNNL_ARG_SRC_1] = src;
        if (scales) {
          scale_memory = dnnl::memory({{1, layers[layer].out, 1, 1}, dt::f32, tag::nchw}, engine,
                                      const_cast<float*>(scales));
          args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(2) | DNNL_ARG_SRC_1] = scale_memory;
        }
      }
      p->conv.execute(stream, args);
      if (kind == LayerKind::kGdn) {
        dnnl::memory x = src;
        p->divide.execute(stream, {{DNNL_ARG_SRC_0, x}, {DNNL_ARG_SRC_1, dst}, {DNNL_ARG_DST, x}});
        stream.wait();
        return x;
      }
      stream.wait();
      return dst;
    } catch (const dnnl::error& e) {
      return make_error(ErrorCode::kInternal, std::string("oneDNN: ") + e.what());
    } catch (const std::bad_alloc&) {
      return make_error(ErrorCode::kLimitExceeded, "out of memory");
    }
  }

  // A planar float [c, h, w] array into a [1, c, h, w] tensor of type t in act_tag (in workspace
  // slot `slot`), and back.
  dnnl::memory from_planar(const float* data, int c, int h, int w, dt t, dnnl::stream& stream, Workspace& ws,
                           int slot) {
    dnnl::memory plain({{1, c, h, w}, dt::f32, tag::nchw}, engine, const_cast<float*>(data));
    const dnnl::memory::desc md({1, c, h, w}, t, act_tag);
    dnnl::memory out(md, engine, ws.take(slot, md.get_size()));
    dnnl::reorder(plain, out).execute(stream, plain, out);
    stream.wait();
    return out;
  }
  void to_planar(const dnnl::memory& src, float* data, dnnl::stream& stream) {
    const dims d = src.get_desc().dims();
    dnnl::memory plain({d, dt::f32, tag::nchw}, engine, data), from = src;
    dnnl::reorder(from, plain).execute(stream, from, plain);
    stream.wait();
  }

  // The sub-pixel shuffle of an activation in act_tag (channels sub-pixel major, permute_subpixel)
  // into workspace slot `slot`.
  dnnl::memory shuffle(const dnnl::memory& src, Workspace& ws, int slot) {
    const dnnl::memory::desc md = src.get_desc();
    const int c = int(md.dims()[1]) / 4, h = int(md.dims()[2]), w = int(md.dims()[3]);
    const dnnl::memory::desc out_md({1, c, 2 * h, 2 * w}, md.data_type(), act_tag);
    dnnl::memory out(out_md, engine, ws.take(slot, out_md.get_size()));
    const auto* in = static_cast<const uint8_t*>(src.get_data_handle());
    auto* o = static_cast<uint8_t*>(out.get_data_handle());
    if (block > 0) {
      shuffle_blocked(in, c, h, w, block, element_size(md.data_type()), o);
    } else {
      shuffle_channels_last(in, c, h, w, element_size(md.data_type()), o);
    }
    return out;
  }

  // A GDN or inverse GDN over x ([1, c, h, w] in act_tag, returned) in place, in bands of
  // kGdnBandRows rows: it is pointwise in space, so each band is copied into a small buffer,
  // normalized there (x^2 and the norm at the band's size) and copied back. A whole-tile x^2 and
  // norm were two fresh buffers of the activation's size, whose first touch (page faults, zeroing)
  // cost more than the arithmetic: the analysis' first GDN took 57 ms of which 18 were squaring.
  static constexpr int kGdnBandRows = 8;
  StatusOr<dnnl::memory> gdn_in_bands(int layer, const dnnl::memory& x, dnnl::stream& stream, const float* scales,
                                      Workspace& ws, int band_slot, int squared_slot, int norm_slot) {
    const dnnl::memory::desc md = x.get_desc();
    const dt t = md.data_type();
    const size_t element = element_size(t);
    const int c = int(md.dims()[1]), h = int(md.dims()[2]), w = int(md.dims()[3]);
    auto* data = static_cast<uint8_t*>(x.get_data_handle());
    for (int r0 = 0; r0 < h; r0 += kGdnBandRows) {
      const int rows = std::min(kGdnBandRows, h - r0);
      const dnnl::memory::desc band_md({1, c, rows, w}, t, act_tag);
      dnnl::memory band(band_md, engine, ws.take(band_slot, band_md.get_size()));
      auto* band_data = static_cast<uint8_t*>(band.get_data_handle());
      copy_rows(data, c, h, w, r0, rows, block, element, band_data, rows, 0);
      FACET_ASSIGN_OR_RETURN(dnnl::memory out, run(layer, band, stream, scales, act_tag, act_tag, ws,
                                                   Slots{band_slot, squared_slot, norm_slot}));
      copy_rows(static_cast<const uint8_t*>(out.get_data_handle()), c, rows, w, 0, rows, block, element, data, h, r0);
    }
    return x;
  }

  // The synthesis' last upsampling stage (convolution, shuffle, inverse GDN) and its last layer
  // (the 12-channel convolution, shuffled into pixels) in bands of kBandRows rows of its input x2
  // ([1, n, H, W] in slot 0), so that neither the stage's output x3 ([1, n, 2H, 2W], the largest
  // activation) nor the convolution's before it is ever held whole: a tile's memory is x2 and a
  // band's buffers. Each band's convolution reads its rows and one row either side (real rows, or
  // the zero padding at the tile's edges), so every output element is computed from the same
  // numbers as on the whole tile; the last layer runs one x3 row behind, on a window of the
  // band's rows after the two before it (carried over).
  static constexpr int kBandRows = 8;
  Status last_stage_in_bands(const dnnl::memory& x2, const float* scales, dnnl::stream& stream, Workspace& ws,
                             float* pixels) {
    enum { kBandInput = 3, kConvOut = 1, kSquared = 2, kBand = 4, kWindow = 5, kLastOut = 6, kCarry = 7 };
    const dnnl::memory::desc md = x2.get_desc();
    const dt t = md.data_type();
    const size_t element = element_size(t);
    const int n = int(md.dims()[1]), H = int(md.dims()[2]), W = int(md.dims()[3]);
    const int H3 = 2 * H, W3 = 2 * W;
    const auto* x2_data = static_cast<const uint8_t*>(x2.get_data_handle());
    const uint8_t* carry = nullptr;  // the last two x3 rows of the band before
    for (int r0 = 0; r0 < H; r0 += kBandRows) {
      const int r1 = std::min(H, r0 + kBandRows);
      // The convolution of rows [r0, r1): its input rows [in0, in1), zero rows where the tile ends.
      const int in0 = std::max(0, r0 - 1), in1 = std::min(H, r1 + 1);
      const dnnl::memory::desc in_md({1, n, in1 - in0, W}, t, act_tag);
      dnnl::memory band_in(in_md, engine, ws.take(kBandInput, in_md.get_size()));
      copy_rows(x2_data, n, H, W, in0, in1 - in0, block, element, static_cast<uint8_t*>(band_in.get_data_handle()),
                in1 - in0, 0);
      FACET_ASSIGN_OR_RETURN(dnnl::memory conv, run(gs_conv[2], band_in, stream, nullptr, act_tag, act_tag, ws,
                                                    Slots{kConvOut, kSquared, kSquared},
                                                    {r0 == 0 ? 1 : 0, r1 == H ? 1 : 0}));
      dnnl::memory band = shuffle(conv, ws, kBand);  // x3 rows [2 r0, 2 r1)
      FACET_ASSIGN_OR_RETURN(band, run(gs_gdn[2], band, stream, scales, act_tag, act_tag, ws,
                                       Slots{kBand, kSquared, kSquared}));
      // The last layer's rows [out0, out1) of x3 need x3 rows [out0 - 1, out1 + 1): the window is the
      // two rows carried from the band before (none for the first) and this band's.
      const int y0 = 2 * r0, y1 = 2 * r1;
      const int out0 = y0 == 0 ? 0 : y0 - 1, out1 = y1 == H3 ? H3 : y1 - 1;
      const int carried = y0 == 0 ? 0 : 2, window_rows = carried + (y1 - y0);
      const dnnl::memory::desc window_md({1, n, window_rows, W3}, t, act_tag);
      dnnl::memory window(window_md, engine, ws.take(kWindow, window_md.get_size()));
      auto* window_data = static_cast<uint8_t*>(window.get_data_handle());
      if (carried) copy_rows(carry, n, 2, W3, 0, 2, block, element, window_data, window_rows, 0);
      copy_rows(static_cast<const uint8_t*>(band.get_data_handle()), n, y1 - y0, W3, 0, y1 - y0, block, element,
                window_data, window_rows, carried);
      if (out1 > out0) {
        // Blocked output (12 channels padded to a block: a blocked-to-planar convolution has only
        // oneDNN's reference kernel, 1000x slower), then planar f32, then into the pixels.
        FACET_ASSIGN_OR_RETURN(dnnl::memory last, run(gs_conv[3], window, stream, nullptr, act_tag, act_tag, ws,
                                                      Slots{kLastOut, kSquared, kSquared},
                                                      {out0 == 0 ? 1 : 0, out1 == H3 ? 1 : 0}));
        const int rows = int(last.get_desc().dims()[2]);
        FACET_RETURN_ERROR_IF(rows != out1 - out0, kInternal, "a band of the last layer of the wrong height");
        const dnnl::memory::desc planar_md({1, 12, rows, W3}, dt::f32, tag::nchw);
        dnnl::memory planar(planar_md, engine, ws.take(kConvOut, planar_md.get_size()));
        dnnl::reorder(last, planar).execute(stream, last, planar);
        stream.wait();
        shuffle_planar(static_cast<const float*>(planar.get_data_handle()), 3, rows, W3, pixels, 2 * H3, out0);
      }
      // The window's last two rows, for the next band.
      auto* kept = static_cast<uint8_t*>(ws.take(kCarry, size_t(n) * 2 * W3 * element));
      copy_rows(window_data, n, window_rows, W3, window_rows - 2, 2, block, element, kept, 2, 0);
      carry = kept;
    }
    return ok_status();
  }

  std::vector<float> interpolated_exp(const std::vector<float>& table, int width, double t) const {
    const int last = config.rate_points() - 1;
    std::vector<float> out(static_cast<size_t>(width));
    if (table.empty()) return {};
    if (last == 0) {
      for (int k = 0; k < width; ++k) out[k] = std::exp(table[k]);
      return out;
    }
    t = std::min<double>(std::max(t, 0.0), last);
    const int i = std::min(int(std::floor(t)), last - 1);
    const float f = float(t - i), g = float(1 - (t - i));
    for (int k = 0; k < width; ++k)
      out[k] = std::exp(g * table[size_t(i) * width + k] + f * table[size_t(i + 1) * width + k]);
    return out;
  }
};

PhotoEngine::PhotoEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PhotoEngine::~PhotoEngine() = default;

const ModelConfig& PhotoEngine::config() const { return impl_->config; }

StatusOr<std::shared_ptr<PhotoEngine>> PhotoEngine::create(const TensorFile& file, const ModelConfig& config) {
  FACET_RETURN_IF_ERROR(config.validate());
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  const int n = config.n, m = config.m, hn = config.hyper_n, r = config.rate_points();
  try {
    impl->engine = dnnl::engine(dnnl::engine::kind::cpu, 0);
  } catch (const dnnl::error& e) {
    return make_error(ErrorCode::kInternal, std::string("oneDNN: no CPU engine: ") + e.what());
  }
  {
    const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
    const auto avx512 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core);
    const int block = (isa & avx512) == avx512 ? 16 : 8;
    if (n % block == 0 && m % block == 0 && hn % block == 0) {
      impl->block = block;
      impl->act_tag = block == 16 ? tag::nChw16c : tag::nChw8c;
    }
  }
  // g_a: conv 5x5/2, GDN, conv, GDN, conv, GDN, conv (to m).
  const int ga_in[4] = {3, n, n, n}, ga_out[4] = {n, n, n, m};
  for (int k = 0; k < 4; ++k) {
    FACET_ASSIGN_OR_RETURN(ConvWeights c, conv_weights(file, "g_a." + std::to_string(2 * k), ga_in[k], ga_out[k], 5, 2));
    impl->ga_conv[k] = impl->add(std::move(c), LayerKind::kConv);
    if (k == 3) break;
    FACET_ASSIGN_OR_RETURN(ConvWeights g, gdn_weights(file, "g_a." + std::to_string(2 * k + 1), n));
    impl->ga_gdn[k] = impl->add(std::move(g), LayerKind::kGdn);
  }
  // g_s: (conv 3x3 to 4 x, pixel shuffle, inverse GDN) x 3, conv 3x3 to 12, pixel shuffle.
  const int gs_in[4] = {m, n, n, n}, gs_out[4] = {4 * n, 4 * n, 4 * n, 12};
  for (int k = 0; k < 4; ++k) {
    FACET_ASSIGN_OR_RETURN(ConvWeights c,
                           conv_weights(file, "g_s." + std::to_string(2 * k) + ".conv", gs_in[k], gs_out[k], 3, 1));
    permute_subpixel(c);
    impl->gs_conv[k] = impl->add(std::move(c), LayerKind::kConv);
    if (k == 3) break;
    FACET_ASSIGN_OR_RETURN(ConvWeights g, gdn_weights(file, "g_s." + std::to_string(2 * k + 1), n));
    impl->gs_gdn[k] = impl->add(std::move(g), LayerKind::kInverseGdn);
  }
  // h_a: conv 3x3 + ReLU, conv 5x5/2 + ReLU, conv 5x5/2.
  const int ha_in[3] = {m, hn, hn}, ha_kernel[3] = {3, 5, 5}, ha_stride[3] = {1, 2, 2};
  for (int k = 0; k < 3; ++k) {
    FACET_ASSIGN_OR_RETURN(ConvWeights c,
                           conv_weights(file, "h_a." + std::to_string(2 * k), ha_in[k], hn, ha_kernel[k], ha_stride[k]));
    impl->ha_conv[k] = impl->add(std::move(c), k < 2 ? LayerKind::kConvRelu : LayerKind::kConv);
  }
  FACET_ASSIGN_OR_RETURN(impl->log_gains, floats_of(file, "log_gains", {r, m}));
  FACET_ASSIGN_OR_RETURN(impl->log_inverse_gains, floats_of(file, "log_inverse_gains", {r, m}));
  if (config.synthesis_rate_scales) {
    FACET_ASSIGN_OR_RETURN(impl->log_synthesis_scales, floats_of(file, "log_synthesis_scales", {r, 3 * n}));
  }
  return std::shared_ptr<PhotoEngine>(new PhotoEngine(std::move(impl)));
}

Status PhotoEngine::check_precision(TransformPrecision precision) {
  // bf16 is fast exactly where kAuto resolves to it (common/precision.h).
  FACET_RETURN_ERROR_IF(precision == TransformPrecision::kBf16 &&
                            resolve_cpu_precision(TransformPrecision::kAuto) != TransformPrecision::kBf16,
                        kUnsupported, "bf16 needs a CPU with avx512_bf16 or AMX (this one has neither): use fp32");
  return ok_status();
}

Status PhotoEngine::analysis(const float* x, int h, int w, TransformPrecision precision, float* y) const {
  FACET_RETURN_IF_ERROR(check_precision(precision));
  FACET_RETURN_ERROR_IF(h < 16 || w < 16 || h % 16 || w % 16, kInvalidArgument,
                        "the analysis needs sides that are multiples of 16");
  OneOmpThread one;
  Impl& e = *impl_;
  dnnl::stream stream(e.engine);
  // The image is read planar (nchw) by the first convolution itself.
  const dt t = data_type_of(precision);
  Workspace ws;
  try {
    dnnl::memory a({{1, 3, h, w}, dt::f32, tag::nchw}, e.engine, const_cast<float*>(x));
    int current = 1;  // the slot the activation is in (the input: none; slot 1 is free)
    if (t != dt::f32) {
      const dnnl::memory::desc md({1, 3, h, w}, t, tag::nchw);
      dnnl::memory converted(md, e.engine, ws.take(current, md.get_size()));
      dnnl::reorder(a, converted).execute(stream, a, converted);
      a = converted;
    }
    // Each convolution writes the other slot; its GDN runs in bands (slots 3-5) over it in place.
    for (int k = 0; k < 4; ++k) {
      const int next = 1 - current;
      FACET_ASSIGN_OR_RETURN(a, e.run(e.ga_conv[k], a, stream, nullptr, k == 0 ? tag::nchw : e.act_tag, e.act_tag, ws,
                                      Slots{next, current, 2}));
      if (k < 3) {
        FACET_ASSIGN_OR_RETURN(a, e.gdn_in_bands(e.ga_gdn[k], a, stream, nullptr, ws, 3, 4, 5));
      }
      current = next;
    }
    e.to_planar(a, y, stream);
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kLimitExceeded, "out of memory");
  } catch (const dnnl::error& err) {
    return make_error(ErrorCode::kInternal, std::string("oneDNN: ") + err.what());
  }
  return ok_status();
}

Status PhotoEngine::hyper_analysis(const float* y, int lh, int lw, float* z) const {
  FACET_RETURN_ERROR_IF(lh < 4 || lw < 4 || lh % 4 || lw % 4, kInvalidArgument,
                        "the hyper-analysis needs sides that are multiples of 4");
  OneOmpThread one;
  Impl& e = *impl_;
  dnnl::stream stream(e.engine);
  Workspace ws;
  try {
    dnnl::memory a = e.from_planar(y, e.config.m, lh, lw, dt::f32, stream, ws, 0);
    for (int k = 0; k < 3; ++k) {
      const int next = (k + 1) % 2;
      FACET_ASSIGN_OR_RETURN(a, e.run(e.ha_conv[k], a, stream, nullptr, e.act_tag, e.act_tag, ws, Slots{next, 2, 2}));
    }
    e.to_planar(a, z, stream);
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kLimitExceeded, "out of memory");
  } catch (const dnnl::error& err) {
    return make_error(ErrorCode::kInternal, std::string("oneDNN: ") + err.what());
  }
  return ok_status();
}

Status PhotoEngine::synthesis(const float* y_hat, int lh, int lw, const std::vector<float>& scales,
                              TransformPrecision precision, float* x) const {
  FACET_RETURN_IF_ERROR(check_precision(precision));
  FACET_RETURN_ERROR_IF(lh < 1 || lw < 1, kInvalidArgument, "empty latents");
  Impl& e = *impl_;
  FACET_RETURN_ERROR_IF(!scales.empty() && scales.size() != size_t(3) * e.config.n, kInvalidArgument,
                        "synthesis scales of the wrong size");
  OneOmpThread one;
  dnnl::stream stream(e.engine);
  const dt t = data_type_of(precision);
  // The first two stages: the activation stays in slot 0; each upsampling convolution writes slot 1,
  // the shuffle brings it back to slot 0, the inverse GDN runs over it in bands (gdn_in_bands). The
  // last stage and the last layer in bands of rows (last_stage_in_bands).
  Workspace ws;
  try {
    dnnl::memory a = e.from_planar(y_hat, e.config.m, lh, lw, t, stream, ws, 0);
    for (int k = 0; k < 2; ++k) {
      FACET_ASSIGN_OR_RETURN(a, e.run(e.gs_conv[k], a, stream, nullptr, e.act_tag, e.act_tag, ws, Slots{1, 2, 2}));
      a = e.shuffle(a, ws, 0);
      FACET_ASSIGN_OR_RETURN(a, e.gdn_in_bands(e.gs_gdn[k], a, stream,
                                               scales.empty() ? nullptr : scales.data() + k * e.config.n, ws, 3, 4, 5));
    }
    FACET_RETURN_IF_ERROR(e.last_stage_in_bands(a, scales.empty() ? nullptr : scales.data() + 2 * e.config.n, stream,
                                                ws, x));
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kLimitExceeded, "out of memory");
  } catch (const dnnl::error& err) {
    return make_error(ErrorCode::kInternal, std::string("oneDNN: ") + err.what());
  }
  return ok_status();
}

std::vector<float> PhotoEngine::gain(double t) const { return impl_->interpolated_exp(impl_->log_gains, impl_->config.m, t); }
std::vector<float> PhotoEngine::inverse_gain(double t) const {
  return impl_->interpolated_exp(impl_->log_inverse_gains, impl_->config.m, t);
}
std::vector<float> PhotoEngine::synthesis_scales(double t) const {
  return impl_->interpolated_exp(impl_->log_synthesis_scales, 3 * impl_->config.n, t);
}

}  // namespace facet
