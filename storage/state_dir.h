#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "framework/core/error.h"

namespace hil::storage {

/// Writes a file so that a crash at any moment leaves either the old or the new content:
/// a temporary file beside it, written and fsync'ed, renamed over the target, then the folder
/// fsync'ed. Errors carry the path and errno text (code operation-failed).
[[nodiscard]] Result<void> writeFileDurably(const std::string& path, std::string_view text);

/// The file's bytes, or nullopt when it does not exist; other errors are errors.
[[nodiscard]] Result<std::optional<std::string>> readFileIfExists(const std::string& path);

} // namespace hil::storage
