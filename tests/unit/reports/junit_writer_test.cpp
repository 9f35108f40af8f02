#include "reports/junit_writer.h"

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "framework/runner/results.h"

using hil::reports::sanitizeXmlText;
using hil::reports::toJunitXml;
using hil::runner::CaseResult;
using hil::runner::CaseStatus;
using hil::runner::RunReport;
using hil::runner::SuiteResult;
using namespace std::string_literals;

namespace {

CaseResult passedCase(std::string name, double seconds = 0.5) {
  CaseResult result;
  result.name = std::move(name);
  result.status = CaseStatus::Passed;
  result.seconds = seconds;
  return result;
}

CaseResult failedCase(std::string name, std::string type, std::string message) {
  CaseResult result;
  result.name = std::move(name);
  result.status = CaseStatus::Failed;
  result.failureType = std::move(type);
  result.failureMessage = std::move(message);
  result.failureDetail = "t4.xml:12: expected ok, got gpu-count";
  result.seconds = 0.25;
  return result;
}

CaseResult skippedCase(std::string name, std::string reason) {
  CaseResult result;
  result.name = std::move(name);
  result.status = CaseStatus::Skipped;
  result.skipReason = std::move(reason);
  return result;
}

SuiteResult suite(std::string name, std::vector<CaseResult> cases) {
  SuiteResult result;
  result.name = std::move(name);
  result.file = "scenarios/" + result.name + ".xml";
  for (CaseResult& c : cases) {
    c.suite = result.name;
  }
  result.cases = std::move(cases);
  return result;
}

/// Passed, failed and skipped cases, properties, logs with control characters: what a real run
/// of the simulator writes.
RunReport representativeReport() {
  CaseResult passed = passedCase("t4-dda-server-2019", 1.5);
  passed.log = {"deploy passthrough=auto", "\x1b[32mok\x1b[0m", "bell\x07 and nul "s + '\0' + "!"};
  CaseResult failed =
      failedCase("t4-gpu-pv", "method-not-supported", "GPU-PV asked for\na Tesla T4 <&\"]]>\r\n");
  failed.failureDetail = "a.xml:3: expected ok\na.xml:5: expected vm-gpu=gpu-pv & <none>";
  failed.log = {"invalid \xff\xfe bytes", "Grafikkarte f\xc3\xbcr Stra\xc3\x9f"
                                          "e \xe6\x97\xa5\xe6\x9c\xac"};
  SuiteResult dda = suite("dda/t4", {passed, failed, skippedCase("t4-rig", "no rig with a T4")});
  dda.properties = {{"backend", "sim"},
                    {"gpu", "tesla-t4"},
                    {"seed", "42"},
                    {"technique", "DirectDeviceAssignment"},
                    {"windows-build", "17763"}};
  SuiteResult pv = suite("gpu-pv/rtx", {passedCase("rtx-3060-pro", 0.0421)});

  RunReport report;
  report.suites = {dda, pv};
  report.seconds = 2.34567;
  return report;
}

pugi::xml_document parse(const std::string& xml) {
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_buffer(
      xml.data(), xml.size(), pugi::parse_default | pugi::parse_declaration, pugi::encoding_utf8);
  EXPECT_TRUE(parsed) << parsed.description() << " at " << parsed.offset << " in\n" << xml;
  return doc;
}

std::vector<std::string> attributeNames(pugi::xml_node node) {
  std::vector<std::string> names;
  for (pugi::xml_attribute attribute : node.attributes()) {
    names.emplace_back(attribute.name());
  }
  return names;
}

std::vector<std::string> childNames(pugi::xml_node node) {
  std::vector<std::string> names;
  for (pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_element) {
      names.emplace_back(child.name());
    }
  }
  return names;
}

/// XML 1.0 well-formedness as far as characters go: no raw C0 controls but TAB/LF/CR, no DEL,
/// and no character reference to a forbidden control (pugixml would accept `&#27;`, xmllint not).
void expectOnlyXmlCharacters(const std::string& xml) {
  for (const char c : xml) {
    const auto byte = static_cast<unsigned char>(c);
    EXPECT_TRUE(byte >= 0x20 || byte == '\t' || byte == '\n' || byte == '\r')
        << "raw control byte " << static_cast<int>(byte);
    EXPECT_NE(byte, 0x7f);
  }
  const std::regex reference{"&#(x?)([0-9a-fA-F]+);"};
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), reference);
       it != std::sregex_iterator(); ++it) {
    const long value = std::stol((*it)[2].str(), nullptr, (*it)[1].length() > 0 ? 16 : 10);
    EXPECT_TRUE(value >= 0x20 || value == '\t' || value == '\n' || value == '\r')
        << "character reference " << it->str();
  }
}

