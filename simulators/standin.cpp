#include "simulators/standin.h"

#include <charconv>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "framework/core/base64.h"
#include "framework/core/crash.h"
#include "framework/core/log.h"
#include "framework/core/xml.h"
#include "framework/data/rules.h"
#include "framework/platform/host_state.h"
#include "simulators/sim_backend.h"
#include "simulators/sim_eflow.h"
#include "simulators/sim_seams.h"
#include "simulators/sim_state.h"
#include "simulators/sim_state_dir.h"
#include "storage/state_dir.h"

namespace hil::simulators {
namespace {

constexpr std::string_view kRunRoot = "gpu-hil-standin";
constexpr std::string_view kRunVersion = "1";
// EFLOW's defaults for a VM Set-EflowVM has not sized: 1 CPU, 1024 MB ("PowerShell functions
// for IoT Edge for Linux on Windows", Deploy-Eflow: cpuCount default 1, memoryInMB 1024).
constexpr std::uint64_t kDefaultCpus = 1;
constexpr std::uint64_t kDefaultMemoryMb = 1024;

std::string runFile(const std::string& dir) {
  return (std::filesystem::path{dir} / "standin.xml").string();
}

/// Where the stand-in's EFLOW keeps what it needs between calls (simulators/sim_eflow.h).
std::string eflowDir(const std::string& dir) {
  return (std::filesystem::path{dir} / "eflow").string();
}

/// What the stand-in keeps beside the host between two `hil standin` processes.
struct RunFile {
  std::uint64_t seed = 1;
  std::string rules{data::RulesProfile::kDefault};
  std::string vm = "EFLOW";
  std::vector<scenario::FaultSpec> faults;
  SimHost::RunState run;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> sizes; // VM: CPUs, MB
};

std::string formatRun(const RunFile& f) {
  pugi::xml_document doc;
  auto root = doc.append_child(std::string{kRunRoot}.c_str());
  xml::setAttribute(root, "version", kRunVersion);
  xml::setNumber(root, "seed", f.seed);
  xml::setAttribute(root, "rules", f.rules);
  xml::setAttribute(root, "vm", f.vm);
  xml::setBool(root, "faults-enabled", f.run.faultsEnabled);
  for (const auto& fault : f.faults) {
    xml::setAttribute(root.append_child("fault"), "spec", fault.describe());
  }
  for (const auto& [op, count] : f.run.calls) {
    auto node = root.append_child("calls");
    xml::setAttribute(node, "op", op);
    xml::setNumber(node, "count", static_cast<std::uint64_t>(count));
  }
  if (f.run.pendingCrash) {
    auto node = root.append_child("pending-crash");
    xml::setAttribute(node, "op", f.run.pendingCrash->op);
    xml::setNumber(node, "occurrence", static_cast<std::uint64_t>(f.run.pendingCrash->occurrence));
  }
  for (const auto& [vm, size] : f.sizes) {
    auto node = root.append_child("vm-size");
    xml::setAttribute(node, "vm", vm);
    xml::setNumber(node, "cpus", size.first);
    xml::setNumber(node, "memory-mb", size.second);
  }
  return xml::toText(doc);
}

Result<RunFile> parseRun(std::string text, const std::string& file) {
  auto doc = xml::Document::parse(std::move(text), file);
  if (!doc) {
    return fail(ErrorCode::InvalidRequest, toString(doc.error()));
  }
  Diagnostics out;
  RunFile f;
  {
    xml::Element root{*doc, doc->root(), out};
    if (root.name() != kRunRoot || root.required("version").value_or("") != kRunVersion) {
      return fail(ErrorCode::InvalidRequest,
                  fmt::format("{}: not a <{} version=\"{}\"> file", file, kRunRoot, kRunVersion));
    }
    const auto seed = root.required("seed").value_or("1");
    if (std::from_chars(seed.data(), seed.data() + seed.size(), f.seed).ec != std::errc{}) {
      root.error(fmt::format("seed=\"{}\": expected a whole number", seed));
    }
    f.rules = root.required("rules").value_or(f.rules);
    f.vm = root.required("vm").value_or(f.vm);
    f.run.faultsEnabled = root.requiredFlag("faults-enabled");
    for (auto child : root.children({"fault", "calls", "pending-crash", "vm-size"})) {
      xml::Element el{*doc, child, out};
      el.children({});
      const std::string_view name = child.name();
      if (name == "fault") {
        const auto spec = el.required("spec").value_or("");
        if (auto fault = scenario::parseFaultSpec(spec)) {
          f.faults.push_back(*fault);
        } else {
          el.error(fmt::format("unreadable fault \"{}\"", spec));
        }
      } else if (name == "calls") {
        const auto op = el.required("op").value_or("");
        f.run.calls[op] = static_cast<int>(
            el.integer("count", 0, std::numeric_limits<int>::max(), true).value_or(0));
      } else if (name == "pending-crash") {
        const auto op = el.required("op").value_or("");
        const auto occurrence = static_cast<int>(
            el.integer("occurrence", 1, std::numeric_limits<int>::max(), true).value_or(1));
        f.run.pendingCrash.emplace(op, occurrence, true);
      } else {
        const auto vm = el.required("vm").value_or("");
        f.sizes[vm] = {
            static_cast<std::uint64_t>(el.integer("cpus", 1, 1024, true).value_or(1)),
            static_cast<std::uint64_t>(
                el.integer("memory-mb", 1, std::numeric_limits<std::int64_t>::max(), true)
                    .value_or(1024))};
      }
    }
  }
  if (!out.empty()) {
    return fail(ErrorCode::InvalidRequest, toString(out));
  }
  return f;
}

/// The stand-in's host for one operation: loaded from the folder, saved back after.
struct Loaded {
  std::unique_ptr<SimHost> host;
  RunFile run;
};

Result<Loaded> load(const std::string& dir, const data::GpuCatalog& catalog) {
  auto text = storage::readFileIfExists(runFile(dir));
  if (!text) {
    return std::unexpected(text.error());
  }
  if (!*text) {
    return fail(ErrorCode::InvalidRequest,
                fmt::format("{}: no stand-in host here (Reset-HilStandIn sets one up)", dir));
  }
  auto run = parseRun(std::move(**text), runFile(dir));
  if (!run) {
    return std::unexpected(run.error());
  }
  auto host = StateDirSimFactory::loadHost(dir, catalog, run->seed);
  if (!host) {
    return std::unexpected(host.error());
  }
  if (!*host) {
    return fail(ErrorCode::InvalidRequest, fmt::format("{}: no host.xml", dir));
  }
  (*host)->setFaults(run->faults);
  (*host)->restoreRunState(run->run);
  return Loaded{std::move(*host), std::move(*run)};
}

Result<void> save(const std::string& dir, Loaded& loaded) {
  loaded.run.run = loaded.host->runState();
  HIL_TRY(StateDirSimFactory::saveHost(dir, *loaded.host));
  return storage::writeFileDurably(runFile(dir), formatRun(loaded.run));
}

// ---- Replies ----------------------------------------------------------------------------------

/// An object of the reply: properties in order, each a value or a list of values.
class Object {
public:
  Object& set(const char* name, std::string value) {
    values_.push_back({name, {std::move(value)}, false});
    return *this;
  }
  Object& set(const char* name, std::uint64_t value) { return set(name, std::to_string(value)); }
  Object& flag(const char* name, bool value) { return set(name, value ? "True" : "False"); }
  Object& list(const char* name, std::vector<std::string> values) {
    values_.push_back({name, std::move(values), true});
    return *this;
  }
  void write(pugi::xml_node parent) const {
    auto node = parent.append_child("object");
    for (const auto& v : values_) {
      auto p = node.append_child("p");
      xml::setAttribute(p, "n", v.name);
      if (v.isList) {
        xml::setBool(p, "list", true);
        for (const auto& item : v.values) {
          p.append_child("i").text().set(toBase64(item).c_str());
        }
      } else {
        p.text().set(toBase64(v.values.front()).c_str());
      }
    }
  }

private:
  struct Value {
    std::string name;
    std::vector<std::string> values;
    bool isList;
  };
  std::vector<Value> values_;
};

using Objects = std::vector<Object>;

std::string okReply(const Objects& objects) {
  pugi::xml_document doc;
  auto root = doc.append_child("reply");
  xml::setAttribute(root, "status", "ok");
  for (const auto& o : objects) {
    o.write(root);
  }
  return xml::toText(doc);
}

std::string errorReply(const Error& error) {
  pugi::xml_document doc;
  auto root = doc.append_child("reply");
  // An injected hang: the real cmdlet would never return.
  const bool hang = error.code == ErrorCode::Timeout;
  xml::setAttribute(root, "status", hang ? "hang" : "error");
  xml::setAttribute(root, "code", toString(error.code));
  xml::setAttribute(root, "op", error.context.empty() ? "" : error.context.back());
  root.text().set(toBase64(error.message).c_str());
  return xml::toText(doc);
}

std::string crashReply(const SimulatedCrash& crash) {
  pugi::xml_document doc;
  auto root = doc.append_child("reply");
  xml::setAttribute(root, "status", "crash");
  xml::setAttribute(root, "op", crash.op);
  xml::setNumber(root, "occurrence", static_cast<std::uint64_t>(crash.occurrence));
  xml::setAttribute(root, "when", crash.after ? "after" : "before");
  return xml::toText(doc);
}

std::unexpected<Error> badArgument(std::string message) {
  return std::unexpected(Error{ErrorCode::InvalidRequest, std::move(message), {"hil standin"}});
}

// ---- Operations -------------------------------------------------------------------------------

/// EditionID (registry; Get-ComputerInfo's WindowsEditionId) of an edition.
std::string_view editionId(platform::Edition edition) {
  switch (edition) {
  case platform::Edition::Server:
    return "ServerStandard";
  case platform::Edition::Enterprise:
    return "Enterprise";
  case platform::Edition::IotEnterprise:
    return "IoTEnterprise";
  case platform::Edition::Professional:
    return "Professional";
  case platform::Edition::Home:
    return "Core";
  }
  return "";
}

/// Assigned and dismounted devices enumerate under PCIP\ instead of PCI\.
std::string pcipInstanceId(std::string id) {
  if (id.starts_with("PCI\\")) {
    id.replace(0, 3, "PCIP");
  }
  return id;
}

/// The command line Invoke-EflowVmCommand is given, as gpu-hil's RealGuest writes it: POSIX
/// single-quoted words (' inside as '\''), then `; echo __hil_exit=$?`. A line of another shape
/// is refused rather than guessed at: the simulated guest runs programs, not a shell.
Result<std::vector<std::string>> guestArgv(std::string_view line) {
  constexpr std::string_view kStatus = "; echo __hil_exit=$?";
  if (!line.ends_with(kStatus)) {
    return badArgument("the simulated guest runs command lines of the form 'prog' 'arg'...; "
                       "echo __hil_exit=$? (as gpu-hil sends them)");
  }
  line.remove_suffix(kStatus.size());
  std::vector<std::string> argv;
  std::size_t i = 0;
  while (i < line.size()) {
    std::string word;
    bool any = false;
    while (i < line.size() && line[i] != ' ') {
      if (line[i] == '\'') {
        const auto close = line.find('\'', i + 1);
        if (close == std::string_view::npos) {
          return badArgument("a guest argument whose quote does not end");
        }
        word += line.substr(i + 1, close - i - 1);
        i = close + 1;
      } else if (line.substr(i, 2) == "\\'") {
        word += '\'';
        i += 2;
      } else {
        return badArgument(
            "an unquoted character in the guest command line (a shell would read it)");
      }
      any = true;
    }
    if (!any) {
      return badArgument("an empty word in the guest command line");
    }
    argv.push_back(std::move(word));
    if (i < line.size()) {
      ++i;
    }
  }
  return argv;
}

class Operations {
public:
  Operations(const std::string& dir, Loaded& loaded, const std::map<std::string, std::string>& args)
      : dir_(dir), host_(*loaded.host), run_(loaded.run), args_(args), guest_(host_, run_.vm) {}

