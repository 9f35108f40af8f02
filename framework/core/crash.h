#pragma once

#include <exception>
#include <string>

namespace hil {

/// Thrown by a simulated host when a crash fault fires: the process running the flow "dies"
/// there. Nothing may catch it but the runner, which discards the flow (no rollback) and
/// recovers from what was persisted, as a later process would.
struct SimulatedCrash : std::exception {
  SimulatedCrash(std::string operation, int occurrence, bool after)
      : op(std::move(operation)), occurrence(occurrence), after(after) {}
  [[nodiscard]] const char* what() const noexcept override { return "simulated crash"; }

  std::string op;
  int occurrence;
  bool after; // the operation took effect before the crash
};

} // namespace hil
