#pragma once

#include <chrono>

namespace hil {

/// Time as the code under test sees it. The real one reads the steady clock; the simulator's
/// is virtual, so a hung command reaches its deadline at once.
class Clock {
public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual std::chrono::nanoseconds now() const = 0;
  /// Is now() the time since the Unix epoch, in UTC (so a log stamps the date and time rather
  /// than seconds into the run)?
  [[nodiscard]] virtual bool isUtc() const { return false; }
};

/// The wall clock, UTC: what a real rig's logs are stamped with, so they line up with the
/// host's own event logs.
class UtcClock : public Clock {
public:
  [[nodiscard]] std::chrono::nanoseconds now() const override {
    return std::chrono::system_clock::now().time_since_epoch();
  }
  [[nodiscard]] bool isUtc() const override { return true; }
};

/// Virtual time that moves only when told to.
class ManualClock : public Clock {
public:
  [[nodiscard]] std::chrono::nanoseconds now() const override { return now_; }
  void advance(std::chrono::nanoseconds by) { now_ += by; }

private:
  std::chrono::nanoseconds now_{0};
};

} // namespace hil
