#include "reports/junit_reader.h"

#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "framework/core/xml.h"
#include "reports/junit_writer.h"

namespace hil::reports {
namespace {

using runner::CaseResult;
using runner::CaseStatus;
using runner::SuiteResult;

/// A JUnit time in seconds; unset when absent or not a number.
std::optional<double> seconds(const char* text) {
  std::string clean;
  for (const char* c = text; *c != '\0'; ++c) {
    if (*c != ',') { // "1,234.5": thousands separators some writers use
      clean += *c;
    }
  }
  double value = 0;
  auto [end, ec] = std::from_chars(clean.data(), clean.data() + clean.size(), value);
  if (ec != std::errc{} || !std::isfinite(value) || value < 0) {
    return std::nullopt;
  }
  return value;
}

std::vector<std::string> lines(std::string_view text) {
  std::vector<std::string> result;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    result.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 1;
  }
  return result;
}

/// Pester (PowerShell's test framework) writes its run environment into every <testsuite>'s
/// properties, junit-version and framework-version among them, and no backend.
bool isPesterSuite(const std::map<std::string, std::string>& properties) {
  return properties.contains("junit-version") && properties.contains("framework-version") &&
         !properties.contains("backend");
}

std::string firstLine(std::string_view text) {
  return std::string{text.substr(0, text.find_first_of("\r\n"))};
}

class Reader {
public:
  Reader(const xml::Document& doc, Diagnostics& out) : doc_(doc), out_(out) {}

  void suite(pugi::xml_node node, runner::RunReport& report) {
    SuiteResult suite;
    suite.name = node.attribute("name").value();
    suite.file = doc_.file();
    suite.timestamp = node.attribute("timestamp").value();
    if (suite.name.empty()) {
      error(node, "<testsuite> has no name");
    }
    // Properties first, wherever they stand: every case carries its suite's.
    for (auto properties : node.children("properties")) {
      for (auto property : properties.children("property")) {
        suite.properties[property.attribute("name").value()] = property.attribute("value").value();
      }
    }
    const bool pester = isPesterSuite(suite.properties);
    if (pester) {
      // Pester's suite keeps its name (the test file); backend and rig keep it apart from
      // gpu-hil's suites in a merge and make its cases the rig class "pester" in certify.
      suite.properties["backend"] = "pester";
      if (const auto machine = suite.properties.find("machine-name");
          machine != suite.properties.end() && !machine->second.empty()) {
        suite.properties["rig"] = machine->second;
      }
    }
    std::vector<pugi::xml_node> nested;
    for (auto child : node.children()) {
      const std::string_view name = child.name();
      if (name == "testcase") {
        suite.cases.push_back(testcase(child, suite, pester));
      } else if (name == "testsuite") {
        nested.push_back(child);
      }
    }
    if (!suite.cases.empty() || nested.empty()) {
      report.suites.push_back(std::move(suite));
    }
    for (auto child : nested) {
      this->suite(child, report);
    }
  }

private:
  void error(pugi::xml_node node, std::string message) {
    out_.push_back({doc_.file(), doc_.lineOf(node), std::move(message)});
  }

  CaseResult testcase(pugi::xml_node node, const SuiteResult& suite, bool pester) {
    CaseResult c;
    c.name = node.attribute("name").value();
    // gpu-hil's own classname is the suite's path with dots (junitClassname); other producers'
    // name a class.
    const std::string classname = node.attribute("classname").value();
    c.suite = classname.empty() || classname == junitClassname(suite.name) ? suite.name : classname;
    c.file = doc_.file();
    c.line = doc_.lineOf(node);
    const auto time = seconds(node.attribute("time").value());
    c.seconds = time.value_or(0);
    c.timed = time.has_value();
    if (c.name.empty()) {
      error(node, "<testcase> has no name");
    }
    for (auto child : node.children()) {
      const std::string_view name = child.name();
      if (name == "failure" || name == "error") {
        if (c.status != CaseStatus::Failed) {
          c.status = CaseStatus::Failed;
          c.failureType = child.attribute("type").value();
          c.failureMessage = child.attribute("message").value();
          if (c.failureType.empty()) {
            c.failureType = std::string{name};
          }
          if (pester) {
            // Pester's message is Should's whole explanation, its text where it failed.
            c.failureDetail += c.failureMessage + "\n";
            c.failureMessage = firstLine(c.failureMessage);
          }
        }
        c.failureDetail += child.text().get();
      } else if (name == "skipped" && c.status == CaseStatus::Passed) {
        c.status = CaseStatus::Skipped;
        // Pester puts the reason (Set-ItResult -Because) in message, a stack trace in the text.
        c.skipReason = pester ? child.attribute("message").value() : child.text().get();
        if (c.skipReason.empty()) {
          c.skipReason = pester ? child.text().get() : child.attribute("message").value();
        }
      } else if (name == "system-out") {
        auto more = lines(child.text().get());
        c.log.insert(c.log.end(), more.begin(), more.end());
      }
    }
    c.properties = suite.properties;
    // A testcase's own properties (hil run --junit-extensions, and other tools) are more precise
    // than what its suite's cases share.
    for (auto property : node.child("properties").children("property")) {
      c.properties[property.attribute("name").value()] = property.attribute("value").value();
    }
    return c;
  }

  const xml::Document& doc_;
  Diagnostics& out_;
};

} // namespace

Parsed<runner::RunReport> readJunit(std::string text, std::string file) {
  auto doc = xml::Document::parse(std::move(text), std::move(file));
  if (!doc) {
    return std::unexpected(doc.error());
  }
  Diagnostics out;
  runner::RunReport report;
  Reader reader{*doc, out};
  const auto root = doc->root();
  const std::string_view rootName = root.name();
  if (rootName == "testsuites") {
    report.seconds = seconds(root.attribute("time").value()).value_or(0);
    for (auto suite : root.children("testsuite")) {
      reader.suite(suite, report);
    }
  } else if (rootName == "testsuite") {
    reader.suite(root, report);
    report.seconds = seconds(root.attribute("time").value()).value_or(0);
  } else {
    out.push_back(
        {doc->file(), doc->lineOf(root),
         fmt::format("root element is <{}>; expected <testsuites> or <testsuite>", rootName)});
  }
  if (!out.empty()) {
    sortByLine(out);
    return std::unexpected(std::move(out));
  }
  return report;
}

} // namespace hil::reports
