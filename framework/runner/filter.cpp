#include <fnmatch.h>

#include "framework/runner/runner.h"

namespace hil::runner {

bool matchesFilter(const scenario::Scenario& scenario, const std::vector<std::string>& globs) {
  if (globs.empty()) {
    return true;
  }
  for (const auto& glob : globs) {
    if (fnmatch(glob.c_str(), scenario.name.c_str(), 0) == 0) {
      return true;
    }
    for (const auto& tag : scenario.tags) {
      if (fnmatch(glob.c_str(), tag.c_str(), 0) == 0) {
        return true;
      }
    }
  }
  return false;
}

} // namespace hil::runner