  using Handler = Result<Objects> (Operations::*)();
  struct Entry {
    const char* name;
    const char* args;
    Handler handler;
  };
  static const std::vector<Entry>& table() {
    static const std::vector<Entry> entries = {
        {"windows-info", "", &Operations::windowsInfo},
        {"hyperv-feature", "", &Operations::hypervFeature},
        {"registry", "", &Operations::registry},
        {"pnp-devices", "", &Operations::pnpDevices},
        {"location-paths", "id", &Operations::locationPaths},
        {"driver-properties", "id", &Operations::driverProperties},
        {"disable-device", "id", &Operations::disableDevice},
        {"enable-device", "id", &Operations::enableDevice},
        {"vm", "name", &Operations::vm},
        {"start-vm", "name", &Operations::startVm},
        {"stop-vm", "name", &Operations::stopVm},
        {"set-stop-action", "name action", &Operations::setStopAction},
        {"set-mmio", "name [low] [high]", &Operations::setMmio},
        {"set-cache-types", "name enabled", &Operations::setCacheTypes},
        {"host-assignable", "", &Operations::hostAssignable},
        {"dismount", "location force", &Operations::dismount},
        {"mount", "location", &Operations::mount},
        {"assigned", "vm", &Operations::assigned},
        {"add-assignable", "vm location", &Operations::addAssignable},
        {"remove-assignable", "vm location", &Operations::removeAssignable},
        {"partitionable", "", &Operations::partitionable},
        {"adapters", "vm", &Operations::adapters},
        {"add-adapter", "vm path", &Operations::addAdapter},
        {"remove-adapter", "vm id", &Operations::removeAdapter},
        {"wsl-driver", "", &Operations::wslDriver},
        {"guest-run", "line", &Operations::guestRun},
        {"eflow-set-vm", "[cpus] [memory-mb] [type name count] headless", &Operations::eflowSetVm},
        {"sync", "", &Operations::sync},
        {"calm", "", &Operations::calm},
    };
    return entries;
  }

private:
  Result<std::string> arg(const char* name) const {
    const auto it = args_.find(name);
    if (it == args_.end()) {
      return badArgument(fmt::format("missing argument {}=", name));
    }
    return it->second;
  }
  std::optional<std::string> optionalArg(const char* name) const {
    const auto it = args_.find(name);
    return it == args_.end() ? std::nullopt : std::optional{it->second};
  }
  Result<std::uint64_t> number(const char* name) const {
    auto text = arg(name);
    if (!text) {
      return std::unexpected(text.error());
    }
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (text->empty() || ec != std::errc{} || end != text->data() + text->size()) {
      return badArgument(fmt::format("{}={} is not a whole number", name, *text));
    }
    return value;
  }
  Result<bool> boolean(const char* name) const {
    auto text = arg(name);
    if (!text) {
      return std::unexpected(text.error());
    }
    if (*text != "true" && *text != "false") {
      return badArgument(fmt::format("{}={}: expected true or false", name, *text));
    }
    return *text == "true";
  }
  static Result<Objects> none(Result<void> done) {
    if (!done) {
      return std::unexpected(done.error());
    }
    return Objects{};
  }

