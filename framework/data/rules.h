#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "framework/core/diagnostic.h"
#include "framework/data/catalog.h"
#include "framework/platform/types.h"

namespace hil::data {

/// One support rule: these GPUs may use this technique on these editions from this build on.
struct Rule {
  std::vector<std::string> gpus;     // catalog ids
  std::vector<std::string> families; // catalog families
  platform::Technique technique = platform::Technique::DirectDeviceAssignment;
  std::vector<platform::Edition> editions;
  platform::WindowsBuild minBuild;
  bool requiresWslDriver = false;
  bool recommendsMitigationDriver = false;
  int line = 0;

  [[nodiscard]] bool covers(const GpuModel& model) const;
  [[nodiscard]] bool allows(platform::Edition edition) const;
};

/// A rules profile (framework/data/rules/*.xml): which GPU may use which technique where.
class RulesProfile {
public:
  static Parsed<RulesProfile> parse(std::string text, std::string file);
  /// A profile compiled into the binary: "eflow-2021-preview" (the default) or "eflow-current".
  static std::optional<RulesProfile> builtin(std::string_view name);
  [[nodiscard]] static std::span<const std::string_view> builtinNames();
  static constexpr std::string_view kDefault = "eflow-2021-preview";

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] const std::string& description() const { return description_; }
  [[nodiscard]] const std::vector<Rule>& rules() const { return rules_; }
  /// The rules that cover this GPU, in file order.
  [[nodiscard]] std::vector<const Rule*> rulesFor(const GpuModel& model) const;

private:
  std::string name_;
  std::string description_;
  std::vector<Rule> rules_;
};

} // namespace hil::data
