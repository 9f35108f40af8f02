#pragma once

#include <string>

namespace hil::app {

/// The project's semantic version (CMake's PROJECT_VERSION).
extern const char* const kVersion;
/// The git commit this hil was built from (`git describe --always --dirty`), or empty when it
/// was not built from a git checkout.
extern const char* const kCommit;

/// "0.1.0 (git 965f818ab1c2)", or "0.1.0" outside a checkout.
[[nodiscard]] inline std::string versionText() {
  std::string text = kVersion;
  if (*kCommit != '\0') {
    text += std::string{" (git "} + kCommit + ")";
  }
  return text;
}

} // namespace hil::app
