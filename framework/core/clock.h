#pragma once

#include <chrono>

namespace hil {

/// Time as the code under test sees it. The real one reads the steady clock; the simulator's
/// is virtual, so a hung command reaches its deadline at once.
class Clock {
public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual std::chrono::nanoseconds now() const = 0;
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
