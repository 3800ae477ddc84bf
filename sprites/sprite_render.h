// A procedural equivalent of DeepMind's dSprites: 64x64 binary images of a square, an ellipse or a
// heart, with five known, discrete generative factors (shape, scale, orientation, posX, posY).
// Standard library only; rendering is deterministic (double arithmetic in a fixed order, a pinned
// cosine/sine table, no randomness), so the same factors give the same bytes on every machine.
//
// Factors (every one a discrete index, like dSprites' latents_classes):
//   shape        3 values: 0 square, 1 ellipse, 2 heart
//   scale        6 values: linspace(0.5, 1, 6)
//   orientation 40 values: linspace(0, 2*pi, 40). As in dSprites the end point is included, so
//                index 0 (0 rad) and index 39 (2*pi rad) render the same image. Rotation is
//                counter-clockwise as displayed (y down on screen), about the sprite's centre.
//                The square (4-fold) and the ellipse (2-fold) are symmetric, so other indices
//                also give (nearly) the same image for them, again as in dSprites.
//   posX, posY  32 values each: linspace(0, 1, 32). posX = 0 puts the sprite at the left,
//                posY = 0 at the top.
// 3 * 6 * 40 * 32 * 32 = 737,280 combinations, every one renderable, the sprite always whole.
//
// Geometry, in pixels, with pixel (i, j) covering [i, i+1) x [j, j+1) (x right, y down):
//   - The sprite's nominal size at scale 1 is kSpriteBaseSize = 21 px (about 1/3 of the frame, as
//     in dSprites): the square's side, the ellipse's major axis (minor axis half of it: 2:1), and
//     the heart's width. At scale s every length is multiplied by s.
//   - The sprite's centre is at kSpriteMarginPx + kSpriteTravelPx * pos = 16.5 + 31 * pos, i.e.
//     at the centre of pixel 16 + i for position index i (pixels 16 .. 47): exactly one pixel per
//     position step. Every position has the same sub-pixel phase, so changing posX or posY
//     shifts the rendered image by whole pixels, bit for bit, and leaves its area unchanged.
//   - The largest circumscribed radius (the square's half diagonal, 21/sqrt(2) = 14.85 px at
//     scale 1) fits in the 16.5 px margin with 1.65 px to spare: at every rotation the shape stays
//     inside [1.65, 62.35]^2, so no on-pixel ever touches the frame's border rows and columns.
//   - Shapes, in the sprite's own frame (u right, v up, h = kSpriteBaseSize / 2 * scale):
//       square   -h <= u < h and -h <= v < h
//       ellipse  (u / h)^2 + (v / (h/2))^2 <= 1   (major axis horizontal at orientation 0)
//       heart    (x^2 + y^2 - 1)^3 - x^2 y^3 <= 0 with x = u * k, y = v * k + kHeartCentroidY,
//                k = kHeartHalfWidth / h: the curve's width (2 * 1.13903) is mapped to 2h and
//                its area centroid (0, 0.29348) to the sprite's centre; lobes up at orientation 0.
//   - Rasterization: 5x5 sub-samples per pixel at offsets 0.1, 0.3, 0.5, 0.7, 0.9; the pixel is 1
//     when at least half (13 of 25) are inside the shape. The odd count leaves no tie at half
//     coverage, and the square is half-open ([-h, h)), so at orientation 0 it keeps its width.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "common/status.h"

namespace facet {

constexpr int kSpriteSize = 64;                              // width and height in pixels
constexpr size_t kSpritePixels = kSpriteSize * kSpriteSize;  // one uint8 (0 or 1) per pixel
constexpr int kSpriteFactorCount = 5;
constexpr std::array<int, kSpriteFactorCount> kSpriteFactorSizes = {3, 6, 40, 32, 32};
constexpr std::array<const char*, kSpriteFactorCount> kSpriteFactorNames = {
    "shape", "scale", "orientation", "posX", "posY"};
constexpr uint32_t kSpriteCombinations = 3 * 6 * 40 * 32 * 32;  // 737,280

enum SpriteShape : int { kSpriteSquare = 0, kSpriteEllipse = 1, kSpriteHeart = 2 };

// Geometry (see the top of this file).
constexpr double kSpriteBaseSize = 21.0;     // nominal sprite size at scale 1, in pixels
constexpr double kSpriteMarginPx = 16.5;     // sprite centre at pos = 0 (the centre of pixel 16)
constexpr double kSpriteTravelPx = 31.0;     // centre moves this far from pos = 0 to pos = 1
constexpr double kHeartHalfWidth = 1.13903;  // half the width of the heart curve, curve units
constexpr double kHeartCentroidY = 0.29348;  // y of the heart curve's area centroid, curve units
constexpr int kSpriteSubsamples = 5;         // per pixel and axis (25 in all)

// One combination of factor indices. Valid when 0 <= each < its kSpriteFactorSizes entry.
struct SpriteFactors {
  int shape = 0;
  int scale = 0;
  int orientation = 0;
  int pos_x = 0;
  int pos_y = 0;

