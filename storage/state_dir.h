#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "framework/core/error.h"
#include "framework/flows/flow_store.h"

namespace hil::storage {

/// Writes a file so that a crash at any moment leaves either the old or the new content:
/// a temporary file beside it, written and fsync'ed, renamed over the target, then the folder
/// fsync'ed. Errors carry the path and errno text (code operation-failed).
[[nodiscard]] Result<void> writeFileDurably(const std::string& path, std::string_view text);

/// The file's bytes, or nullopt when it does not exist; other errors are errors.
[[nodiscard]] Result<std::optional<std::string>> readFileIfExists(const std::string& path);

/// FlowState kept in DIR/flow-state.xml, written durably on every save. A missing file is an
/// empty state; a damaged one is an error (invalid-request) naming file:line, and nothing is
/// changed.
class FileFlowStore : public flows::FlowStore {
public:
  explicit FileFlowStore(std::string dir);
  Result<void> save(const flows::FlowState& state) override;
  Result<flows::FlowState> load() const override;
  [[nodiscard]] const std::string& path() const { return path_; }

private:
  std::string path_;
};

} // namespace hil::storage