  Result<Objects> windowsInfo() {
    auto info = hostOs_.windowsInfo();
    if (!info) {
      return std::unexpected(info.error());
    }
    return Objects{Object{}
                       .set("WindowsEditionId", std::string{editionId(info->edition)})
                       .set("OsBuildNumber", info->build.number)
                       .set("UBR", info->build.revision)};
  }

  /// HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion as gpu-hil reads it (the build's
  /// revision, UBR): a value of the host, not an operation of a seam, so nothing is counted.
  Result<Objects> registry() {
    return Objects{Object{}
                       .set("CurrentBuild", std::uint64_t{host_.windows.build.number})
                       .set("UBR", std::uint64_t{host_.windows.build.revision})
                       .set("EditionID", std::string{editionId(host_.windows.edition)})};
  }

  Result<Objects> hypervFeature() {
    auto feature = hostOs_.hypervFeature();
    if (!feature) {
      return std::unexpected(feature.error());
    }
    return Objects{Object{}.flag("present", feature->present).flag("enabled", feature->enabled)};
  }

  Result<Objects> pnpDevices() {
    auto devices = pnp_.displayDevices();
    if (!devices) {
      return std::unexpected(devices.error());
    }
    Objects objects;
    for (const auto& d : *devices) {
      // A device disabled with Disable-PnpDevice shows Status Error with problem 22
      // (CM_PROB_DISABLED); one that failed, problem 43 (CM_PROB_FAILED_POST_START).
      const bool disabled = d.status == platform::DeviceStatus::Disabled;
      const bool failed = d.status == platform::DeviceStatus::Error;
      objects.push_back(Object{}
                            .set("InstanceId", d.instanceId)
                            .set("FriendlyName", d.friendlyName)
                            .set("Status", d.status == platform::DeviceStatus::Ok ? "OK" : "Error")
                            .set("ConfigManagerErrorCode", std::uint64_t{disabled ? 22u
                                                                         : failed ? 43u
                                                                                  : 0u}));
    }
    return objects;
  }

