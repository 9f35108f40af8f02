#pragma once

#include <string>
#include <string_view>

#include "reports/certify.h"

namespace hil::reports {

/// The certification as one self-contained HTML page (inline CSS; no scripts, no network, no
/// external assets): the verdict with its reasons first (id "verdict", class "certified" or
/// "not-certified"), each requirement per rig class, the matrix of GPU model x Windows
/// edition/build (row id "row-N", data-gpu, data-windows) with one cell per rig class (id
/// "cell-ROW-COL", class "cell" plus pass | fail | skip | notrun | empty, and refused when all
/// its scenarios prove a refusal) that says what the deploys did (DDA, GPU-PV, None, "refused:
/// CODE", one span class "outcome" each) and whether the scenarios about it passed (a check mark
/// or a cross), then every scenario's details folded in <details>
/// (id "case-N"), grouped per matrix cell (id "group-ROW-COL"), with links both ways. Printing
/// expands every fold. Every text shown is escaped. The same certification gives the same bytes.
[[nodiscard]] std::string htmlReport(const Certification& certification);

/// Escapes text for HTML content and attribute values (& < > " '), after making it valid UTF-8
/// without control characters.
[[nodiscard]] std::string escapeHtml(std::string_view text);

} // namespace hil::reports
