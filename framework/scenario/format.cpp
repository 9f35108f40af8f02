#include "framework/scenario/format.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "framework/data/rules.h"

namespace hil::scenario {
namespace {

const std::vector<std::string_view> kEditions = {"server", "enterprise", "iot-enterprise",
                                                 "professional", "home"};
const std::vector<std::string_view> kTechniques = {"DirectDeviceAssignment", "ParaVirtualization",
                                                   "None"};

AttributeFormat text(std::string_view name, std::string_view values, std::string_view fallback,
                     std::string_view meaning) {
  return {.name = name, .values = values, .fallback = fallback, .meaning = meaning};
}

AttributeFormat words(std::string_view name, std::string_view values, std::string_view meaning) {
  return {.name = name, .kind = ValueKind::Words, .values = values, .meaning = meaning};
}

AttributeFormat flag(std::string_view name, std::string_view fallback, std::string_view meaning) {
  return {.name = name, .kind = ValueKind::Boolean, .fallback = fallback, .meaning = meaning};
}

AttributeFormat whole(std::string_view name, std::int64_t min, std::int64_t max,
                      std::string_view fallback, std::string_view meaning) {
  return {.name = name,
          .kind = ValueKind::Integer,
          .min = min,
          .max = max,
          .fallback = fallback,
          .meaning = meaning};
}

AttributeFormat oneOf(std::string_view name, std::vector<std::string_view> choices,
                      std::string_view fallback, std::string_view meaning) {
  return {.name = name,
          .kind = ValueKind::Choice,
          .choices = std::move(choices),
          .fallback = fallback,
          .meaning = meaning};
}

AttributeFormat required(AttributeFormat attribute) {
  attribute.required = true;
  return attribute;
}

std::vector<std::string_view> builtinRulesProfiles() {
  const auto names = data::RulesProfile::builtinNames();
  return {names.begin(), names.end()};
}

std::vector<ElementFormat> makeFormat() {
  return {
      {.name = "scenarios", .meaning = "a file of several scenarios", .children = {"scenario"}},
      {.name = "scenario",
       .meaning = "one test: a simulated host, then steps and what each must give",
       .attributes = {required(text("name", "non-empty text, unique in the file", "",
                                    "the scenario's name: its JUnit testcase, what `--filter` "
                                    "matches")),
                      words("tags", "", "labels that `--filter` and a policy's `tags=` select by"),
                      oneOf("rules", builtinRulesProfiles(), "the run's profile (`--rules`)",
                            "run this scenario with this built-in rules profile instead of the "
                            "run's")},
       .children = {"description", "host", "rig", "steps"}},
      {.name = "description", .meaning = "what the scenario shows, in words: its text"},
      {.name = "host",
       .meaning = "the simulated host the scenario starts from",
       .children = {"windows", "hyperv", "gpu", "vm", "fault"}},
      {.name = "windows",
       .meaning = "the host's Windows edition and build",
       .attributes = {required(oneOf("edition", kEditions, "", "the Windows edition")),
                      required(text("build",
                                    "a build number with an optional revision: 17763, "
                                    "19044.1620",
                                    "", "the Windows build; revisions compare numerically"))}},
      {.name = "hyperv",
       .meaning = "the Hyper-V feature",
       .attributes = {flag("enabled", "true",
                           "whether Hyper-V is enabled; `false` gives `hyperv-unavailable`")}},
      {.name = "gpu",
       .meaning = "one or more identical GPUs of a catalog model",
       .attributes =
           {required(text("model", "a GPU catalog id, e.g. tesla-t4", "",
                          "the GPU model, from the GPU catalog")),
            flag("mitigation-driver", "false",
                 "whether the vendor's device mitigation driver is installed (DDA recommends "
                 "it)"),
            flag("wsl-driver", "false",
                 "whether the NVIDIA CUDA driver for WSL is installed (GPU-PV needs it)"),
            whole("count", 1, 16, "1", "how many identical devices"),
            flag("in-use", "false",
                 "a host process holds the GPU, so it will not disable: `device-busy`"),
            flag("resizable-bar", "false",
                 "BAR1 spans the device memory, beyond the catalog's BAR sizes: a DDA VM fails "
                 "to start, a GPU-PV guest cannot map the GPU"),
            flag("bad-memory", "false",
                 "a stuck device memory cell: the smoke test's memory check fails")}},
      {.name = "vm",
       .meaning = "the EFLOW VM as the scenario starts",
       .attributes = {text("name", "non-empty text", "EFLOW", "the VM's name"),
                      oneOf("state", {"running", "off"}, "running", "whether the VM runs"),
                      flag("guest-driver", "true",
                           "whether the NVIDIA driver is installed inside the VM; without it the "
                           "smoke test finds no device")}},
      {.name = "fault",
       .meaning = "a fault injected into one host operation",
       .attributes = {required(text("op", "an operation name that `hil ops` lists", "",
                                    "the operation that fails")),
                      oneOf("kind", {"error", "hang", "crash"}, "error",
                            "`error`: the operation fails; `hang`: it never returns; `crash`: the "
                            "process running the flow dies there"),
                      whole("occurrence", 1, 1000000, "1",
                            "which call of the operation fails: 1 is the first"),
                      oneOf("when", {"before", "after"}, "before",
                            "with `kind=\"crash\"` only: whether the operation took effect "
                            "before the process died")}},
      {.name = "rig",
       .meaning = "the real rigs that may run the scenario",
       .attributes =
           {required(text("gpu", "a GPU catalog id", "", "a rig must have a GPU of this model")),
            oneOf("edition", kEditions, "any edition", "a rig must run this Windows edition")}},
      {.name = "steps",
       .meaning = "what the scenario does, in order, and what each step must give",
       .children = {"deploy", "teardown", "smoke", "expect"}},
      {.name = "deploy",
       .meaning = "give the VM a GPU, as `Set-EflowVM` would",
       .attributes =
           {oneOf("passthrough", {"auto", "DirectDeviceAssignment", "ParaVirtualization", "None"},
                  "auto",
                  "the technique; `auto` picks it from the GPU and the rules, `None` removes "
                  "the GPU"),
            text("gpu-name", "a GPU's name as Windows shows it, e.g. NVIDIA Tesla T4",
                 "the host's GPUs when they all have one name",
                 "which GPUs: those with this name, ignoring case"),
            whole("gpu-count", -1000, 1000, "1",
                  "how many of those GPUs; the flow rejects less than 1 (`gpu-count`)")}},
      {.name = "teardown", .meaning = "remove the VM's GPU and give it back to the host"},
      {.name = "smoke", .meaning = "run the CUDA smoke test inside the VM"},
      {.name = "expect",
       .meaning = "check the last step before it; absent attributes are not checked",
       .attributes = {oneOf("result", {"ok", "error", "crashed"}, "",
                            "whether the step succeeded; `crashed`: a `<fault kind=\"crash\">` "
                            "cut it short (then only `vm-gpu` and `host-gpu` may be checked, on "
                            "the host after recovery)"),
                      text("error", "an error code (error-codes.md)", "",
                           "the step failed with this code; implies `result=\"error\"`"),
                      oneOf("method", kTechniques, "", "the technique the step used"),
                      words("warning", "warning codes: mitigation-driver-missing",
                            "warnings the step must all have reported"),
                      oneOf("vm-gpu", {"none", "dda", "gpu-pv"}, "", "what the VM holds now"),
                      oneOf("host-gpu", {"present", "dismounted"}, "",
                            "`present`: every GPU is on the host; `dismounted`: at least one is "
                            "dismounted from it")}},
  };
}

} // namespace

const AttributeFormat* ElementFormat::attribute(std::string_view attributeName) const {
  const auto it = std::find_if(attributes.begin(), attributes.end(),
                               [&](const AttributeFormat& a) { return a.name == attributeName; });
  return it == attributes.end() ? nullptr : &*it;
}

std::vector<std::string_view> ElementFormat::attributeNames() const {
  std::vector<std::string_view> names;
  for (const auto& a : attributes) {
    names.push_back(a.name);
  }
  return names;
}

std::span<const ElementFormat> formatReference() {
  static const std::vector<ElementFormat> format = makeFormat();
  return format;
}

const ElementFormat& elementFormat(std::string_view name) {
  for (const auto& element : formatReference()) {
    if (element.name == name) {
      return element;
    }
  }
  throw std::logic_error("the scenario format has no element <" + std::string{name} + ">");
}

} // namespace hil::scenario
