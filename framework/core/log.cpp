#include "framework/core/log.h"

#include <fmt/format.h>

namespace hil {

void Log::add(std::string line) {
  if (clock_ == nullptr) {
    lines_.push_back(std::move(line));
    return;
  }
  if (clock_->isUtc()) {
    // ISO 8601, UTC, milliseconds: 2026-12-07T17:29:12.345Z.
    const auto at = std::chrono::sys_time<std::chrono::milliseconds>{
        std::chrono::floor<std::chrono::milliseconds>(clock_->now())};
    const auto day = std::chrono::floor<std::chrono::days>(at);
    const std::chrono::year_month_day date{day};
    const std::chrono::hh_mm_ss time{at - day};
    lines_.push_back(fmt::format("[{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z] {}",
                                 static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                                 static_cast<unsigned>(date.day()), time.hours().count(),
                                 time.minutes().count(), time.seconds().count(),
                                 time.subseconds().count(), line));
    return;
  }
  const double seconds = std::chrono::duration<double>(clock_->now()).count();
  lines_.push_back(fmt::format("[{:8.3f}s] {}", seconds, line));
}

} // namespace hil