  Result<Objects> locationPaths() {
    auto id = arg("id");
    if (!id) {
      return std::unexpected(id.error());
    }
    auto path = pnp_.locationPath(*id);
    if (!path) {
      return std::unexpected(path.error());
    }
    const auto* gpu = host_.gpuByInstance(*id);
    // Windows lists the PCI path first, then the ACPI one.
    const auto acpi = fmt::format("ACPI(_SB_)#ACPI(PCI0)#ACPI(PEG{})",
                                  gpu == nullptr ? 0 : gpu - host_.gpus.data());
    return Objects{Object{}.list("Data", {*path, acpi})};
  }

  Result<Objects> driverProperties() {
    auto id = arg("id");
    if (!id) {
      return std::unexpected(id.error());
    }
    auto installed = drivers_.mitigationDriverInstalled(*id);
    if (!installed) {
      return std::unexpected(installed.error());
    }
    const auto* gpu = host_.gpuByInstance(*id);
    if (gpu == nullptr || !gpu->mounted) {
      return std::unexpected(
          Error{ErrorCode::OperationFailed,
                fmt::format("No matching Win32_PnPEntity objects found by CIM query for "
                            "instance '{}'",
                            *id),
                {"drivers.get-mitigation-driver"}});
    }
    // No documented property names a mitigation driver; the bound driver's service, INF and
    // description are what a host shows, so the stand-in shows a driver that calls itself one.
    const auto driver =
        *installed
            ? std::array<std::string, 3>{"nvmitig", "oem51.inf", "NVIDIA Device Mitigation Driver"}
            : std::array<std::string, 3>{"nvlddmkm", "oem42.inf", gpu->model->name};
    return Objects{Object{}.set("KeyName", "DEVPKEY_Device_Service").set("Data", driver[0]),
                   Object{}.set("KeyName", "DEVPKEY_Device_DriverInfPath").set("Data", driver[1]),
                   Object{}.set("KeyName", "DEVPKEY_Device_DriverDesc").set("Data", driver[2])};
  }

