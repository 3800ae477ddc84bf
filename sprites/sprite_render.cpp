// The dSprites-equivalent renderer: geometry and conventions are documented in sprite_render.h.
#include "sprites/sprite_render.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

// Deterministic arithmetic: the project builds everything with -ffp-contract=off -fno-fast-math
// (CMakeLists.txt), so no product and sum is fused into an FMA and every machine rounds the same
// operations in the same order; cos/sin come from the table below, not from the C library.

namespace facet {
namespace {

// cos and sin of 2 pi k / 39 for k = 0..38, correctly rounded (mpmath at 60 digits), so that
// rendering does not depend on the C library's cos/sin. Orientation 39 (2 pi) uses row 0.
constexpr double kCosSin[39][2] = {
    {1.0, 0.0},
    {0.9870502626379128, 0.16041128085776024},
    {0.9485364419471455, 0.3166679938014725},
    {0.8854560256532099, 0.46472317204376856},
    {0.7994427634035012, 0.6007422642379789},
    {0.6927243535095994, 0.7212024473438146},
    {0.5680647467311558, 0.8229838658936564},
    {0.4286925614030542, 0.9034504346103823},
    {0.27821746391645263, 0.9605181116313724},
    {0.12053668025532305, 0.992708874098054},
    {-0.040265940109415144, 0.9991889981715696},
    {-0.20002569377604443, 0.9797906520422677},
    {-0.3546048870425356, 0.9350162426854148},
    {-0.5, 0.8660254037844386},
    {-0.6324453755953773, 0.7746049618276546},
    {-0.7485107481711011, 0.6631226582407952},
    {-0.8451900855437947, 0.5344658261278011},
    {-0.9199794436588242, 0.3919666098600751},
    {-0.970941817426052, 0.23931566428755777},
    {-0.99675730813421, 0.08046656871672588},
    {-0.99675730813421, -0.08046656871672588},
    {-0.970941817426052, -0.23931566428755777},
    {-0.9199794436588242, -0.3919666098600751},
    {-0.8451900855437947, -0.5344658261278011},
    {-0.7485107481711011, -0.6631226582407952},
    {-0.6324453755953773, -0.7746049618276546},
    {-0.5, -0.8660254037844386},
    {-0.3546048870425356, -0.9350162426854148},
    {-0.20002569377604443, -0.9797906520422677},
    {-0.040265940109415144, -0.9991889981715696},
    {0.12053668025532305, -0.992708874098054},
    {0.27821746391645263, -0.9605181116313724},
    {0.4286925614030542, -0.9034504346103823},
    {0.5680647467311558, -0.8229838658936564},
    {0.6927243535095994, -0.7212024473438146},
    {0.7994427634035012, -0.6007422642379789},
    {0.8854560256532099, -0.46472317204376856},
    {0.9485364419471455, -0.3166679938014725},
    {0.9870502626379128, -0.16041128085776024},
};

constexpr double kTwoPi = 6.283185307179586;  // 2 pi rounded to double
constexpr double kSqrt2 = 1.4142135623730951;

// The largest circumscribed radius at scale 1 (the square's half diagonal, 14.85 px; the
// ellipse's is 10.5 px and the heart's 1.29348 / 1.13903 * 10.5 = 11.9 px) must fit in the
// margin with the border row/column to spare.
static_assert(kSpriteMarginPx - kSqrt2 * kSpriteBaseSize / 2 >= 1.0, "sprite reaches the border");
static_assert(kSpriteMarginPx * 2 + kSpriteTravelPx == kSpriteSize, "travel and margins != frame");
static_assert(kSpriteTravelPx == kSpriteFactorSizes[3] - 1 &&
                  kSpriteTravelPx == kSpriteFactorSizes[4] - 1,
              "one pixel per position step");
static_assert(kSpriteCombinations == 737280, "factor sizes");

// Sub-sample offsets within a pixel: (k + 0.5) / 5. An odd count per axis leaves no tie at
// half coverage: a straight edge splits the five columns (rows) of two neighbouring pixels 3 + 2,
// so an axis-aligned square of side 21 is always exactly 21 pixels wide.
constexpr double kSubOffset[kSpriteSubsamples] = {0.1, 0.3, 0.5, 0.7, 0.9};
static_assert(kSpriteSubsamples == 5, "offsets");
constexpr int kOnThreshold = (kSpriteSubsamples * kSpriteSubsamples + 1) / 2;  // 13 of 25

double linspace(double start, double stop, int num, int i) {
  return start + (stop - start) * double(i) / double(num - 1);
}

// Point (u, v) in the sprite's own frame (u right, v up, pixels), h = half size.
// Half-open, [-h, h) on both axes: should an edge pass exactly through a column (row) of
// sub-samples, one side counts them and the other does not, so the square cannot gain a column
// on both sides.
bool inside_square(double u, double v, double h) {
  return -h <= u && u < h && -h <= v && v < h;
}

bool inside_ellipse(double u, double v, double h) {
  const double a = u / h;
  const double b = v / (0.5 * h);
  return a * a + b * b <= 1.0;
}

bool inside_heart(double u, double v, double k) {  // k = kHeartHalfWidth / h
  const double x = u * k;
  const double y = v * k + kHeartCentroidY;
  const double x2 = x * x;
  const double q = x2 + y * y - 1.0;
  return q * q * q - x2 * (y * y * y) <= 0.0;
}

}  // namespace

int SpriteFactors::get(int k) const {
  switch (k) {
    case 0: return shape;
    case 1: return scale;
    case 2: return orientation;
    case 3: return pos_x;
    case 4: return pos_y;
  }
  return -1;
}

double SpriteFactors::scale_value() const {
  return linspace(0.5, 1.0, kSpriteFactorSizes[1], scale);
}
double SpriteFactors::orientation_radians() const {
  return linspace(0.0, kTwoPi, kSpriteFactorSizes[2], orientation);
}
double SpriteFactors::pos_x_value() const {
  return linspace(0.0, 1.0, kSpriteFactorSizes[3], pos_x);
}
double SpriteFactors::pos_y_value() const {
  return linspace(0.0, 1.0, kSpriteFactorSizes[4], pos_y);
}
// (31 * i) / 31 is exactly i: every centre is exactly 16.5 + i, a pixel centre.
double SpriteFactors::center_x() const {
  return kSpriteMarginPx + kSpriteTravelPx * double(pos_x) / double(kSpriteFactorSizes[3] - 1);
}
double SpriteFactors::center_y() const {
  return kSpriteMarginPx + kSpriteTravelPx * double(pos_y) / double(kSpriteFactorSizes[4] - 1);
}

Status validate_sprite_factors(const SpriteFactors& factors) {
  for (int k = 0; k < kSpriteFactorCount; ++k) {
    const int value = factors.get(k);
    FACET_RETURN_ERROR_IF(value < 0 || value >= kSpriteFactorSizes[k], kInvalidArgument,
                          std::string("sprite factor ") + kSpriteFactorNames[k] + " is " +
                              std::to_string(value) + ", not in [0, " +
                              std::to_string(kSpriteFactorSizes[k] - 1) + "]");
  }
  return ok_status();
}

StatusOr<SpriteFactors> make_sprite_factors(int shape, int scale, int orientation, int pos_x,
                                            int pos_y) {
  const SpriteFactors factors{shape, scale, orientation, pos_x, pos_y};
  FACET_RETURN_IF_ERROR(validate_sprite_factors(factors));
  return factors;
}

const char* sprite_shape_name(int shape) {
  switch (shape) {
    case kSpriteSquare: return "square";
    case kSpriteEllipse: return "ellipse";
    case kSpriteHeart: return "heart";
  }
  return "?";
}

StatusOr<int> parse_sprite_shape(const std::string& text) {
  for (int s = 0; s < kSpriteFactorSizes[0]; ++s) {
    if (text == sprite_shape_name(s) || text == std::to_string(s)) return s;
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown sprite shape '" + text + "' (square, ellipse, heart or 0, 1, 2)");
}

StatusOr<uint32_t> sprite_index(const SpriteFactors& factors) {
  FACET_RETURN_IF_ERROR(validate_sprite_factors(factors));
  uint32_t index = 0;
  for (int k = 0; k < kSpriteFactorCount; ++k)
    index = index * uint32_t(kSpriteFactorSizes[k]) + uint32_t(factors.get(k));
  return index;
}

StatusOr<SpriteFactors> sprite_factors_from_index(uint64_t index) {
  FACET_RETURN_ERROR_IF(index >= kSpriteCombinations, kInvalidArgument,
                        "sprite index " + std::to_string(index) + " is not below " +
                            std::to_string(kSpriteCombinations));
  std::array<int, kSpriteFactorCount> values{};
  for (int k = kSpriteFactorCount - 1; k >= 0; --k) {
    values[k] = int(index % uint64_t(kSpriteFactorSizes[k]));
    index /= uint64_t(kSpriteFactorSizes[k]);
  }
  return SpriteFactors::from_array(values);
}

Status render_sprite_into(const SpriteFactors& factors, uint8_t* out) {
  FACET_RETURN_IF_ERROR(validate_sprite_factors(factors));
  std::memset(out, 0, kSpritePixels);
  const double h = kSpriteBaseSize * 0.5 * factors.scale_value();
  const double heart_k = kHeartHalfWidth / h;
  const double cx = factors.center_x();
  const double cy = factors.center_y();
  const double c = kCosSin[factors.orientation % 39][0];
  const double s = kCosSin[factors.orientation % 39][1];

  // Every shape lies within sqrt(2) h of the centre: pixels further than that plus one pixel
  // cannot contain an inside sub-sample, so only the box around the centre is sampled.
  const double reach = kSqrt2 * h + 1.0;
  const int x0 = std::max(0, int(std::floor(cx - reach)));
  const int x1 = std::min(kSpriteSize - 1, int(std::ceil(cx + reach)));
  const int y0 = std::max(0, int(std::floor(cy - reach)));
  const int y1 = std::min(kSpriteSize - 1, int(std::ceil(cy + reach)));

  for (int py = y0; py <= y1; ++py) {
    for (int px = x0; px <= x1; ++px) {
      int inside = 0;
      for (int sy = 0; sy < kSpriteSubsamples; ++sy) {
        // double(py) - cy is an exact half-integer, so du and dv depend only on the pixel's
        // offset from the centre: moving the sprite by one position shifts the image by exactly
        // one pixel.
        const double dv = (cy - double(py)) - kSubOffset[sy];  // up from the centre
        for (int sx = 0; sx < kSpriteSubsamples; ++sx) {
          const double du = (double(px) - cx) + kSubOffset[sx];  // right of the centre
          // Rotate by -angle: the shape is rotated counter-clockwise by +angle.
          const double u = c * du + s * dv;
          const double v = c * dv - s * du;
          bool in = false;
          switch (factors.shape) {
            case kSpriteSquare: in = inside_square(u, v, h); break;
            case kSpriteEllipse: in = inside_ellipse(u, v, h); break;
            default: in = inside_heart(u, v, heart_k); break;
          }
          inside += in ? 1 : 0;
        }
      }
      out[size_t(py) * kSpriteSize + size_t(px)] = inside >= kOnThreshold ? 1 : 0;
    }
  }
  return ok_status();
}

StatusOr<std::vector<uint8_t>> render_sprite(const SpriteFactors& factors) {
  std::vector<uint8_t> pixels(kSpritePixels);
  FACET_RETURN_IF_ERROR(render_sprite_into(factors, pixels.data()));
  return pixels;
}

size_t sprite_area(const uint8_t* pixels) {
  size_t area = 0;
  for (size_t i = 0; i < kSpritePixels; ++i) area += pixels[i] != 0 ? 1 : 0;
  return area;
}

StatusOr<SpriteCentroid> sprite_centroid(const uint8_t* pixels) {
  uint64_t sum_x = 0, sum_y = 0;
  SpriteCentroid centroid;
  for (int y = 0; y < kSpriteSize; ++y) {
    for (int x = 0; x < kSpriteSize; ++x) {
      if (pixels[size_t(y) * kSpriteSize + size_t(x)] == 0) continue;
      sum_x += uint64_t(x);
      sum_y += uint64_t(y);
      ++centroid.area;
    }
  }
  FACET_RETURN_ERROR_IF(centroid.area == 0, kInvalidArgument, "sprite has no on-pixel");
  centroid.x = double(sum_x) / double(centroid.area) + 0.5;
  centroid.y = double(sum_y) / double(centroid.area) + 0.5;
  return centroid;
}

uint64_t sprite_uniform_below(std::mt19937_64& rng, uint64_t n) {
  return (rng() >> 11) % n;
}

SpriteFactors random_sprite_factors(std::mt19937_64& rng) {
  std::array<int, kSpriteFactorCount> values{};
  for (int k = 0; k < kSpriteFactorCount; ++k)
    values[k] = int(sprite_uniform_below(rng, uint64_t(kSpriteFactorSizes[k])));
  return SpriteFactors::from_array(values);
}

SpriteFactors SpriteStream::next(uint8_t* out) {
  const SpriteFactors factors = random_sprite_factors(rng_);
  if (out != nullptr) {
    const Status rendered = render_sprite_into(factors, out);
    assert(rendered.ok());  // random factors are always in range
    (void)rendered;
  }
  return factors;
}

StatusOr<SpriteDataset> generate_sprite_dataset(uint64_t seed, size_t count) {
  FACET_RETURN_ERROR_IF(count > kMaxSpriteDatasetCount, kInvalidArgument,
                        "sprite count " + std::to_string(count) + " is over the limit of " +
                            std::to_string(kMaxSpriteDatasetCount));
  SpriteDataset dataset;
  dataset.factors.reserve(count);
  dataset.pixels.resize(count * kSpritePixels);
  SpriteStream stream(seed);
  for (size_t i = 0; i < count; ++i)
    dataset.factors.push_back(stream.next(dataset.pixels.data() + i * kSpritePixels));
  return dataset;
}

}  // namespace facet
