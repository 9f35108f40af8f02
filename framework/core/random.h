#pragma once

#include <cstdint>
#include <string_view>

namespace hil {

/// The only randomness: splitmix64, so a seed gives the same numbers on every platform and
/// standard library (std distributions differ between implementations).
class SeededRandom {
public:
  explicit SeededRandom(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  /// Uniform in [low, high).
  double uniform(double low, double high) { return low + (high - low) * uniform(); }

private:
  std::uint64_t state_;
};

/// A stable 64-bit hash (FNV-1a) for deriving per-scenario seeds from names.
[[nodiscard]] constexpr std::uint64_t stableHash(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

} // namespace hil
