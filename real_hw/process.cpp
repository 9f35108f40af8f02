#include "real_hw/process.h"

#include <future>

#include <boost/asio/io_context.hpp>
#include <boost/process.hpp>
#include <fmt/format.h>

namespace hil::real_hw {

namespace bp = boost::process;

Result<std::string> findProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return name;
  }
  const auto program = bp::search_path(name);
  if (program.empty()) {
    return fail(ErrorCode::OperationFailed, fmt::format("{}: not found on PATH", name));
  }
  return program.string();
}

Result<ProcessResult> LiveProcessRunner::run(const std::vector<std::string>& argv,
                                             std::chrono::milliseconds deadline) {
  if (argv.empty()) {
    return fail(ErrorCode::InvalidRequest, "no program to run");
  }
  auto found = findProgram(argv[0]);
  if (!found) {
    return std::unexpected(found.error());
  }
  const boost::filesystem::path program = *found;
  const std::vector<std::string> args(argv.begin() + 1, argv.end());
  try {
    boost::asio::io_context io;
    std::future<std::string> out;
    std::future<std::string> err;
    bp::group group;
    bp::child child(program, bp::args(args), bp::std_in.close(), bp::std_out > out,
                    bp::std_err > err, io, group);
    // Runs until both pipes reach their end, or the deadline.
    io.run_for(deadline);
    if (!io.stopped()) {
      std::error_code ec;
      group.terminate(ec);
      io.run();
      child.wait(ec);
      return fail(ErrorCode::Timeout,
                  fmt::format("{} did not finish within {} ms; it and its children were killed",
                              argv[0], deadline.count()));
    }
    child.wait();
    return ProcessResult{child.exit_code(), out.get(), err.get()};
  } catch (const std::exception& e) {
    return fail(ErrorCode::OperationFailed, fmt::format("{}: cannot run: {}", argv[0], e.what()));
  }
}

} // namespace hil::real_hw
