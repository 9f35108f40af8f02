#pragma once

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hil::test_support {

/// A folder of the test's own, made with mkdtemp under the system's temporary folder: unique
/// across tests, processes and parallel CTest runs of several build trees, and removed with
/// everything in it when the test ends.
class TempDir {
public:
  explicit TempDir(std::string_view prefix = "hil-test") {
    std::string pattern =
        (std::filesystem::temp_directory_path() / (std::string{prefix} + "-XXXXXX")).string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp " + pattern);
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    // A test may have taken its own permissions away (a read-only folder): give them back first.
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  /// A path inside the folder (nothing is created).
  [[nodiscard]] std::string file(std::string_view name) const { return (path_ / name).string(); }

private:
  std::filesystem::path path_;
};

} // namespace hil::test_support
