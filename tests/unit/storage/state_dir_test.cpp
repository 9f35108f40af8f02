#include "storage/file_flow_store.h"
#include "storage/state_dir.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/flows/flow_store.h"
#include "framework/flows/undo_action.h"
#include "framework/platform/hyperv.h"
#include "tests/support/temp_dir.h"

namespace hil::storage {
namespace {

namespace fs = std::filesystem;
using flows::FlowRecord;
using flows::FlowState;
using flows::UndoAction;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

/// A folder of each test's own (tests/support/temp_dir.h).
class StateDirTest : public ::testing::Test {
protected:
  [[nodiscard]] std::string at(const std::string& name) const { return (dir_ / name).string(); }

  static std::string contents(const std::string& path) {
    std::ifstream in{path, std::ios::binary};
    return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  }

  static void put(const std::string& path, const std::string& text) {
    std::ofstream out{path, std::ios::binary | std::ios::trunc};
    out << text;
  }

  /// Every name in a folder, sorted.
  static std::vector<std::string> names(const fs::path& folder) {
    std::vector<std::string> result;
    for (const auto& entry : fs::directory_iterator{folder}) {
      result.push_back(entry.path().filename().string());
    }
    std::sort(result.begin(), result.end());
    return result;
  }

  const test_support::TempDir temp_{"hil-state-dir-test"};
  const fs::path& dir_ = temp_.path();
};

FlowState aJournal() {
  FlowState state;
  state.journal = FlowRecord{
      "deploy",
      "EFLOW",
      {UndoAction{UndoAction::Kind::StartVm, "EFLOW", {}},
       UndoAction{UndoAction::Kind::MountDevice, "EFLOW", "PCIROOT(0)#PCI(0300)#PCI(0000)"},
       UndoAction{UndoAction::Kind::EnableDevice, "EFLOW",
                  "PCI\\VEN_10DE&DEV_1EB8&SUBSYS_12A210DE&REV_A1\\4&1"}}};
  state.originals["EFLOW"] = platform::VmConfig{"EFLOW", platform::VmState::Running};
  return state;
}

// ---- writeFileDurably ------------------------------------------------------------------------

TEST_F(StateDirTest, WriteCreatesTheFile) {
  const auto path = at("state.xml");
  ASSERT_TRUE(writeFileDurably(path, "hello\n").has_value());
  EXPECT_EQ(contents(path), "hello\n");
}

TEST_F(StateDirTest, WriteReplacesTheWholeFile) {
  const auto path = at("state.xml");
  ASSERT_TRUE(writeFileDurably(path, std::string(10000, 'x')).has_value());
  ASSERT_TRUE(writeFileDurably(path, "short").has_value());
  EXPECT_EQ(contents(path), "short");
  ASSERT_TRUE(writeFileDurably(path, "").has_value());
  EXPECT_EQ(contents(path), "");
}

TEST_F(StateDirTest, WriteKeepsEveryByte) {
  const auto path = at("bytes.bin");
  std::string bytes;
  for (int i = 0; i < 3 * 65536 + 17; ++i) {
    bytes += static_cast<char>(i * 7);
  }
  ASSERT_TRUE(writeFileDurably(path, bytes).has_value());
  EXPECT_EQ(contents(path), bytes);
}

TEST_F(StateDirTest, WriteLeavesNoTemporaryFile) {
  ASSERT_TRUE(writeFileDurably(at("state.xml"), "one").has_value());
  ASSERT_TRUE(writeFileDurably(at("state.xml"), "two").has_value());
  EXPECT_THAT(names(dir_), ElementsAre("state.xml"));
}

TEST_F(StateDirTest, WriteReplacesAStaleTemporaryFileFromThisPid) {
  // A process with our pid died mid-write long ago.
  put(at(fmt::format(".state.xml.tmp-{}", ::getpid())), "stale half-written bytes");
  ASSERT_TRUE(writeFileDurably(at("state.xml"), "new").has_value());
  EXPECT_EQ(contents(at("state.xml")), "new");
  EXPECT_THAT(names(dir_), ElementsAre("state.xml"));
}

TEST_F(StateDirTest, WriteIntoAMissingFolderIsOperationFailedNamingThePath) {
  const auto path = at("no-such-folder/state.xml");
  const auto written = writeFileDurably(path, "text");
  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().code, ErrorCode::OperationFailed);
  EXPECT_THAT(written.error().message,
              AllOf(StartsWith(path + ": "), HasSubstr("No such file or directory")));
  EXPECT_FALSE(fs::exists(dir_ / "no-such-folder"));
}

TEST_F(StateDirTest, WriteIntoAReadOnlyFolderIsOperationFailed) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "root can write into any folder";
  }
  const auto folder = dir_ / "read-only";
  fs::create_directories(folder);
  put((folder / "state.xml").string(), "old");
  fs::permissions(folder, fs::perms::owner_read | fs::perms::owner_exec);
  const auto path = (folder / "state.xml").string();
  const auto written = writeFileDurably(path, "new");
  fs::permissions(folder, fs::perms::owner_all);
  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().code, ErrorCode::OperationFailed);
  EXPECT_THAT(written.error().message,
              AllOf(StartsWith(path + ": "), HasSubstr("Permission denied")));
  EXPECT_EQ(contents(path), "old");
  EXPECT_THAT(names(folder), ElementsAre("state.xml"));
}

