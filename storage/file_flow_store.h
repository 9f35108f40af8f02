#pragma once

#include <string>

#include "framework/core/error.h"
#include "framework/flows/flow_store.h"

namespace hil::storage {

// The flows' journal on disk. hil::storage links the flows privately, so a target that uses
// this header links hil::flows itself (the simulators, which must not see the flows, do not).

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
