#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace hil::platform {

/// One seam operation: its stable name (faults, logs, `hil ops`), whether it changes the host,
/// and the real operation behind it.
struct Operation {
  std::string_view name;
  bool mutating;
  std::string_view real;
};

/// Every seam operation, in seam order.
[[nodiscard]] std::span<const Operation> allOperations();
[[nodiscard]] std::optional<Operation> findOperation(std::string_view name);

} // namespace hil::platform
