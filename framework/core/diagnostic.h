#pragma once

#include <expected>
#include <string>
#include <vector>

namespace hil {

/// One problem in an input file, pointing at its line.
struct Diagnostic {
  std::string file;
  int line = 0; // 1-based; 0 when the problem is the file as a whole
  std::string message;

  /// "file:line: message"
  [[nodiscard]] std::string toString() const;
};

using Diagnostics = std::vector<Diagnostic>;

/// A value parsed from a file, or every problem found in it.
template <class T> using Parsed = std::expected<T, Diagnostics>;

/// Orders diagnostics by line, keeping the order of those on one line.
void sortByLine(Diagnostics& diagnostics);

/// All diagnostics, one per line.
[[nodiscard]] std::string toString(const Diagnostics& diagnostics);

} // namespace hil
