#include "storage/state_dir.h"

#include <cerrno>
#include <filesystem>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace hil::storage {
namespace {

std::unexpected<Error> failErrno(const std::string& path, int error) {
  return fail(ErrorCode::OperationFailed,
              fmt::format("{}: {}", path, std::generic_category().message(error)));
}

/// Closes a descriptor on every way out.
class Fd {
public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  [[nodiscard]] int get() const { return fd_; }
  /// Closes now and reports close's own error (a delayed write error shows up here).
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

private:
  int fd_;
};

int openRetrying(const char* path, int flags, mode_t mode = 0) {
  int fd = -1;
  do {
    fd = ::open(path, flags, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

Result<void> writeAll(int fd, std::string_view text, const std::string& path) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return failErrno(path, errno);
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<void> writeTemp(const std::string& temp, std::string_view text, const std::string& path) {
  Fd fd{openRetrying(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
  if (fd.get() < 0) {
    return failErrno(path, errno);
  }
  HIL_TRY(writeAll(fd.get(), text, path));
  if (::fsync(fd.get()) != 0) {
    return failErrno(path, errno);
  }
  if (fd.close() != 0) {
    return failErrno(path, errno);
  }
  return {};
}

} // namespace

Result<void> writeFileDurably(const std::string& path, std::string_view text) {
  const std::filesystem::path target{path};
  const auto folder = target.has_parent_path() ? target.parent_path() : std::filesystem::path{"."};
  const auto temp =
      (folder / fmt::format(".{}.tmp-{}", target.filename().string(), ::getpid())).string();

  if (auto written = writeTemp(temp, text, path); !written) {
    ::unlink(temp.c_str());
    return written;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    return failErrno(path, error);
  }
  // The rename is durable only once the folder's entry is on disk.
  Fd dir{openRetrying(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.get() < 0) {
    return failErrno(folder.string(), errno);
  }
  if (::fsync(dir.get()) != 0) {
    return failErrno(folder.string(), errno);
  }
  return {};
}

Result<std::optional<std::string>> readFileIfExists(const std::string& path) {
  Fd fd{openRetrying(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.get() < 0) {
    if (errno == ENOENT) {
      return std::optional<std::string>{};
    }
    return failErrno(path, errno);
  }
  std::string text;
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return failErrno(path, errno);
    }
    if (n == 0) {
      break;
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return std::optional<std::string>{std::move(text)};
}

} // namespace hil::storage