  Result<Objects> disableDevice() {
    auto id = arg("id");
    return id ? none(pnp_.disableDevice(*id)) : std::unexpected(id.error());
  }
  Result<Objects> enableDevice() {
    auto id = arg("id");
    return id ? none(pnp_.enableDevice(*id)) : std::unexpected(id.error());
  }

  Result<Objects> vm() {
    auto name = arg("name");
    if (!name) {
      return std::unexpected(name.error());
    }
    auto config = hyperv_.vmConfig(*name);
    if (!config) {
      return std::unexpected(config.error());
    }
    const auto it = run_.sizes.find(config->name);
    const auto [cpus, memoryMb] =
        it == run_.sizes.end() ? std::pair{kDefaultCpus, kDefaultMemoryMb} : it->second;
    return Objects{Object{}
                       .set("Name", config->name)
                       .set("State", std::string{platform::toString(config->state)})
                       .set("ProcessorCount", cpus)
                       .set("MemoryStartup", memoryMb * platform::kMiB)
                       .set("AutomaticStopAction",
                            std::string{platform::toString(config->automaticStopAction)})
                       .set("LowMemoryMappedIoSpace", config->mmio.low)
                       .set("HighMemoryMappedIoSpace", config->mmio.high)
                       .flag("GuestControlledCacheTypes", config->guestControlledCacheTypes)};
  }