std::string shellQuote(std::string_view text) {
  std::string quoted = "'";
  for (const char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

struct CommandResult {
  int exitStatus = -1;
  std::string output;
};

/// Runs a command line built only from fixed text and shell-quoted paths.
CommandResult runCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    return result;
  }
  char buffer[4096];
  std::size_t read = 0;
  while ((read = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    result.output.append(buffer, read);
  }
  const int status = pclose(pipe);
  if (status != -1 && WIFEXITED(status)) {
    result.exitStatus = WEXITSTATUS(status);
  }
  return result;
}

/// A file under the temp directory, made with mkstemp, removed when the test ends.
class TempFile {
public:
  explicit TempFile(const std::string& contents) {
    std::string pattern = (std::filesystem::temp_directory_path() / "hil-junit-XXXXXX").string();
    const int fd = mkstemp(pattern.data());
    if (fd < 0) {
      return;
    }
    path_ = pattern;
    std::size_t written = 0;
    while (written < contents.size()) {
      const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
      if (n <= 0) {
        break;
      }
      written += static_cast<std::size_t>(n);
    }
    ok_ = written == contents.size();
    ::close(fd);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (!path_.empty()) {
      std::filesystem::remove(path_);
    }
  }
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] const std::string& path() const { return path_; }

private:
  std::string path_;
  bool ok_ = false;
};

std::filesystem::path schemasDir() {
  if (const char* fromEnv = std::getenv("HIL_SCHEMAS_DIR"); fromEnv != nullptr && *fromEnv != 0) {
    return fromEnv;
  }
#ifdef HIL_SCHEMAS_DIR_DEFAULT
  return HIL_SCHEMAS_DIR_DEFAULT;
#else
  return {};
#endif
}

constexpr const char* xmllint = "/usr/bin/xmllint";

CommandResult validate(const std::string& file, const std::filesystem::path& schema) {
  return runCommand(fmt::format("{} --noout --schema {} {}", xmllint, shellQuote(schema.string()),
                                shellQuote(file)));
}

} // namespace

