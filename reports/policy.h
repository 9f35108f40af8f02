#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "framework/core/diagnostic.h"

namespace hil::reports {

/// Whether a passed scenario that reported a warning (e.g. mitigation-driver-missing) counts.
enum class WarningPolicy { Fail, Pass };

[[nodiscard]] std::string_view toString(WarningPolicy policy); // "fail" | "pass"

/// <require id=".." scenarios="glob .." tags="tag .." rig-classes=".." warnings="fail|pass"/>:
/// every scenario whose name matches a glob or that has one of the tags must have passed on
/// each rig class.
struct Requirement {
  std::string id;
  std::vector<std::string> scenarios; // fnmatch globs on the scenario name
  std::vector<std::string> tags;
  std::vector<std::string> rigClasses;
  std::optional<WarningPolicy> warnings; // unset: the policy's
  int line = 0;
};

/// <smoke rig-class=".." check="h2d-bandwidth" min="10" unit="GB/s"/>: every result on the rig
/// class that reports the smoke check must report at least `min`.
struct SmokeMinimum {
  std::string rigClass;
  std::string check;
  double min = 0;
  std::string unit; // empty: any unit
  int line = 0;
};

/// A release policy: which scenarios must pass where, and how strictly.
struct Policy {
  std::string name;
  std::string description;
  std::optional<int> maxAgeDays; // unset: results never go stale
  WarningPolicy warnings = WarningPolicy::Fail;
  std::vector<Requirement> requirements;
  std::vector<SmokeMinimum> smoke;
  std::string file;   // where it was read from
  std::string sha256; // of the file's bytes, lowercase hex

  /// Does any requirement select scenarios by tag (so the scenario library is needed)?
  [[nodiscard]] bool usesTags() const;
};

/// Smoke checks a policy may set a minimum for: those with a numeric figure where more is better.
[[nodiscard]] const std::vector<std::string_view>& smokeChecksWithMinimum();

/// Reads a policy strictly, like a scenario file: an unknown element or attribute, a bad value, a
/// missing required one, a duplicate requirement id are each reported as file:line; nothing is
/// returned when there is any.
[[nodiscard]] Parsed<Policy> parsePolicy(std::string text, std::string file);

} // namespace hil::reports