  Result<Objects> startVm() {
    auto name = arg("name");
    return name ? none(hyperv_.startVm(*name)) : std::unexpected(name.error());
  }
  Result<Objects> stopVm() {
    auto name = arg("name");
    return name ? none(hyperv_.stopVm(*name)) : std::unexpected(name.error());
  }

  Result<Objects> setStopAction() {
    auto name = arg("name");
    auto action = arg("action");
    if (!name || !action) {
      return std::unexpected(!name ? name.error() : action.error());
    }
    for (auto a : {platform::StopAction::TurnOff, platform::StopAction::Save,
                   platform::StopAction::ShutDown}) {
      if (*action == platform::toString(a)) {
        return none(hyperv_.setAutomaticStopAction(*name, a));
      }
    }
    return badArgument(fmt::format("action={}: expected TurnOff, Save or ShutDown", *action));
  }

  Result<Objects> setMmio() {
    auto name = arg("name");
    if (!name) {
      return std::unexpected(name.error());
    }
    // Set-VM may give either size alone; the other stays as the VM has it.
    const auto* sim = host_.vm(*name);
    platform::MmioSpace space = sim != nullptr ? sim->config.mmio : platform::kDefaultMmio;
    if (args_.contains("low")) {
      auto low = number("low");
      if (!low) {
        return std::unexpected(low.error());
      }
      space.low = *low;
    }
    if (args_.contains("high")) {
      auto high = number("high");
      if (!high) {
        return std::unexpected(high.error());
      }
      space.high = *high;
    }
    return none(hyperv_.setMemoryMappedIo(*name, space));
  }

  Result<Objects> setCacheTypes() {
    auto name = arg("name");
    auto enabled = boolean("enabled");
    if (!name || !enabled) {
      return std::unexpected(!name ? name.error() : enabled.error());
    }
    return none(hyperv_.setGuestControlledCacheTypes(*name, *enabled));
  }

  Result<Objects> hostAssignable() {
    auto parked = hyperv_.hostAssignableDevices();
    if (!parked) {
      return std::unexpected(parked.error());
    }
    Objects objects;
    for (const auto& location : *parked) {
      const auto* gpu = host_.gpuByLocation(location);
      objects.push_back(
          Object{}
              .set("InstanceID", gpu == nullptr ? std::string{} : pcipInstanceId(gpu->instanceId))
              .set("LocationPath", location));
    }
    return objects;
  }

  Result<Objects> dismount() {
    auto location = arg("location");
    auto force = boolean("force");
    if (!location || !force) {
      return std::unexpected(!location ? location.error() : force.error());
    }
    return none(hyperv_.dismountHostDevice(*location, *force));
  }
  Result<Objects> mount() {
    auto location = arg("location");
    return location ? none(hyperv_.mountHostDevice(*location)) : std::unexpected(location.error());
  }

  Result<Objects> assigned() {
    auto vm = arg("vm");
    if (!vm) {
      return std::unexpected(vm.error());
    }
    auto devices = hyperv_.assignableDevices(*vm);
    if (!devices) {
      return std::unexpected(devices.error());
    }
    Objects objects;
    for (const auto& d : *devices) {
      objects.push_back(Object{}
                            .set("VMName", *vm)
                            .set("InstanceID", d.instanceId)
                            .set("LocationPath", d.location));
    }
    return objects;
  }

  Result<Objects> addAssignable() {
    auto vm = arg("vm");
    auto location = arg("location");
    if (!vm || !location) {
      return std::unexpected(!vm ? vm.error() : location.error());
    }
    return none(hyperv_.addAssignableDevice(*vm, *location));
  }
  Result<Objects> removeAssignable() {
    auto vm = arg("vm");
    auto location = arg("location");
    if (!vm || !location) {
      return std::unexpected(!vm ? vm.error() : location.error());
    }
    return none(hyperv_.removeAssignableDevice(*vm, *location));
  }

  Result<Objects> partitionable() {
    auto gpus = hyperv_.partitionableGpus();
    if (!gpus) {
      return std::unexpected(gpus.error());
    }
    Objects objects;
    for (const auto& g : *gpus) {
      objects.push_back(Object{}
                            .set("Name", g.name)
                            .list("ValidPartitionCounts", {std::to_string(g.partitionCount)})
                            .set("PartitionCount", std::uint64_t{g.partitionCount}));
    }
    return objects;
  }