TEST_F(StateDirTest, WriteOverAFolderFailsAndCleansUp) {
  fs::create_directories(dir_ / "taken" / "inside");
  const auto written = writeFileDurably(at("taken"), "text");
  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().code, ErrorCode::OperationFailed);
  EXPECT_THAT(written.error().message, StartsWith(at("taken") + ": "));
  EXPECT_TRUE(fs::is_directory(dir_ / "taken" / "inside"));
  EXPECT_THAT(names(dir_), ElementsAre("taken"));
}

TEST_F(StateDirTest, WriteWithARelativePathUsesTheWorkingFolder) {
  const auto cwd = fs::current_path();
  fs::current_path(dir_);
  const auto written = writeFileDurably("relative.txt", "here");
  fs::current_path(cwd);
  ASSERT_TRUE(written.has_value()) << written.error().describe();
  EXPECT_EQ(contents(at("relative.txt")), "here");
  EXPECT_THAT(names(dir_), ElementsAre("relative.txt"));
}

// ---- readFileIfExists ------------------------------------------------------------------------

TEST_F(StateDirTest, ReadMissingIsNullopt) {
  const auto read = readFileIfExists(at("absent.xml"));
  ASSERT_TRUE(read.has_value()) << read.error().describe();
  EXPECT_FALSE(read->has_value());
}

TEST_F(StateDirTest, ReadPresentGivesEveryByte) {
  const std::string bytes{"a\0b\r\n\xff end", 10};
  put(at("present.bin"), bytes);
  const auto read = readFileIfExists(at("present.bin"));
  ASSERT_TRUE(read.has_value()) << read.error().describe();
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ(**read, bytes);

  put(at("empty.bin"), "");
  const auto empty = readFileIfExists(at("empty.bin"));
  ASSERT_TRUE(empty.has_value() && empty->has_value());
  EXPECT_EQ(**empty, "");
}

TEST_F(StateDirTest, ReadAFolderIsAnError) {
  const auto read = readFileIfExists(dir_.string());
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().code, ErrorCode::OperationFailed);
  EXPECT_THAT(read.error().message, StartsWith(dir_.string() + ": "));
}

TEST_F(StateDirTest, ReadUnderAFileIsAnErrorNotMissing) {
  put(at("plain"), "x");
  const auto read = readFileIfExists(at("plain/child"));
  ASSERT_FALSE(read.has_value());
  EXPECT_THAT(read.error().message, HasSubstr("Not a directory"));
}

// ---- FileFlowStore ---------------------------------------------------------------------------

TEST_F(StateDirTest, StoreKeepsItsFileInTheFolder) {
  FileFlowStore store{dir_.string()};
  EXPECT_EQ(fs::path{store.path()}, dir_ / "flow-state.xml");
}