TEST(JunitWriter, StartsWithUtf8DeclarationAndIndentsTwoSpaces) {
  const std::string xml = toJunitXml(representativeReport());
  EXPECT_THAT(xml, testing::StartsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
  EXPECT_THAT(xml, testing::HasSubstr("\n  <testsuite "));
  EXPECT_THAT(xml, testing::HasSubstr("\n    <testcase "));
}

TEST(JunitWriter, CountsAndAttributes) {
  const pugi::xml_document doc = parse(toJunitXml(representativeReport()));
  const pugi::xml_node root = doc.child("testsuites");
  ASSERT_TRUE(root);
  // junit-10.xsd rejects `skipped` and `disabled` on <testsuites>, so neither is written.
  EXPECT_THAT(attributeNames(root),
              testing::ElementsAre("name", "tests", "failures", "errors", "time"));
  EXPECT_STREQ(root.attribute("name").value(), "gpu-hil");
  EXPECT_STREQ(root.attribute("tests").value(), "4");
  EXPECT_STREQ(root.attribute("failures").value(), "1");
  EXPECT_STREQ(root.attribute("errors").value(), "0");
  EXPECT_STREQ(root.attribute("time").value(), "2.346"); // report.seconds wins when > 0

  const pugi::xml_node dda = root.child("testsuite");
  EXPECT_THAT(attributeNames(dda),
              testing::ElementsAre("name", "tests", "failures", "errors", "skipped", "time"));
  EXPECT_STREQ(dda.attribute("name").value(), "dda/t4");
  EXPECT_STREQ(dda.attribute("tests").value(), "3");
  EXPECT_STREQ(dda.attribute("failures").value(), "1");
  EXPECT_STREQ(dda.attribute("errors").value(), "0");
  EXPECT_STREQ(dda.attribute("skipped").value(), "1");
  EXPECT_STREQ(dda.attribute("time").value(), "1.750");

  const pugi::xml_node pv = dda.next_sibling("testsuite");
  EXPECT_STREQ(pv.attribute("name").value(), "gpu-pv/rtx");
  EXPECT_STREQ(pv.attribute("tests").value(), "1");
  EXPECT_STREQ(pv.attribute("failures").value(), "0");
  EXPECT_STREQ(pv.attribute("skipped").value(), "0");
  EXPECT_STREQ(pv.attribute("time").value(), "0.042");
  EXPECT_FALSE(pv.next_sibling());

  const pugi::xml_node first = dda.child("testcase");
  EXPECT_THAT(attributeNames(first), testing::ElementsAre("classname", "name", "time"));
  EXPECT_STREQ(first.attribute("classname").value(), "dda.t4"); // Jenkins: package dda
  EXPECT_STREQ(first.attribute("name").value(), "t4-dda-server-2019");
  EXPECT_STREQ(first.attribute("time").value(), "1.500");
  EXPECT_THAT(childNames(dda),
              testing::ElementsAre("properties", "testcase", "testcase", "testcase"));

  const pugi::xml_node failure = first.next_sibling("testcase").child("failure");
  EXPECT_THAT(attributeNames(failure), testing::ElementsAre("type", "message"));
  EXPECT_STREQ(failure.attribute("type").value(), "method-not-supported");
}

TEST(JunitWriter, NamesTheRootAsAsked) {
  const pugi::xml_document doc =
      parse(toJunitXml(representativeReport(), {.testsuitesName = "nightly <rig>"}));
  EXPECT_STREQ(doc.child("testsuites").attribute("name").value(), "nightly <rig>");
}

TEST(JunitWriter, EmptyReportIsAValidEmptyRoot) {
  const std::string xml = toJunitXml(RunReport{});
  const pugi::xml_document doc = parse(xml);
  const pugi::xml_node root = doc.child("testsuites");
  EXPECT_STREQ(root.attribute("tests").value(), "0");
  EXPECT_STREQ(root.attribute("time").value(), "0.000");
  EXPECT_FALSE(root.first_child());
}

TEST(JunitWriter, PropertiesSortedByNameAndNeverEmpty) {
  const pugi::xml_document doc = parse(toJunitXml(representativeReport()));
  const pugi::xml_node dda = doc.child("testsuites").child("testsuite");
  std::vector<std::string> names;
  for (pugi::xml_node property : dda.child("properties").children("property")) {
    EXPECT_THAT(attributeNames(property), testing::ElementsAre("name", "value"));
    names.emplace_back(property.attribute("name").value());
  }
  EXPECT_THAT(names, testing::ElementsAre("backend", "gpu", "seed", "technique", "windows-build"));
  EXPECT_STREQ(dda.child("properties")
                   .find_child_by_attribute("property", "name", "seed")
                   .attribute("value")
                   .value(),
               "42");

  // jenkins-junit.xsd rejects <properties/> without a <property>.
  const pugi::xml_node pv = dda.next_sibling("testsuite");
  EXPECT_FALSE(pv.child("properties"));
  EXPECT_FALSE(
      std::regex_search(toJunitXml(representativeReport()), std::regex{"<properties\\s*/>"}));
}

TEST(JunitWriter, MarkupRoundTrips) {
  const std::string markup = "a < b && c > \"d\" ]]> 'e'";
  CaseResult failed = failedCase(markup, markup, markup);
  failed.failureDetail = markup;
  failed.log = {markup, "<![CDATA[" + markup + "]]>"};
  SuiteResult s = suite(markup, {failed});
  s.properties = {{markup, markup}};
  RunReport report;
  report.suites = {s};

  const std::string xml = toJunitXml(report, {.testsuitesName = markup});
  // `]]>` may stand in an attribute value but not in text: there it must be escaped.
  EXPECT_THAT(xml, testing::HasSubstr("]]&gt; 'e'</failure>"));
  const pugi::xml_document doc = parse(xml);
  const pugi::xml_node root = doc.child("testsuites");
  EXPECT_EQ(root.attribute("name").value(), markup);
  const pugi::xml_node suiteNode = root.child("testsuite");
  EXPECT_EQ(suiteNode.attribute("name").value(), markup);
  const pugi::xml_node property = suiteNode.child("properties").child("property");
  EXPECT_EQ(property.attribute("name").value(), markup);
  EXPECT_EQ(property.attribute("value").value(), markup);
  const pugi::xml_node testcase = suiteNode.child("testcase");
  EXPECT_EQ(testcase.attribute("classname").value(), markup);
  EXPECT_EQ(testcase.attribute("name").value(), markup);
  const pugi::xml_node failure = testcase.child("failure");
  EXPECT_EQ(failure.attribute("type").value(), markup);
  EXPECT_EQ(failure.attribute("message").value(), markup);
  EXPECT_EQ(failure.text().get(), markup);
  EXPECT_EQ(testcase.child("system-out").text().get(), markup + "\n<![CDATA[" + markup + "]]>");
}

TEST(JunitWriter, SanitizeTurnsForbiddenControlsIntoVisibleText) {
  EXPECT_EQ(sanitizeXmlText("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(sanitizeXmlText("a\0b"s), "a\\x00b");
  EXPECT_EQ(sanitizeXmlText("\x07\x08\x0b\x0c\x1f\x7f"), "\\x07\\x08\\x0b\\x0c\\x1f\\x7f");
  EXPECT_EQ(sanitizeXmlText("tab\tlf\ncr\r"), "tab\tlf\ncr\r");
  EXPECT_EQ(sanitizeXmlText(""), "");
  EXPECT_EQ(sanitizeXmlText("plain ASCII <&>\""), "plain ASCII <&>\"");
}

TEST(JunitWriter, ControlCharactersInTheDocumentAreVisibleAndItParses) {
  CaseResult failed = failedCase("\x1b[31mred"s, "gpu-count", "bell\x07 nul"s + '\0' + "x");
  failed.failureDetail = "esc \x1b[0m";
  failed.log = {"\x1b[32mgreen\x1b[0m", "nul "s + '\0' + " bell \x07"};
  SuiteResult s = suite("ctl\x01", {failed});
  s.properties = {{"gpu", "t4\x1b"}};
  RunReport report;
  report.suites = {s};

  const std::string xml = toJunitXml(report);
  expectOnlyXmlCharacters(xml);
  const pugi::xml_document doc = parse(xml);
  const pugi::xml_node suiteNode = doc.child("testsuites").child("testsuite");
  EXPECT_STREQ(suiteNode.attribute("name").value(), "ctl\\x01");
  EXPECT_STREQ(suiteNode.child("properties").child("property").attribute("value").value(),
               "t4\\x1b");
  const pugi::xml_node testcase = suiteNode.child("testcase");
  EXPECT_STREQ(testcase.attribute("name").value(), "\\x1b[31mred");
  EXPECT_STREQ(testcase.child("failure").attribute("message").value(), "bell\\x07 nul\\x00x");
  EXPECT_STREQ(testcase.child("failure").text().get(), "esc \\x1b[0m");
  EXPECT_STREQ(testcase.child("system-out").text().get(),
               "\\x1b[32mgreen\\x1b[0m\nnul \\x00 bell \\x07");
}

TEST(JunitWriter, InvalidUtf8BytesAreReplacedOneByOne) {
  EXPECT_EQ(sanitizeXmlText("a\xff"
                            "b"),
            "a\\xffb");
  EXPECT_EQ(sanitizeXmlText("\xc3\x28"), "\\xc3(");                       // bad continuation
  EXPECT_EQ(sanitizeXmlText("\xe6\x97"), "\\xe6\\x97");                   // truncated 日
  EXPECT_EQ(sanitizeXmlText("\xc0\xaf"), "\\xc0\\xaf");                   // overlong '/'
  EXPECT_EQ(sanitizeXmlText("\xed\xa0\x80"), "\\xed\\xa0\\x80");          // surrogate U+D800
  EXPECT_EQ(sanitizeXmlText("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80"); // above U+10FFFF
  EXPECT_EQ(sanitizeXmlText("\x80\xe6\x97\xa5"), "\\x80\xe6\x97\xa5");    // stray, then valid 日
  EXPECT_EQ(sanitizeXmlText("\xef\xbf\xbe"), "\\xef\\xbf\\xbe"); // U+FFFE: not an XML character

  RunReport report;
  report.suites = {suite("bytes", {passedCase("bad \xff\xfe name")})};
  const std::string xml = toJunitXml(report);
  EXPECT_EQ(sanitizeXmlText(xml), xml) << "the document is not valid UTF-8";
  const pugi::xml_document doc = parse(xml);
  EXPECT_STREQ(
      doc.child("testsuites").child("testsuite").child("testcase").attribute("name").value(),
      "bad \\xff\\xfe name");
}

TEST(JunitWriter, ValidUtf8IsKept) {
  const std::string german = "Grafikkarte f\xc3\xbcr Stra\xc3\x9f"
                             "e";
  const std::string japanese = "\xe6\x97\xa5\xe6\x9c\xac";
  const std::string emoji = "\xf0\x9f\x96\xa5"; // U+1F5A5, four bytes
  EXPECT_EQ(sanitizeXmlText(german), german);
  EXPECT_EQ(sanitizeXmlText(japanese), japanese);
  EXPECT_EQ(sanitizeXmlText(emoji), emoji);

  CaseResult passed = passedCase(german);
  passed.log = {japanese, emoji};
  RunReport report;
  report.suites = {suite(japanese, {passed})};
  const pugi::xml_document doc = parse(toJunitXml(report));
  const pugi::xml_node testcase = doc.child("testsuites").child("testsuite").child("testcase");
  EXPECT_EQ(testcase.attribute("classname").value(), japanese);
  EXPECT_EQ(testcase.attribute("name").value(), german);
  EXPECT_EQ(testcase.child("system-out").text().get(), japanese + "\n" + emoji);
}

TEST(JunitWriter, FailureMessageIsOneLine) {
  RunReport report;
  report.suites = {suite("s", {failedCase("c", "timeout", "first\nsecond\r\nthird\rfourth")})};
  const pugi::xml_document doc = parse(toJunitXml(report));
  const pugi::xml_node failure =
      doc.child("testsuites").child("testsuite").child("testcase").child("failure");
  EXPECT_STREQ(failure.attribute("message").value(), "first second  third fourth");
  EXPECT_STREQ(failure.attribute("type").value(), "timeout");
  EXPECT_STREQ(failure.text().get(), "t4.xml:12: expected ok, got gpu-count");
}

TEST(JunitWriter, SkippedHasNoAttributes) {
  const pugi::xml_document doc = parse(toJunitXml(representativeReport()));
  const pugi::xml_node skipped = doc.child("testsuites")
                                     .child("testsuite")
                                     .find_child_by_attribute("testcase", "name", "t4-rig");
  ASSERT_TRUE(skipped.child("skipped"));
  EXPECT_FALSE(skipped.child("skipped").first_attribute());
  EXPECT_STREQ(skipped.child("skipped").text().get(), "no rig with a T4");
  EXPECT_THAT(childNames(skipped), testing::ElementsAre("skipped"));
}

TEST(JunitWriter, CaseChildrenComeInSchemaOrder) {
  CaseResult skipped = skippedCase("skip", "not on this rig");
  skipped.log = {"looked for a rig"};
  CaseResult failed = failedCase("fail", "smoke-failed", "no GPU in the VM");
  failed.log = {"ran nvidia-smi"};
  CaseResult passed = passedCase("pass");
  passed.log = {"all good"};
  RunReport report;
  report.suites = {suite("s", {skipped, failed, passed, passedCase("quiet")})};

  const pugi::xml_document doc = parse(toJunitXml(report));
  const pugi::xml_node s = doc.child("testsuites").child("testsuite");
  EXPECT_THAT(childNames(s.find_child_by_attribute("testcase", "name", "skip")),
              testing::ElementsAre("skipped", "system-out"));
  EXPECT_THAT(childNames(s.find_child_by_attribute("testcase", "name", "fail")),
              testing::ElementsAre("failure", "system-out"));
  EXPECT_THAT(childNames(s.find_child_by_attribute("testcase", "name", "pass")),
              testing::ElementsAre("system-out"));
  EXPECT_THAT(childNames(s.find_child_by_attribute("testcase", "name", "quiet")),
              testing::IsEmpty());
  EXPECT_THAT(childNames(s), testing::Each(testing::Eq("testcase")));
}

TEST(JunitWriter, TimesHaveADotAndAtMostThreeDecimals) {
  RunReport report;
  report.suites = {
      suite("s", {passedCase("a", 0.0421), passedCase("b", 0.0104), passedCase("c", 12345.67891)}),
      suite("negative",
            {passedCase("d", -1.0), passedCase("e", std::numeric_limits<double>::quiet_NaN())})};
  const pugi::xml_document doc = parse(toJunitXml(report));
  const pugi::xml_node root = doc.child("testsuites");
  const std::regex threeDecimals{"[0-9]+\\.[0-9]{3}"};
  EXPECT_TRUE(std::regex_match(root.attribute("time").value(), threeDecimals));
  for (pugi::xml_node s : root.children("testsuite")) {
    EXPECT_TRUE(std::regex_match(s.attribute("time").value(), threeDecimals))
        << s.attribute("time").value();
    for (pugi::xml_node c : s.children("testcase")) {
      EXPECT_TRUE(std::regex_match(c.attribute("time").value(), threeDecimals))
          << c.attribute("time").value();
    }
  }
  const pugi::xml_node first = root.child("testsuite");
  EXPECT_STREQ(first.attribute("time").value(), "12345.731");
  EXPECT_STREQ(first.child("testcase").attribute("time").value(), "0.042");
  const pugi::xml_node negative = first.next_sibling("testsuite");
  EXPECT_STREQ(negative.attribute("time").value(), "0.000");
  EXPECT_STREQ(negative.child("testcase").attribute("time").value(), "0.000");
  // report.seconds is 0: the root's time is the sum of the cases.
  EXPECT_STREQ(root.attribute("time").value(), "12345.731");

  report.seconds = -3;
  EXPECT_STREQ(parse(toJunitXml(report)).child("testsuites").attribute("time").value(),
               "12345.731");
}

TEST(JunitWriter, SameInputGivesSameBytes) {
  const RunReport report = representativeReport();
  const std::string first = toJunitXml(report);
  const std::string second = toJunitXml(report);
  EXPECT_EQ(first, second);
  EXPECT_EQ(toJunitXml(representativeReport()), first);
}

TEST(JunitWriter, ExtensionsAddTheScenarioFileAndTheTestcasesOwnProperties) {
  RunReport report = representativeReport();
  report.suites[0].cases[0].file = "scenarios/dda/t4.xml";
  report.suites[0].cases[0].properties = {{"technique", "DirectDeviceAssignment"}};
  const pugi::xml_document plain = parse(toJunitXml(report));
  const pugi::xml_node plainCase = plain.child("testsuites").child("testsuite").child("testcase");
  EXPECT_FALSE(plainCase.attribute("file"));
  EXPECT_FALSE(plainCase.child("properties"));

  const pugi::xml_document rich = parse(toJunitXml(report, {.extensions = true}));
  const pugi::xml_node richCase = rich.child("testsuites").child("testsuite").child("testcase");
  EXPECT_STREQ(richCase.attribute("file").value(), "scenarios/dda/t4.xml");
  EXPECT_STREQ(richCase.child("properties")
                   .find_child_by_attribute("property", "name", "technique")
                   .attribute("value")
                   .value(),
               "DirectDeviceAssignment");
  // A case without properties gets no empty <properties/>.
  EXPECT_FALSE(richCase.next_sibling("testcase").child("properties"));
}

TEST(JunitWriter, ValidatesAgainstBothConsumerSchemas) {
  // Never skipped: without xmllint or the schemas (tests/schemas/) the check cannot be made.
  if (!std::filesystem::exists(xmllint)) {
    FAIL() << xmllint << " not found: run scripts/deps.sh (Debian package libxml2-utils)";
  }
  const std::filesystem::path schemas = schemasDir();
  if (schemas.empty() || !std::filesystem::is_directory(schemas)) {
    FAIL() << "no schema directory '" << schemas.string()
           << "' (tests/schemas/ in the source tree, or set HIL_SCHEMAS_DIR)";
  }
  const std::string xml = toJunitXml(representativeReport());
  const TempFile file{xml};
  ASSERT_TRUE(file.ok()) << "cannot write a temp file";

  for (const char* schema : {"junit-10.xsd", "jenkins-junit.xsd"}) {
    ASSERT_TRUE(std::filesystem::exists(schemas / schema)) << (schemas / schema);
    const CommandResult result = validate(file.path(), schemas / schema);
    EXPECT_EQ(result.exitStatus, 0) << schema << ":\n" << result.output << "\n" << xml;
  }

  // The extensions are outside both schemas, which is why they are asked for, never default.
  RunReport withFile = representativeReport();
  withFile.suites[0].cases[0].file = "scenarios/dda/t4.xml";
  const TempFile extended{toJunitXml(withFile, {.extensions = true})};
  ASSERT_TRUE(extended.ok());
  for (const char* schema : {"junit-10.xsd", "jenkins-junit.xsd"}) {
    EXPECT_NE(validate(extended.path(), schemas / schema).exitStatus, 0) << schema;
  }

  // The check itself can fail: <skipped message=...> is what jenkins-junit.xsd rejects.
  std::string invalid = xml;
  const std::string skipped = "<skipped>";
  invalid.replace(invalid.find(skipped), skipped.size(), "<skipped message=\"x\">");
  const TempFile bad{invalid};
  ASSERT_TRUE(bad.ok());
  EXPECT_NE(validate(bad.path(), schemas / "jenkins-junit.xsd").exitStatus, 0);
}