  static Object adapterObject(const std::string& vm, const platform::GpuPartitionAdapter& a) {
    return Object{}.set("VMName", vm).set("Id", a.id).set("InstancePath", a.instancePath);
  }

  Result<Objects> adapters() {
    auto vm = arg("vm");
    if (!vm) {
      return std::unexpected(vm.error());
    }
    auto adapters = hyperv_.gpuPartitionAdapters(*vm);
    if (!adapters) {
      return std::unexpected(adapters.error());
    }
    Objects objects;
    for (const auto& a : *adapters) {
      objects.push_back(adapterObject(*vm, a));
    }
    return objects;
  }

  Result<Objects> addAdapter() {
    auto vm = arg("vm");
    auto path = arg("path");
    if (!vm || !path) {
      return std::unexpected(!vm ? vm.error() : path.error());
    }
    auto added = hyperv_.addGpuPartitionAdapter(*vm, *path);
    if (!added) {
      return std::unexpected(added.error());
    }
    return Objects{adapterObject(*vm, *added)};
  }

  Result<Objects> removeAdapter() {
    auto vm = arg("vm");
    auto id = arg("id");
    if (!vm || !id) {
      return std::unexpected(!vm ? vm.error() : id.error());
    }
    return none(hyperv_.removeGpuPartitionAdapter(*vm, *id));
  }

  Result<Objects> wslDriver() {
    // The WSL CUDA library serves the host as a whole; the simulator keeps its driver per GPU,
    // so the host has it when any GPU does (asked of that GPU, so its faults apply).
    const auto it = std::find_if(host_.gpus.begin(), host_.gpus.end(),
                                 [](const SimGpu& g) { return g.wslDriver; });
    const auto id = it != host_.gpus.end() ? it->instanceId
                    : host_.gpus.empty()   ? std::string{}
                                           : host_.gpus.front().instanceId;
    auto installed = drivers_.wslDriverInstalled(id);
    if (!installed) {
      return std::unexpected(installed.error());
    }
    return Objects{Object{}.flag("installed", *installed)};
  }

  Result<Objects> guestRun() {
    auto line = arg("line");
    if (!line) {
      return std::unexpected(line.error());
    }
    auto argv = guestArgv(*line);
    if (!argv) {
      return std::unexpected(argv.error());
    }
    auto output = guest_.run(*argv);
    if (!output) {
      return std::unexpected(output.error());
    }
    return Objects{Object{}
                       .set("ExitCode", static_cast<std::uint64_t>(output->exitCode))
                       .set("Out", output->out)
                       .set("Err", output->err)};
  }

  Result<Objects> eflowSetVm() {
    auto headless = boolean("headless");
    if (!headless) {
      return std::unexpected(headless.error());
    }
    std::uint64_t cpus = kDefaultCpus;
    std::uint64_t memoryMb = kDefaultMemoryMb;
    for (auto [name, value] : {std::pair{"cpus", &cpus}, std::pair{"memory-mb", &memoryMb}}) {
      if (args_.contains(name)) {
        auto n = number(name);
        if (!n) {
          return std::unexpected(n.error());
        }
        *value = *n;
      }
    }
    platform::EflowGpuRequest request;
    request.headless = *headless;
    if (const auto type = optionalArg("type")) {
      // [functions] (sim_eflow.cpp): -gpuPassthroughType is DirectDeviceAssignment,
      // ParaVirtualization or none.
      request.technique = platform::parseTechnique(*type);
      if (!request.technique) {
        return badArgument(fmt::format("type={}: expected DirectDeviceAssignment or "
                                       "ParaVirtualization",
                                       *type));
      }
      auto name = arg("name");
      auto count = number("count");
      if (!name || !count) {
        return std::unexpected(!name ? name.error() : count.error());
      }
      request.gpuName = *name;
      request.gpuCount = static_cast<int>(std::min<std::uint64_t>(*count, 1024));
    }
    const auto detail = request.technique
                            ? fmt::format("{} {} \"{}\" x{}", run_.vm, toString(*request.technique),
                                          request.gpuName, request.gpuCount)
                            : fmt::format("{} no GPU", run_.vm);
    HIL_TRY(host_.enter("eflow.set-vm", detail));
    // What EFLOW does with the request on the host, modelled from its documentation
    // (simulators/sim_eflow.h); what it keeps between calls is in its own folder.
    SimEflow eflow{host_, run_.vm, eflowDir(dir_)};
    if (auto done = eflow.setGpu(request); !done) {
      auto error = done.error();
      if (error.context.empty() || error.context.back() != "eflow.set-vm") {
        error.context.emplace_back("eflow.set-vm");
      }
      return std::unexpected(std::move(error));
    }
    // Set-EflowVM sets what it is given, and resets what it is not to EFLOW's defaults.
    run_.sizes[run_.vm] = {cpus, memoryMb};
    return Objects{};
  }