  // Index of factor k in dSprites order (0 shape, 1 scale, 2 orientation, 3 posX, 4 posY).
  int get(int k) const;
  std::array<int, kSpriteFactorCount> to_array() const {
    return {shape, scale, orientation, pos_x, pos_y};
  }
  static SpriteFactors from_array(const std::array<int, kSpriteFactorCount>& a) {
    return {a[0], a[1], a[2], a[3], a[4]};
  }

  // Factor values (dSprites' latents_values): linspace(0.5, 1, 6), linspace(0, 2 pi, 40) in
  // radians (index 39 is 2 pi), linspace(0, 1, 32).
  double scale_value() const;
  double orientation_radians() const;
  double pos_x_value() const;
  double pos_y_value() const;
  // The sprite's centre in pixels (x right, y down): 16 + 32 * pos.
  double center_x() const;
  double center_y() const;

  bool operator==(const SpriteFactors& o) const {
    return shape == o.shape && scale == o.scale && orientation == o.orientation &&
           pos_x == o.pos_x && pos_y == o.pos_y;
  }
  bool operator!=(const SpriteFactors& o) const { return !(*this == o); }
};

// kInvalidArgument naming the first factor out of range.
Status validate_sprite_factors(const SpriteFactors& factors);
// The factors after validation (kInvalidArgument when one is out of range).
StatusOr<SpriteFactors> make_sprite_factors(int shape, int scale, int orientation, int pos_x,
                                            int pos_y);

// "square", "ellipse", "heart" ("?" when out of range).
const char* sprite_shape_name(int shape);
// A shape by name ("square", "ellipse", "heart") or by index ("0", "1", "2").
StatusOr<int> parse_sprite_shape(const std::string& text);

// Flat index in dSprites' order: shape slowest, posY fastest,
// index = (((shape * 6 + scale) * 40 + orientation) * 32 + posX) * 32 + posY, in [0, 737280).
StatusOr<uint32_t> sprite_index(const SpriteFactors& factors);
StatusOr<SpriteFactors> sprite_factors_from_index(uint64_t index);

// Renders `factors` into out[0 .. kSpritePixels): row-major, 1 inside the shape, 0 outside.
// kInvalidArgument (out untouched) when the factors are out of range.
Status render_sprite_into(const SpriteFactors& factors, uint8_t* out);
StatusOr<std::vector<uint8_t>> render_sprite(const SpriteFactors& factors);

// Number of on-pixels of a rendered sprite (any non-zero byte counts).
size_t sprite_area(const uint8_t* pixels);

// Area centroid of the on-pixels, in the pixel coordinates above (a pixel's centre is at
// i + 0.5), so it is comparable with SpriteFactors::center_x/center_y. kInvalidArgument when no
// pixel is on.
struct SpriteCentroid {
  double x = 0;
  double y = 0;
  size_t area = 0;
};
StatusOr<SpriteCentroid> sprite_centroid(const uint8_t* pixels);

// Uniform integer in [0, n) from one draw of `rng`: (rng() >> 11) % n, i.e. a 53-bit value
// reduced modulo n. The mapping is fixed here (std::uniform_int_distribution is
// implementation-defined), so a seed gives the same factors with every standard library; the
// modulo bias is below n / 2^53 (< 5e-15 for n <= 40). n must be >= 1.
uint64_t sprite_uniform_below(std::mt19937_64& rng, uint64_t n);

// Every factor uniform and independent: five draws, in the order shape, scale, orientation,
// posX, posY (so every one of the 737,280 combinations is equally likely).
SpriteFactors random_sprite_factors(std::mt19937_64& rng);

// `count` sprites drawn i.i.d. by random_sprite_factors from std::mt19937_64(seed), rendered.
// Sample i is the same whatever count is (a prefix of a longer run with the same seed).
struct SpriteDataset {
  std::vector<SpriteFactors> factors;
  std::vector<uint8_t> pixels;  // size() * kSpritePixels; image i starts at i * kSpritePixels

  size_t size() const { return factors.size(); }
  const uint8_t* image(size_t i) const { return pixels.data() + i * kSpritePixels; }
};
constexpr size_t kMaxSpriteDatasetCount = size_t{1} << 20;  // 4 GiB of pixels
// kInvalidArgument when count > kMaxSpriteDatasetCount.
StatusOr<SpriteDataset> generate_sprite_dataset(uint64_t seed, size_t count);

// Streams the same sequence as generate_sprite_dataset without holding it in memory.
class SpriteStream {
 public:
  explicit SpriteStream(uint64_t seed) : rng_(seed) {}
  // Draws the next factors and renders them into out[0 .. kSpritePixels) when out is not null.
  SpriteFactors next(uint8_t* out);

 private:
  std::mt19937_64 rng_;
};

}  // namespace facet
