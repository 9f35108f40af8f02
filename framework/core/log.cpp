#include "framework/core/log.h"

#include <fmt/format.h>

namespace hil {

void Log::add(std::string line) {
  if (clock_ == nullptr) {
    lines_.push_back(std::move(line));
    return;
  }
  const double seconds = std::chrono::duration<double>(clock_->now()).count();
  lines_.push_back(fmt::format("[{:8.3f}s] {}", seconds, line));
}

} // namespace hil