  Result<Objects> sync() {
    host_.checkpoint();
    return Objects{};
  }
  Result<Objects> calm() {
    host_.disableFaults();
    return Objects{};
  }

  const std::string& dir_;
  SimHost& host_;
  RunFile& run_;
  const std::map<std::string, std::string>& args_;
  SimHostOs hostOs_{host_};
  SimPnp pnp_{host_};
  SimHyperV hyperv_{host_};
  SimDrivers drivers_{host_};
  SimGuest guest_;
};

} // namespace

Result<void> StandIn::reset(const std::string& dir, const scenario::Scenario& scenario,
                            std::uint64_t seed, const std::vector<scenario::FaultSpec>& faults,
                            const std::string& rules, const data::GpuCatalog& catalog) {
  if (!data::RulesProfile::builtin(rules)) {
    return fail(ErrorCode::InvalidRequest, fmt::format("rules profile {} is not built in", rules));
  }
  Loaded loaded{std::make_unique<SimHost>(scenario.host, catalog, seed), {}};
  loaded.run.seed = seed;
  loaded.run.rules = rules;
  loaded.run.vm = scenario.host.vm.name;
  loaded.run.faults = combineFaults(faults, scenario.host.faults);
  std::error_code ec;
  std::filesystem::remove_all(eflowDir(dir), ec); // a new host: EFLOW has done nothing on it
  std::filesystem::create_directories(eflowDir(dir), ec);
  if (ec) {
    return fail(ErrorCode::OperationFailed, fmt::format("{}: {}", dir, ec.message()));
  }
  return save(dir, loaded);
}

std::string StandIn::call(const std::string& dir, const std::string& operation,
                          const std::map<std::string, std::string>& args,
                          const data::GpuCatalog& catalog) {
  const auto& table = Operations::table();
  const auto entry =
      std::find_if(table.begin(), table.end(), [&](const auto& e) { return operation == e.name; });
  if (entry == table.end()) {
    return errorReply(Error{ErrorCode::InvalidRequest,
                            fmt::format("no stand-in operation {} (hil standin ops)", operation),
                            {"hil standin"}});
  }
  auto loaded = load(dir, catalog);
  if (!loaded) {
    return errorReply(loaded.error());
  }
  std::string reply;
  try {
    Operations ops{dir, *loaded, args};
    auto objects = (ops.*(entry->handler))();
    reply = objects ? okReply(*objects) : errorReply(objects.error());
  } catch (const SimulatedCrash& crash) {
    // The controller "dies" here: the host keeps what the operation did.
    reply = crashReply(crash);
  }
  if (auto saved = save(dir, *loaded); !saved) {
    return errorReply(saved.error());
  }
  return reply;
}

Result<std::string> StandIn::hostState(const std::string& dir, const data::GpuCatalog& catalog) {
  auto loaded = load(dir, catalog);
  if (!loaded) {
    return std::unexpected(loaded.error());
  }
  SimBackend view{std::move(loaded->host), loaded->run.vm};
  return platform::formatHostState(view.snapshot());
}

std::vector<std::string> StandIn::operations() {
  std::vector<std::string> lines;
  for (const auto& e : Operations::table()) {
    lines.push_back(*e.args == '\0' ? std::string{e.name} : fmt::format("{} {}", e.name, e.args));
  }
  return lines;
}

} // namespace hil::simulators
