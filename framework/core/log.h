#pragma once

#include <string>
#include <vector>

#include "framework/core/clock.h"

namespace hil {

/// A run's log: lines stamped with the run's clock (virtual time under the simulator).
class Log {
public:
  explicit Log(const Clock* clock = nullptr) : clock_(clock) {}

  void add(std::string line);
  [[nodiscard]] const std::vector<std::string>& lines() const { return lines_; }
  [[nodiscard]] std::vector<std::string> take() { return std::move(lines_); }

private:
  const Clock* clock_;
  std::vector<std::string> lines_;
};

} // namespace hil