TEST_F(StateDirTest, StoreRoundTrips) {
  FileFlowStore store{dir_.string()};
  ASSERT_TRUE(store.save(aJournal()).has_value());
  const auto loaded = store.load();
  ASSERT_TRUE(loaded.has_value()) << loaded.error().describe();
  EXPECT_EQ(*loaded, aJournal());
  EXPECT_EQ(contents(store.path()), flows::formatFlowState(aJournal()));

  // A later process sees it too; the journal closes with a save of the originals alone.
  FileFlowStore later{dir_.string()};
  EXPECT_EQ(later.load().value(), aJournal());
  FlowState closed = aJournal();
  closed.journal.reset();
  ASSERT_TRUE(later.save(closed).has_value());
  EXPECT_EQ(store.load().value(), closed);
  EXPECT_THAT(names(dir_), ElementsAre("flow-state.xml"));
}

TEST_F(StateDirTest, StoreCreatesItsFolder) {
  const auto folder = dir_ / "a" / "b";
  FileFlowStore store{folder.string()};
  ASSERT_TRUE(store.save(aJournal()).has_value());
  EXPECT_TRUE(fs::exists(folder / "flow-state.xml"));
  EXPECT_EQ(store.load().value(), aJournal());
}

TEST_F(StateDirTest, StoreWithAFileWhereItsFolderShouldBeFails) {
  put(at("blocked"), "x");
  FileFlowStore store{at("blocked")};
  const auto saved = store.save(aJournal());
  ASSERT_FALSE(saved.has_value());
  EXPECT_EQ(saved.error().code, ErrorCode::OperationFailed);
  EXPECT_THAT(saved.error().message, HasSubstr(at("blocked")));
  EXPECT_EQ(contents(at("blocked")), "x");
}

TEST_F(StateDirTest, StoreWithoutAFileIsEmpty) {
  FileFlowStore store{at("never-saved")};
  const auto loaded = store.load();
  ASSERT_TRUE(loaded.has_value()) << loaded.error().describe();
  EXPECT_EQ(*loaded, FlowState{});
  EXPECT_FALSE(fs::exists(dir_ / "never-saved"));
}

TEST_F(StateDirTest, StoreWithADamagedFileIsInvalidRequestAndLeavesItAlone) {
  FileFlowStore store{dir_.string()};
  const std::string text = flows::formatFlowState(aJournal());
  const std::string torn = text.substr(0, text.find("mount-device"));
  put(store.path(), torn);
  const auto loaded = store.load();
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, ErrorCode::InvalidRequest);
  EXPECT_THAT(loaded.error().message,
              AllOf(StartsWith(store.path() + ":5: "), HasSubstr("XML syntax error")));
  EXPECT_EQ(contents(store.path()), torn);
}

TEST_F(StateDirTest, StoreJoinsEveryDiagnostic) {
  FileFlowStore store{dir_.string()};
  const std::string text = "<gpu-hil-flow-state version=\"1\">\n"
                           "  <journal flow=\"sideways\" vm=\"EFLOW\">\n"
                           "    <undo kind=\"nope\" vm=\"EFLOW\"/>\n"
                           "  </journal>\n"
                           "</gpu-hil-flow-state>\n";
  put(store.path(), text);
  const auto loaded = store.load();
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, ErrorCode::InvalidRequest);
  const auto& message = loaded.error().message;
  EXPECT_THAT(message,
              AllOf(StartsWith(store.path() + ":2: "), HasSubstr("; " + store.path() + ":3: ")));
  EXPECT_EQ(message.find('\n'), std::string::npos);
  EXPECT_EQ(contents(store.path()), text);
}

TEST_F(StateDirTest, StoreWithAnUnknownVersionIsInvalidRequest) {
  FileFlowStore store{dir_.string()};
  put(store.path(), "<gpu-hil-flow-state version=\"7\"/>\n");
  const auto loaded = store.load();
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, ErrorCode::InvalidRequest);
  EXPECT_THAT(loaded.error().message, HasSubstr("version 1"));
}

TEST_F(StateDirTest, StoreWithAFolderWhereTheFileShouldBeIsOperationFailed) {
  FileFlowStore store{dir_.string()};
  fs::create_directories(store.path());
  const auto loaded = store.load();
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, ErrorCode::OperationFailed);
}

} // namespace
} // namespace hil::storage
