#include "storage/file_flow_store.h"

#include <filesystem>

#include <fmt/format.h>

#include "storage/state_dir.h"

namespace hil::storage {

FileFlowStore::FileFlowStore(std::string dir)
    : path_((std::filesystem::path{std::move(dir)} / "flow-state.xml").string()) {}

Result<void> FileFlowStore::save(const flows::FlowState& state) {
  const auto dir = std::filesystem::path{path_}.parent_path();
  std::error_code ec;
  if (!dir.empty()) {
    std::filesystem::create_directories(dir, ec);
  }
  if (ec) {
    return fail(ErrorCode::OperationFailed, fmt::format("{}: {}", dir.string(), ec.message()));
  }
  return writeFileDurably(path_, flows::formatFlowState(state));
}

Result<flows::FlowState> FileFlowStore::load() const {
  auto text = readFileIfExists(path_);
  if (!text) {
    return std::unexpected(std::move(text).error());
  }
  if (!*text) {
    return flows::FlowState{};
  }
  auto state = flows::parseFlowState(std::move(**text), path_);
  if (!state) {
    std::string message;
    for (const auto& d : state.error()) {
      message += message.empty() ? "" : "; ";
      message += d.toString();
    }
    return fail(ErrorCode::InvalidRequest, std::move(message));
  }
  return std::move(*state);
}

} // namespace hil::storage
