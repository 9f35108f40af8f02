#include "reports/html_report.h"

#include <algorithm>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "framework/core/xml.h"
#include "reports/junit_writer.h"

namespace hil::reports {
namespace {

// Kept short enough to read in a diff; print rules expand every <details>.
constexpr std::string_view kStyle = R"css(
:root { --pass: #1a7f37; --pass-bg: #dafbe1; --fail: #cf222e; --fail-bg: #ffebe9;
  --skip: #9a6700; --skip-bg: #fff8c5; --notrun: #57606a; --notrun-bg: #eaeef2;
  --refused: #0550ae; --refused-bg: #ddf4ff; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "Liberation Sans", "DejaVu Sans",
  sans-serif; color: #1f2328; margin: 0 auto; padding: 16px 24px 48px; max-width: 1280px; }
h1, h2, h3 { line-height: 1.2; }
h2 { margin: 20px 0 8px; font-size: 20px; border-bottom: 1px solid var(--line);
  padding-bottom: 4px; }
h3 { font-size: 16px; margin: 20px 0 6px; }
a { color: #0969da; }
code, pre, .mono { font-family: "DejaVu Sans Mono", "Liberation Mono", Consolas, monospace;
  font-size: 12.5px; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 4px; padding: 8px;
  overflow-x: auto; white-space: pre-wrap; word-break: break-word; margin: 4px 0 8px; }
.verdict { border: 3px solid; border-radius: 8px; padding: 12px 20px; margin: 8px 0; }
.verdict.certified { border-color: var(--pass); background: var(--pass-bg); }
.verdict.not-certified { border-color: var(--fail); background: var(--fail-bg); }
.verdict-word { font-size: 40px; font-weight: 800; letter-spacing: .02em; margin: 0; }
.certified .verdict-word { color: var(--pass); }
.not-certified .verdict-word { color: var(--fail); }
.verdict-line { font-size: 17px; margin: 4px 0 8px; }
.reasons { margin: 8px 0 0; padding-left: 24px; }
.reasons li { margin: 2px 0; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 0 12px; margin: 8px 0 0;
  font-size: 13px; line-height: 1.35; color: #424a53; }
.meta dt { font-weight: 600; }
.meta dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; font-size: 13.5px; }
th, td { border: 1px solid var(--line); padding: 2px 8px; text-align: left; vertical-align: top; }
.matrix th.gpu { background: #f6f8fa; }
.overview { display: flex; flex-wrap: wrap; gap: 0 40px; align-items: flex-start; }
thead th { background: #f6f8fa; position: sticky; top: 0; }
.cell { text-align: center; white-space: nowrap; font-weight: 600; }
.cell a { color: inherit; text-decoration: none; display: block; }
.cell a:hover { text-decoration: underline; }
.cell small { font-weight: 400; font-size: 11.5px; margin-left: 6px; }
.cell.pass, .badge.pass, .legend .pass { background: var(--pass-bg); color: var(--pass); }
.cell.fail, .badge.fail, .legend .fail { background: var(--fail-bg); color: var(--fail); }
.cell.skip, .badge.skip, .legend .skip { background: var(--skip-bg); color: var(--skip); }
.cell.notrun, .badge.notrun, .legend .notrun { background: var(--notrun-bg); color: var(--notrun); }
.cell.empty { color: #8c959f; }
.cell .outcome { display: block; }
.cell .outcome.refused { font-style: italic; }
.cell.pass .outcome.refused { color: var(--refused); }
/* Every scenario of the cell passed, and what they prove is a refusal: not "this works". */
.cell.pass.refused, .legend .refused { background: var(--refused-bg); color: var(--refused); }
.legend span { display: inline-block; padding: 0 8px; margin-right: 6px; border-radius: 3px;
  font-weight: 600; font-size: 13px; }
.group { margin: 12px 0 16px; }
.group h3 { display: flex; gap: 12px; align-items: baseline; flex-wrap: wrap; }
.group h3 a { font-size: 13px; font-weight: 400; }
details.case { border: 1px solid var(--line); border-left: 6px solid; border-radius: 4px;
  margin: 4px 0; background: #fff; }
details.case > summary { cursor: pointer; padding: 4px 8px; }
details.case > .body { padding: 4px 12px 8px; }
.case.pass { border-left-color: var(--pass); }
.case.fail { border-left-color: var(--fail); }
.case.skip { border-left-color: var(--skip); }
.case.notrun { border-left-color: var(--notrun); }
div.case { border: 1px dashed var(--line); border-left: 6px solid; border-radius: 4px;
  margin: 4px 0; padding: 4px 8px; }
.badge { display: inline-block; min-width: 64px; text-align: center; font-weight: 700;
  font-size: 12px; border-radius: 3px; padding: 0 6px; margin-right: 6px; }
.case summary .name, div.case .name { font-weight: 600; color: #1f2328; }
.case .why { color: #424a53; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 1px 12px; font-size: 13px;
  margin: 6px 0; }
.facts dt { font-weight: 600; }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.smoke td.low { background: var(--fail-bg); color: var(--fail); font-weight: 700; }
details.log > summary { cursor: pointer; font-size: 13px; }
.case:target, .group:target { outline: 3px solid #0969da; outline-offset: 2px; }
td.cell:target { outline: 3px solid #0969da; outline-offset: -3px; }
@media (max-width: 900px) { body { padding: 8px; } .verdict-word { font-size: 30px; } }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  a { color: inherit; text-decoration: none; }
  .backlink { display: none; }
  thead th { position: static; }
  tr, div.case, details.case > summary { break-inside: avoid; }
  .verdict, .cell, .badge, .legend span { print-color-adjust: exact;
    -webkit-print-color-adjust: exact; }
}
/* A link to a folded scenario shows it (browsers that style ::details-content). */
details.case:target::details-content { content-visibility: visible; display: block; }
/* Printing unfolds every scenario, and the logs of those that did not pass (all logs of a
   passing library would run to hundreds of pages). */
@media print {
  details::details-content { content-visibility: visible; display: block; }
  details.case.pass details.log::details-content { content-visibility: hidden; display: none; }
}
)css";

std::string esc(std::string_view text) { return escapeHtml(text); }

/// The four outcomes a matrix cell shows, worst first.
enum class Cell { Fail, NotRun, Skip, Pass, Empty };

Cell cellOf(Finding finding) {
  switch (finding) {
  case Finding::Passed:
    return Cell::Pass;
  case Finding::Skipped:
    return Cell::Skip;
  case Finding::NotRun:
    return Cell::NotRun;
  case Finding::Failed:
  case Finding::Warning:
  case Finding::Stale:
  case Finding::Undated:
  case Finding::BelowMinimum:
    break;
  }
  return Cell::Fail;
}

std::string_view cssClass(Cell cell) {
  switch (cell) {
  case Cell::Fail:
    return "fail";
  case Cell::NotRun:
    return "notrun";
  case Cell::Skip:
    return "skip";
  case Cell::Pass:
    return "pass";
  case Cell::Empty:
    break;
  }
  return "empty";
}

std::string_view label(Cell cell) {
  switch (cell) {
  case Cell::Fail:
    return "FAIL";
  case Cell::NotRun:
    return "NOT RUN";
  case Cell::Skip:
    return "SKIP";
  case Cell::Pass:
    return "PASS";
  case Cell::Empty:
    break;
  }
  return "\xe2\x80\x94"; // em dash
}

std::string_view findingLabel(Finding finding) {
  switch (finding) {
  case Finding::Passed:
    return "PASS";
  case Finding::Failed:
    return "FAIL";
  case Finding::Skipped:
    return "SKIP";
  case Finding::NotRun:
    return "NOT RUN";
  case Finding::Warning:
    return "WARNING";
  case Finding::Stale:
    return "STALE";
  case Finding::Undated:
    return "UNDATED";
  case Finding::BelowMinimum:
    return "LOW SMOKE";
  }
  return "?";
}

/// Build numbers compare numerically, part by part ("19044.1620" < "22000").
bool buildLess(const std::string& a, const std::string& b) {
  auto parts = [](const std::string& text) {
    std::vector<long> out;
    long value = -1;
    for (char c : text) {
      if (c >= '0' && c <= '9') {
        value = (value < 0 ? 0 : value) * 10 + (c - '0');
      } else if (value >= 0) {
        out.push_back(value);
        value = -1;
      }
    }
    if (value >= 0) {
      out.push_back(value);
    }
    return out;
  };
  const auto pa = parts(a);
  const auto pb = parts(b);
  if (pa != pb) {
    return pa < pb;
  }
  return a < b;
}

/// A matrix row: a GPU (or GPUs) on one Windows edition and build.
struct RowKey {
  std::string gpu, edition, build, windows;
  bool operator<(const RowKey& o) const {
    if (gpu != o.gpu) {
      return gpu < o.gpu;
    }
    if (edition != o.edition) {
      return edition < o.edition;
    }
    if (build != o.build) {
      return buildLess(build, o.build);
    }
    return windows < o.windows;
  }
  [[nodiscard]] bool unknown() const { return gpu.empty() && windows.empty(); }
};

RowKey rowOf(const Entry& e) {
  RowKey key{e.gpu, e.windows, "", e.windows};
  if (const auto space = e.windows.find(' ');
      space != std::string::npos && e.windows.find(" | ") == std::string::npos) {
    key.edition = e.windows.substr(0, space);
    key.build = e.windows.substr(space + 1);
  }
  return key;
}

/// How a cell orders (and groups) what its scenarios did: techniques configured first, then
/// nothing asked, then refusals and roll-backs by code, scenarios with no result last.
std::pair<int, std::string> outcomeOrder(const Entry& e) {
  if (!e.result) {
    return {100, ""};
  }
  return {static_cast<int>(e.deploy.kind), e.deploy.label};
}

std::string_view mark(Cell cell) {
  switch (cell) {
  case Cell::Pass:
    return "\xe2\x9c\x93"; // check mark
  case Cell::Fail:
    return "\xe2\x9c\x97"; // ballot x
  case Cell::Skip:
    return "skipped";
  case Cell::NotRun:
    return "not run";
  case Cell::Empty:
    break;
  }
  return "";
}

struct Layout {
  std::vector<RowKey> rows;
  std::vector<std::vector<std::vector<std::size_t>>> cells; // [row][rig] -> entries
  std::vector<std::pair<std::size_t, std::size_t>> place;   // entry -> (row, rig)
};

Layout layout(const Certification& cert) {
  Layout out;
  std::map<RowKey, std::size_t> rowIndex;
  for (const auto& e : cert.entries) {
    rowIndex.try_emplace(rowOf(e), 0);
  }
  for (auto& [key, index] : rowIndex) {
    index = out.rows.size();
    out.rows.push_back(key);
  }
  out.cells.assign(out.rows.size(), std::vector<std::vector<std::size_t>>(cert.rigClasses.size()));
  out.place.resize(cert.entries.size());
  for (std::size_t i = 0; i < cert.entries.size(); ++i) {
    const auto& e = cert.entries[i];
    const auto row = rowIndex.at(rowOf(e));
    const auto rig = static_cast<std::size_t>(
        std::find(cert.rigClasses.begin(), cert.rigClasses.end(), e.rigClass) -
        cert.rigClasses.begin());
    out.cells[row][rig].push_back(i);
    out.place[i] = {row, rig};
  }
  // Within a cell: by what the deploy did, then what needs attention first, then by name.
  for (auto& row : out.cells) {
    for (auto& cell : row) {
      std::stable_sort(cell.begin(), cell.end(), [&](std::size_t a, std::size_t b) {
        const auto& ea = cert.entries[a];
        const auto& eb = cert.entries[b];
        if (outcomeOrder(ea) != outcomeOrder(eb)) {
          return outcomeOrder(ea) < outcomeOrder(eb);
        }
        const auto ca = cellOf(ea.finding);
        const auto cb = cellOf(eb.finding);
        if (ca != cb) {
          return ca < cb;
        }
        return ea.scenario < eb.scenario;
      });
    }
  }
  return out;
}

/// The scenarios of one cell that did the same thing (configured DDA, were refused with one
/// code, ...), or that have no result there.
struct OutcomeGroup {
  const Entry* first = nullptr;
  std::vector<std::size_t> entries;
  std::map<Cell, int> tally; // worst first
};

std::vector<OutcomeGroup> outcomeGroups(const Certification& cert,
                                        const std::vector<std::size_t>& entries) {
  std::vector<OutcomeGroup> groups;
  for (const auto at : entries) { // sorted by outcome: equal ones are adjacent
    const auto& e = cert.entries[at];
    if (groups.empty() || outcomeOrder(*groups.back().first) != outcomeOrder(e)) {
      groups.push_back({&e, {}, {}});
    }
    groups.back().entries.push_back(at);
    ++groups.back().tally[cellOf(e.finding)];
  }
  return groups;
}

std::string cellId(std::size_t row, std::size_t rig) { return fmt::format("cell-{}-{}", row, rig); }
std::string groupId(std::size_t row, std::size_t rig) {
  return fmt::format("group-{}-{}", row, rig);
}
std::string caseId(std::size_t entry) { return fmt::format("case-{}", entry); }

std::string join(const std::vector<std::string>& words, std::string_view separator) {
  std::string text;
  for (const auto& w : words) {
    text += text.empty() ? w : std::string{separator} + w;
  }
  return text;
}

/// "hil-version 0.1.0 · hil-commit 2f1c0d4 · ...": what names the builds behind results.
std::string buildFacts(const std::vector<BuildFact>& facts) {
  std::string text;
  for (const auto& fact : facts) {
    text += fmt::format("{}{} <span class=\"mono\">{}</span>", text.empty() ? "" : " \xc2\xb7 ",
                        esc(fact.property), esc(join(fact.values, ", ")));
  }
  return text;
}

void verdict(std::string& out, const Certification& cert) {
  const auto klass = cert.certified ? "certified" : "not-certified";
  int results = 0;
  for (const auto& input : cert.inputs) {
    results += input.results;
  }
  out += fmt::format("<header id=\"verdict\" class=\"verdict {}\" data-verdict=\"{}\">\n", klass,
                     klass);
  out += fmt::format("<h1 class=\"verdict-word\">{}</h1>\n",
                     cert.certified ? "CERTIFIED" : "NOT CERTIFIED");
  if (cert.certified) {
    out += fmt::format("<p class=\"verdict-line\">Policy <strong>{}</strong>: every requirement "
                       "is met on every rig class it names ({} result(s) from {} file(s)).</p>\n",
                       esc(cert.policyName), results, cert.inputs.size());
  } else {
    out += fmt::format("<p class=\"verdict-line\">Policy <strong>{}</strong>: {} reason(s), "
                       "from {} result(s) in {} file(s):</p>\n",
                       esc(cert.policyName), cert.reasons.size(), results, cert.inputs.size());
    constexpr std::size_t kShown = 30;
    auto item = [&](const Reason& reason) {
      const auto finding = std::string{toString(reason.finding)};
      if (reason.entry) {
        out += fmt::format("<li class=\"reason {}\"><a href=\"#{}\">{}</a></li>\n", finding,
                           caseId(*reason.entry), esc(reason.text));
      } else {
        out += fmt::format("<li class=\"reason {}\">{}</li>\n", finding, esc(reason.text));
      }
    };
    out += "<ol class=\"reasons\">\n";
    for (std::size_t i = 0; i < cert.reasons.size() && i < kShown; ++i) {
      item(cert.reasons[i]);
    }
    out += "</ol>\n";
    if (cert.reasons.size() > kShown) {
      out += fmt::format("<details class=\"more-reasons\"><summary>{} more reason(s)</summary>\n"
                         "<ol class=\"reasons\" start=\"{}\">\n",
                         cert.reasons.size() - kShown, kShown + 1);
      for (std::size_t i = kShown; i < cert.reasons.size(); ++i) {
        item(cert.reasons[i]);
      }
      out += "</ol></details>\n";
    }
  }
  out += "<dl class=\"meta\">\n";
  out += fmt::format("<dt>Policy</dt><dd>{} <span class=\"mono\">{}</span><br>SHA-256 <span "
                     "class=\"mono\">{}</span></dd>\n",
                     esc(cert.policyName), esc(cert.policyFile), esc(cert.policySha256));
  if (!cert.policyDescription.empty()) {
    out += fmt::format("<dt>Purpose</dt><dd>{}</dd>\n", esc(cert.policyDescription));
  }
  out += fmt::format("<dt>Builds certified</dt><dd class=\"builds\">{}</dd>\n",
                     buildFacts(cert.builds));
  for (const auto& input : cert.inputs) {
    out += fmt::format("<dt>Results</dt><dd><span class=\"mono\">{}</span> ({} result(s))<br>"
                       "SHA-256 <span class=\"mono\">{}</span>{}</dd>\n",
                       esc(input.path), input.results, esc(input.sha256),
                       cert.inputs.size() > 1 ? "<br>" + buildFacts(input.builds) : std::string{});
  }
  out += fmt::format(
      "<dt>Certified by</dt><dd>hil {}{}</dd>\n",
      esc(cert.certifier.version.empty() ? "unknown" : cert.certifier.version),
      cert.certifier.commit.empty()
          ? std::string{}
          : fmt::format(" (git <span class=\"mono\">{}</span>)", esc(cert.certifier.commit)));
  out += fmt::format("<dt>Certified at</dt><dd>{}{}</dd>\n", esc(cert.now),
                     cert.maxAgeDays
                         ? fmt::format(" (results may be at most {} day(s) old)", *cert.maxAgeDays)
                         : std::string{});
  out += "</dl>\n</header>\n";
}

void requirements(std::string& out, const Certification& cert) {
  out += "<div class=\"overview\">\n<section id=\"requirements\">\n<h2>Requirements</h2>\n"
         "<table class=\"requirements\">\n<thead><tr><th>Requirement</th><th>Scenarios</th>";
  for (const auto& rig : cert.rigClasses) {
    out += fmt::format("<th>{}</th>", esc(rig));
  }
  out += "</tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < cert.requirements.size(); ++i) {
    const auto& r = cert.requirements[i];
    out += fmt::format("<tr id=\"req-{}\"><th scope=\"row\">{}</th><td>{}</td>", i, esc(r.id),
                       r.scenarios);
    for (const auto& rig : cert.rigClasses) {
      const auto it = std::find_if(r.rigs.begin(), r.rigs.end(),
                                   [&](const RigOutcome& o) { return o.rigClass == rig; });
      if (it == r.rigs.end()) {
        out += "<td class=\"cell empty\">not required</td>";
        continue;
      }
      int passed = 0;
      for (const auto at : it->entries) {
        const auto finding = cert.entries[at].finding;
        passed += finding == Finding::Passed || finding == Finding::BelowMinimum ? 1 : 0;
      }
      const auto cell = it->passed ? Cell::Pass : (it->results == 0 ? Cell::NotRun : Cell::Fail);
      out += fmt::format("<td class=\"cell {}\">{}<small>{}/{} passed</small></td>", cssClass(cell),
                         label(cell), passed, it->entries.size());
    }
    out += "</tr>\n";
  }
  out += "</tbody></table>\n</section>\n";
  if (!cert.smoke.empty()) {
    out += "<section id=\"smoke-minimums\">\n<h2>Smoke minimums</h2>\n<table "
           "class=\"smoke-minimums\"><thead><tr><th>Check</th><th>Rig class</th><th>Minimum</th>"
           "<th>Lowest figure</th><th>Outcome</th></tr></thead>\n<tbody>\n";
    for (const auto& s : cert.smoke) {
      const auto unit = s.minimum.unit.empty() ? std::string{} : " " + s.minimum.unit;
      const auto cell = s.passed ? Cell::Pass : (s.figures == 0 ? Cell::NotRun : Cell::Fail);
      out += fmt::format(
          "<tr><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td class=\"cell {}\">{}<small>{} "
          "figures</small></td></tr>\n",
          esc(s.minimum.check), esc(s.minimum.rigClass), fmt::format("{:g}", s.minimum.min),
          esc(unit),
          s.lowest ? esc(fmt::format("{:g}{} ({})", *s.lowest, unit, s.lowestScenario))
                   : std::string{"\xe2\x80\x94"},
          cssClass(cell), label(cell), s.figures);
    }
    out += "</tbody></table>\n</section>\n";
  }
  out += "</div>\n";
}

/// One line of a cell: what the deploy did and whether the scenarios about it passed
/// ("refused: unsupported-edition ✓"), with how many scenarios.
std::string outcomeLine(const OutcomeGroup& group) {
  const auto worst = group.tally.begin()->first;
  std::string count;
  if (group.tally.size() == 1) {
    count = std::to_string(group.entries.size());
  } else {
    for (const auto& [cell, n] : group.tally) {
      count += fmt::format("{}{} {}", count.empty() ? "" : " \xc2\xb7 ", n, mark(cell));
    }
  }
  const auto& e = *group.first;
  std::string text;
  if (!e.result) {
    text = std::string{label(Cell::NotRun)};
  } else if (e.deploy.label.empty()) {
    text = std::string{label(worst)}; // the result does not say what was deployed
  } else {
    text = fmt::format("{} {}", esc(e.deploy.label), mark(worst));
  }
  const auto kind = e.result ? toString(e.deploy.kind) : std::string_view{"not-run"};
  return fmt::format("<span class=\"outcome {} {}\" data-outcome=\"{}\">{}<small>{}</small>"
                     "</span>",
                     kind, cssClass(worst), esc(e.deploy.label), text, count);
}

void matrix(std::string& out, const Certification& cert, const Layout& lay) {
  out += "<section id=\"matrix\">\n<h2>Matrix: GPU \xc3\x97 Windows, per rig class</h2>\n"
         "<p class=\"legend\">Each cell says what the flows did for that GPU on that Windows "
         "edition and build on that rig class, and whether the scenarios about it passed "
         "(<span class=\"pass\">\xe2\x9c\x93</span> passed, <span class=\"fail\">"
         "\xe2\x9c\x97</span> did not, <span class=\"skip\">skipped</span>, <span "
         "class=\"notrun\">NOT RUN</span>): the technique configured (DDA, GPU-PV), None when "
         "nothing was asked, or the error a deploy stopped with: <span class=\"refused\">refused: "
         "CODE</span> by its prerequisite check, rolled back: CODE after it had started. A "
         "passing refusal means the combination is rightly rejected, not that it works. The small "
         "number counts the scenarios; each cell links to their details.</p>\n"
         "<table class=\"matrix\">\n<thead><tr><th>GPU</th><th>Windows</th><th>Build</th>";
  for (const auto& rig : cert.rigClasses) {
    out += fmt::format("<th>{}</th>", esc(rig));
  }
  out += "</tr></thead>\n<tbody>\n";
  for (std::size_t row = 0; row < lay.rows.size(); ++row) {
    const auto& key = lay.rows[row];
    if (key.unknown()) {
      out += fmt::format("<tr id=\"row-{}\"><td colspan=\"3\"><em>no GPU or Windows recorded: "
                         "not run on any rig class, or another tool's results</em></td>",
                         row);
    } else {
      // One GPU cell spans the rows of that GPU (rows are sorted by GPU first).
      std::string gpu;
      if (row == 0 || lay.rows[row - 1].gpu != key.gpu) {
        std::size_t span = 1;
        while (row + span < lay.rows.size() && lay.rows[row + span].gpu == key.gpu) {
          ++span;
        }
        gpu = fmt::format("<th class=\"gpu\" scope=\"rowgroup\" rowspan=\"{}\">{}</th>", span,
                          esc(key.gpu));
      }
      out += fmt::format("<tr id=\"row-{}\" data-gpu=\"{}\" data-windows=\"{}\">{}<td>{}</td>"
                         "<td>{}</td>",
                         row, esc(key.gpu), esc(key.windows), gpu,
                         esc(key.edition.empty() ? key.windows : key.edition), esc(key.build));
    }
    for (std::size_t rig = 0; rig < cert.rigClasses.size(); ++rig) {
      const auto& entries = lay.cells[row][rig];
      if (entries.empty()) {
        out += fmt::format("<td id=\"{}\" class=\"cell empty\" data-rig-class=\"{}\">{}</td>",
                           cellId(row, rig), esc(cert.rigClasses[rig]), label(Cell::Empty));
        continue;
      }
      const auto groups = outcomeGroups(cert, entries);
      auto worst = Cell::Empty;
      bool refusedOnly = true;
      std::string lines;
      for (const auto& group : groups) {
        worst = std::min(worst, group.tally.begin()->first);
        refusedOnly =
            refusedOnly && group.first->result && group.first->deploy.kind == DeployKind::Refused;
        lines += outcomeLine(group);
      }
      const auto target = entries.size() == 1 ? caseId(entries.front()) : groupId(row, rig);
      out += fmt::format("<td id=\"{}\" class=\"cell {}{}\" data-rig-class=\"{}\"><a "
                         "href=\"#{}\">{}</a></td>",
                         cellId(row, rig), cssClass(worst), refusedOnly ? " refused" : "",
                         esc(cert.rigClasses[rig]), target, lines);
    }
    out += "</tr>\n";
  }
  out += "</tbody></table>\n</section>\n";
}

/// The testcase's time, where the JUnit gave one.
std::string duration(const runner::CaseResult& c) {
  return c.timed ? fmt::format("{:.3f} s", c.seconds) : std::string{};
}

void caseDetails(std::string& out, const Certification& cert, std::size_t index,
                 const std::string& back) {
  const auto& e = cert.entries[index];
  const auto cell = cellOf(e.finding);
  const auto required = e.requiredBy.empty() ? std::string{"not required by the policy"}
                                             : "required by " + join(e.requiredBy, ", ");
  if (!e.result) {
    out += fmt::format("<div id=\"{}\" class=\"case {}\"><span class=\"badge {}\">{}</span>"
                       "<span class=\"name\">{}</span> <span class=\"why\">{} ({})</span> "
                       "<a class=\"backlink\" href=\"#{}\">\xe2\x86\x91 matrix</a></div>\n",
                       caseId(index), cssClass(cell), cssClass(cell), findingLabel(e.finding),
                       esc(e.scenario), esc(e.detail), esc(required), back);
    return;
  }
  const auto& c = *e.result;
  const auto took = duration(c);
  std::string why;
  for (const auto* part : {&e.deploy.label, &e.detail, &took}) {
    if (!part->empty()) {
      why += (why.empty() ? "" : " \xc2\xb7 ") + *part;
    }
  }
  out += fmt::format(
      "<details id=\"{}\" class=\"case {}\"><summary><span class=\"badge {}\">{}"
      "</span><span class=\"name\">{}</span>{}</summary>\n<div class=\"body\">\n",
      caseId(index), cssClass(cell), cssClass(cell), findingLabel(e.finding), esc(e.scenario),
      why.empty() ? std::string{}
                  : fmt::format(" <span class=\"why\">\xe2\x80\x94 {}</span>", esc(why)));
  if (!e.description.empty()) {
    out += fmt::format("<p class=\"desc\">{}</p>\n", esc(e.description));
  }
  out += "<dl class=\"facts\">\n";
  auto fact = [&](std::string_view name, const std::string& value) {
    if (!value.empty()) {
      out += fmt::format("<dt>{}</dt><dd>{}</dd>\n", name, esc(value));
    }
  };
  fact("Outcome",
       fmt::format("{}{}", toString(e.finding), e.detail.empty() ? "" : ": " + e.detail));
  fact("Deploy", e.deploy.label);
  fact("Duration", took);
  fact("Policy", required);
  fact("Rig class", e.rigClass);
  fact("Suite", c.suite);
  fact("Scenario file", e.scenarioFile);
  fact("Result from",
       fmt::format("{}{}{}", e.input, e.timestamp.empty() ? "" : ", ran " + e.timestamp,
                   e.superseded > 0 ? fmt::format(" (newest of {} results)", e.superseded + 1)
                                    : std::string{}));
  for (const auto& [key, value] : c.properties) {
    if (!key.starts_with("smoke.")) {
      fact(key, value);
    }
  }
  out += "</dl>\n";
  if (c.status == runner::CaseStatus::Failed) {
    out += fmt::format("<h4>Expected vs actual</h4>\n<p><strong>{}</strong>{}</p>\n",
                       esc(c.failureType),
                       c.failureMessage.empty() ? std::string{} : ": " + esc(c.failureMessage));
    if (!c.failureDetail.empty()) {
      out += fmt::format("<pre class=\"expected\">{}</pre>\n", esc(c.failureDetail));
    }
  } else if (c.status == runner::CaseStatus::Skipped) {
    out += fmt::format("<h4>Skipped</h4>\n<p>{}</p>\n", esc(c.skipReason));
  }
  std::string smoke;
  for (const auto& [key, value] : c.properties) {
    if (key.starts_with("smoke.")) {
      const auto check = key.substr(6);
      const bool low =
          std::find(e.smokeBelow.begin(), e.smokeBelow.end(), check) != e.smokeBelow.end();
      smoke += fmt::format("<tr><td>{}</td><td{}>{}</td></tr>\n", esc(check),
                           low ? " class=\"low\"" : "", esc(value));
    }
  }
  if (!smoke.empty()) {
    out += "<h4>Smoke figures</h4>\n<table class=\"smoke\"><thead><tr><th>Check</th><th>Figure"
           "</th></tr></thead>\n<tbody>\n" +
           smoke + "</tbody></table>\n";
  }
  if (!c.log.empty()) {
    std::string log;
    for (const auto& line : c.log) {
      log += line;
      log += '\n';
    }
    out += fmt::format("<details class=\"log\"><summary>Log ({} line(s))</summary>\n<pre>{}</pre>"
                       "</details>\n",
                       c.log.size(), esc(log));
  }
  out += fmt::format("<p class=\"backlink\"><a href=\"#{}\">\xe2\x86\x91 back to the matrix</a>"
                     "</p>\n</div></details>\n",
                     back);
}

void details(std::string& out, const Certification& cert, const Layout& lay) {
  out += "<section id=\"details\">\n<h2>Scenarios</h2>\n<p>Grouped as in the matrix; each "
         "scenario folds open to show what was expected and what happened, its smoke figures and "
         "its log. Printing unfolds every scenario, and the logs of those that did not pass."
         "</p>\n";
  for (std::size_t row = 0; row < lay.rows.size(); ++row) {
    const auto& key = lay.rows[row];
    for (std::size_t rig = 0; rig < cert.rigClasses.size(); ++rig) {
      const auto& entries = lay.cells[row][rig];
      if (entries.empty()) {
        continue;
      }
      const auto title = key.unknown() ? std::string{"no GPU or Windows recorded"}
                                       : fmt::format("{} \xc2\xb7 {}", key.gpu, key.windows);
      out +=
          fmt::format("<section class=\"group\" id=\"{}\">\n<h3>{} <span>on {}</span> <a "
                      "class=\"backlink\" href=\"#{}\">\xe2\x86\x91 matrix</a></h3>\n",
                      groupId(row, rig), esc(title), esc(cert.rigClasses[rig]), cellId(row, rig));
      for (const auto at : entries) {
        caseDetails(out, cert, at, cellId(row, rig));
      }
      out += "</section>\n";
    }
  }
  out += "</section>\n";
}

} // namespace

std::string escapeHtml(std::string_view text) { return xml::escape(sanitizeXmlText(text)); }

std::string htmlReport(const Certification& cert) {
  const auto lay = layout(cert);
  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += fmt::format("<title>{}: {}</title>\n", cert.certified ? "Certified" : "Not certified",
                     esc(cert.policyName));
  out += "<style>";
  out += kStyle;
  out += "</style>\n</head>\n<body>\n";
  verdict(out, cert);
  requirements(out, cert);
  matrix(out, cert, lay);
  details(out, cert, lay);
  out += fmt::format("<footer><p>gpu-hil certification report, policy {} at {}.</p></footer>\n",
                     esc(cert.policyName), esc(cert.now));
  out += "</body>\n</html>\n";
  return out;
}

} // namespace hil::reports
