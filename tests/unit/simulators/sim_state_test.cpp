#include "simulators/sim_state.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/core/diagnostic.h"
#include "framework/data/catalog.h"
#include "framework/platform/platform.h"
#include "framework/platform/types.h"
#include "framework/scenario/scenario.h"
#include "simulators/sim_backend.h"
#include "simulators/sim_host.h"
#include "simulators/sim_seams.h"

namespace hil::simulators {
namespace {

using platform::Edition;
using platform::kMiB;
using platform::MmioSpace;
using platform::StopAction;
using platform::VmState;
using scenario::GpuSpec;
using scenario::HostSpec;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr const char* kVm = "EFLOW";
constexpr const char* kFile = "state/sim-host.xml";

const data::GpuCatalog& catalog() { return data::GpuCatalog::builtin(); }

GpuSpec gpu(const char* model, bool mitigationDriver, bool wslDriver, int count = 1) {
  GpuSpec g;
  g.model = model;
  g.mitigationDriver = mitigationDriver;
  g.wslDriver = wslDriver;
  g.count = count;
  return g;
}

HostSpec spec(Edition edition, platform::WindowsBuild build, std::vector<GpuSpec> gpus,
              VmState state = VmState::Running) {
  HostSpec s;
  s.edition = edition;
  s.build = build;
  s.gpus = std::move(gpus);
  s.vm.state = state;
  return s;
}

std::unique_ptr<SimBackend> backendFor(const HostSpec& s) {
  return std::make_unique<SimBackend>(s, catalog(), 7);
}

/// The DDA flow's host steps for the GPU at `index`, through the seams; the VM runs afterwards.
void deployDda(SimBackend& b, std::size_t index, const platform::VmName& vm = kVm) {
  auto p = b.platform();
  const auto devices = p.pnp.displayDevices();
  ASSERT_TRUE(devices.has_value() && devices->size() > index);
  const auto id = (*devices)[index].instanceId;
  const auto location = p.pnp.locationPath(id);
  ASSERT_TRUE(location.has_value());
  ASSERT_TRUE(p.hyperv.stopVm(vm).has_value());
  ASSERT_TRUE(p.hyperv.setAutomaticStopAction(vm, StopAction::TurnOff).has_value());
  ASSERT_TRUE(p.hyperv.setMemoryMappedIo(vm, MmioSpace{3072 * kMiB, 33280 * kMiB}).has_value());
  ASSERT_TRUE(p.hyperv.setGuestControlledCacheTypes(vm, true).has_value());
  ASSERT_TRUE(p.pnp.disableDevice(id).has_value());
  ASSERT_TRUE(p.hyperv.dismountHostDevice(*location, true).has_value());
  ASSERT_TRUE(p.hyperv.addAssignableDevice(vm, *location).has_value());
  const auto started = p.hyperv.startVm(vm);
  ASSERT_TRUE(started.has_value()) << started.error().describe();
}

/// The GPU-PV flow's host steps; the VM stays off.
void addPartitionAdapter(SimBackend& b) {
  auto p = b.platform();
  ASSERT_TRUE(p.hyperv.stopVm(kVm).has_value());
  const auto gpus = p.hyperv.partitionableGpus();
  ASSERT_TRUE(gpus.has_value() && !gpus->empty());
  ASSERT_TRUE(p.hyperv.addGpuPartitionAdapter(kVm, gpus->front().name).has_value());
  ASSERT_TRUE(p.hyperv.setMemoryMappedIo(kVm, MmioSpace{1024 * kMiB, 32768 * kMiB}).has_value());
}

std::string joined(const Diagnostics& diagnostics) { return toString(diagnostics); }

/// formatSimHost(*parseSimHost(formatSimHost(h))) == formatSimHost(h); returns the parsed host.
std::unique_ptr<SimHost> roundTrip(const SimHost& host) {
  const std::string text = formatSimHost(host);
  auto parsed = parseSimHost(text, kFile, catalog(), 99);
  EXPECT_TRUE(parsed.has_value()) << joined(parsed.error()) << text;
  if (!parsed) {
    return nullptr;
  }
  EXPECT_EQ(formatSimHost(**parsed), text);
  return std::move(*parsed);
}

Diagnostics errorsOf(const std::string& text) {
  auto parsed = parseSimHost(text, kFile, catalog(), 1);
  EXPECT_FALSE(parsed.has_value()) << text;
  return parsed.has_value() ? Diagnostics{} : parsed.error();
}

/// A small valid file, for the error tests to change one thing in.
std::string smallFile(const std::string& gpuExtra = "", const std::string& vmChildren = "",
                      const std::string& version = "1") {
  return "<?xml version=\"1.0\"?>\n"
         "<gpu-hil-sim-host version=\"" +
         version +
         "\" next-adapter-id=\"1\">\n"
         "  <windows edition=\"server\" build=\"17763\"/>\n"
         "  <hyperv present=\"true\" enabled=\"true\"/>\n"
         "  <gpu model=\"tesla-t4\" instance-id=\"PCI\\VEN_10DE&amp;DEV_1EB8\\1\" "
         "location=\"PCIROOT(0)#PCI(0300)#PCI(0000)\" interface-path=\"\\\\?\\PCI#1\" "
         "enabled=\"true\" mounted=\"true\" mitigation-driver=\"true\" wsl-driver=\"false\" "
         "in-use=\"false\" bad-memory=\"false\" need-low=\"16777216\" need-high=\"402653184\"" +
         gpuExtra +
         "/>\n"
         "  <vm name=\"EFLOW\" state=\"Running\" stop-action=\"Save\" mmio-low=\"134217728\" "
         "mmio-high=\"536870912\" cache-types=\"false\" guest-driver=\"true\">\n" +
         vmChildren +
         "  </vm>\n"
         "</gpu-hil-sim-host>\n";
}

// ---- round trips -----------------------------------------------------------------------------

TEST(SimStateTest, ASmallFileParses) {
  auto parsed = parseSimHost(smallFile(), kFile, catalog(), 1);
  ASSERT_TRUE(parsed.has_value()) << joined(parsed.error());
  const SimHost& h = **parsed;
  EXPECT_EQ(h.windows.edition, Edition::Server);
  EXPECT_EQ(h.windows.build, (platform::WindowsBuild{17763, 0}));
  ASSERT_THAT(h.gpus, SizeIs(1));
  EXPECT_EQ(h.gpus[0].model, catalog().find("tesla-t4"));
  EXPECT_EQ(h.gpus[0].instanceId, "PCI\\VEN_10DE&DEV_1EB8\\1");
  EXPECT_EQ(h.gpus[0].interfacePath, "\\\\?\\PCI#1");
  ASSERT_THAT(h.vms, SizeIs(1));
  EXPECT_EQ(h.vms.at(kVm).config.state, VmState::Running);
}

TEST(SimStateTest, FreshHostsFromScenarioSpecsRoundTrip) {
  std::vector<HostSpec> specs = {
      spec(Edition::Server, {17763, 0}, {gpu("tesla-t4", true, false)}),
      spec(Edition::Professional, {19044, 1620},
           {gpu("geforce-rtx-3080", false, true), gpu("quadro-rtx-4000", false, false)},
           VmState::Off),
      spec(Edition::Home, {22631, 0}, {}),
      spec(Edition::IotEnterprise, {21318, 0},
           {gpu("tesla-t4", false, false, 2), gpu("radeon-pro-w6600", false, false),
            gpu("intel-uhd-770", false, true)}),
  };
  specs[3].hypervEnabled = false;
  specs[3].gpus[0].inUse = true;
  specs[3].gpus[0].badMemory = true;
  specs[3].gpus[0].resizableBar = true;
  specs[3].vm.guestDriver = false;
  for (const auto& s : specs) {
    auto b = backendFor(s);
    const auto parsed = roundTrip(b->hostForTest());
    ASSERT_NE(parsed, nullptr);
    EXPECT_EQ(parsed->gpus.size(), b->hostForTest().gpus.size());
    EXPECT_EQ(parsed->hyperv.present, b->hostForTest().hyperv.present);
    EXPECT_EQ(parsed->hyperv.enabled, b->hostForTest().hyperv.enabled);
  }
}

TEST(SimStateTest, ADeployedT4RoundTrips) {
  auto b = backendFor(spec(Edition::Server, {17763, 0},
                           {gpu("tesla-t4", true, false), gpu("tesla-t4", false, false)}));
  deployDda(*b, 1);
  const SimHost& before = b->hostForTest();
  ASSERT_FALSE(before.gpus[1].mounted);
  ASSERT_EQ(before.gpus[1].assignedTo, std::optional<platform::VmName>{kVm});

  const auto parsed = roundTrip(before);
  ASSERT_NE(parsed, nullptr);
  const SimGpu& t4 = parsed->gpus[1];
  EXPECT_FALSE(t4.mounted);
  EXPECT_FALSE(t4.enabled);
  EXPECT_FALSE(t4.mitigationDriver);
  EXPECT_EQ(t4.assignedTo, std::optional<platform::VmName>{kVm});
  EXPECT_EQ(t4.location, before.gpus[1].location);
  EXPECT_EQ(t4.need, before.gpus[1].need);
  EXPECT_TRUE(parsed->gpus[0].mounted);
  EXPECT_EQ(parsed->gpus[0].assignedTo, std::nullopt);
  const SimVm& vm = parsed->vms.at(kVm);
  EXPECT_EQ(vm.config, before.vms.at(kVm).config);
  EXPECT_EQ(vm.config.state, VmState::Running);
  EXPECT_EQ(vm.config.automaticStopAction, StopAction::TurnOff);
  EXPECT_THAT(vm.assigned, ElementsAre(before.gpus[1].location));
}

TEST(SimStateTest, ADismountedAndAssignedGpuOnAStoppedVmRoundTrips) {
  auto b = backendFor(spec(Edition::Enterprise, {21318, 0}, {gpu("tesla-t4", true, false)}));
  deployDda(*b, 0);
  ASSERT_TRUE(b->platform().hyperv.stopVm(kVm).has_value());
  const auto parsed = roundTrip(b->hostForTest());
  ASSERT_NE(parsed, nullptr);
  EXPECT_EQ(parsed->vms.at(kVm).config.state, VmState::Off);
  EXPECT_FALSE(parsed->gpus[0].mounted);
  EXPECT_EQ(parsed->gpus[0].assignedTo, std::optional<platform::VmName>{kVm});
}

TEST(SimStateTest, AGpuLostToBothRoundTrips) {
  // Dismounted and assigned to no VM: the worst state, which a recovery must still read.
  auto b = backendFor(spec(Edition::Server, {17763, 0}, {gpu("tesla-t4", false, false)}));
  deployDda(*b, 0);
  auto p = b->platform();
  ASSERT_TRUE(p.hyperv.stopVm(kVm).has_value());
  const auto location = b->hostForTest().gpus[0].location;
  ASSERT_TRUE(p.hyperv.removeAssignableDevice(kVm, location).has_value());
  ASSERT_FALSE(b->hostForTest().gpus[0].mounted);
  ASSERT_EQ(b->hostForTest().gpus[0].assignedTo, std::nullopt);
  const auto parsed = roundTrip(b->hostForTest());
  ASSERT_NE(parsed, nullptr);
  EXPECT_FALSE(parsed->gpus[0].mounted);
  EXPECT_EQ(parsed->gpus[0].assignedTo, std::nullopt);
  EXPECT_TRUE(parsed->vms.at(kVm).assigned.empty());
}

TEST(SimStateTest, APartitionAdapterRoundTrips) {
  auto b =
      backendFor(spec(Edition::Professional, {20145, 0}, {gpu("geforce-rtx-3060", false, true)}));
  addPartitionAdapter(*b);
  const SimHost& before = b->hostForTest();
  ASSERT_THAT(before.vms.at(kVm).adapters, SizeIs(1));
  const auto parsed = roundTrip(before);
  ASSERT_NE(parsed, nullptr);
  EXPECT_EQ(parsed->vms.at(kVm).adapters, before.vms.at(kVm).adapters);
  EXPECT_EQ(parsed->nextAdapterId, before.nextAdapterId);
  EXPECT_EQ(parsed->nextAdapterId, 2);
  EXPECT_EQ(parsed->vms.at(kVm).config.state, VmState::Off);
  EXPECT_TRUE(parsed->gpus[0].mounted);
}

TEST(SimStateTest, TheRestoredHostKeepsWorkingThroughTheSeams) {
  auto b = backendFor(spec(Edition::Server, {17763, 0}, {gpu("tesla-t4", true, false)}));
  deployDda(*b, 0);
  auto parsed = roundTrip(b->hostForTest());
  ASSERT_NE(parsed, nullptr);
  // Tear down on the restored host: the rules Hyper-V enforces still see the assignment.
  SimHost& host = *parsed;
  SimPnp pnp{host};
  SimHyperV hyperv{host};
  const auto location = host.gpus[0].location;
  EXPECT_FALSE(hyperv.mountHostDevice(location).has_value()); // still assigned to EFLOW
  ASSERT_TRUE(hyperv.stopVm(kVm).has_value());
  ASSERT_TRUE(hyperv.removeAssignableDevice(kVm, location).has_value());
  ASSERT_TRUE(hyperv.mountHostDevice(location).has_value());
  ASSERT_TRUE(pnp.enableDevice(host.gpus[0].instanceId).has_value());
  EXPECT_TRUE(host.gpus[0].mounted);
  EXPECT_TRUE(host.gpus[0].enabled);
  EXPECT_EQ(host.gpus[0].assignedTo, std::nullopt);
}

TEST(SimStateTest, TheFileNamesOnlyItsOwnVmsAndHostileNamesSurvive) {
  auto s = spec(Edition::Server, {17763, 0}, {gpu("tesla-t4", true, false)});
  s.vm.name = "Build \"VM\" <α> & 'co' \\ ]]>";
  auto b = backendFor(s);
  deployDda(*b, 0, s.vm.name);
  const auto parsed = roundTrip(b->hostForTest());
  ASSERT_NE(parsed, nullptr);
  ASSERT_THAT(parsed->vms, SizeIs(1)); // the default EFLOW VM is gone
  EXPECT_EQ(parsed->vms.begin()->first, s.vm.name);
  EXPECT_EQ(parsed->vms.begin()->second.config.name, s.vm.name);
  EXPECT_EQ(parsed->gpus[0].assignedTo, std::optional<platform::VmName>{s.vm.name});
}

TEST(SimStateTest, FaultsAreNotPartOfTheHost) {
  auto s = spec(Edition::Server, {17763, 0}, {gpu("tesla-t4", true, false)});
  scenario::FaultSpec fault;
  fault.op = "hyperv.stop-vm";
  fault.kind = scenario::FaultKind::Error;
  s.faults.push_back(fault);
  auto b = backendFor(s);
  const auto parsed = roundTrip(b->hostForTest());
  ASSERT_NE(parsed, nullptr);
  EXPECT_TRUE(parsed->faults().empty());
  EXPECT_THAT(formatSimHost(b->hostForTest()), Not(HasSubstr("stop-vm")));
}

TEST(SimStateTest, WritesTheDocumentedLayout) {
  auto b = backendFor(spec(Edition::Server, {17763, 0}, {gpu("tesla-t4", true, false)}));
  deployDda(*b, 0);
  const std::string text = formatSimHost(b->hostForTest());
  EXPECT_THAT(text, StartsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                               "<gpu-hil-sim-host version=\"1\" next-adapter-id=\"1\">\n"
                               "  <windows edition=\"server\" build=\"17763\" />\n"
                               "  <hyperv present=\"true\" enabled=\"true\" />\n"
                               "  <gpu model=\"tesla-t4\" instance-id=\"PCI\\VEN_10DE&amp;"));
  EXPECT_THAT(text, HasSubstr("mounted=\"false\""));
  EXPECT_THAT(text, HasSubstr("assigned-to=\"EFLOW\" />"));
  EXPECT_THAT(text, HasSubstr("<vm name=\"EFLOW\" state=\"Running\" stop-action=\"TurnOff\" "
                              "mmio-low=\"3221225472\" mmio-high=\"34896609280\" "
                              "cache-types=\"true\" guest-driver=\"true\">\n"
                              "    <assigned location=\"PCIROOT(0)#PCI(0300)#PCI(0000)\" />\n"
                              "  </vm>"));
}

// ---- errors ----------------------------------------------------------------------------------

TEST(SimStateTest, UnknownModelIsAnErrorAtItsLine) {
  std::string text = smallFile();
  text.replace(text.find("tesla-t4"), 8, "tesla-t5");
  auto errors = errorsOf(text);
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  EXPECT_EQ(errors[0].line, 5);
  EXPECT_THAT(errors[0].toString(),
              AllOf(StartsWith("state/sim-host.xml:5: "), HasSubstr("tesla-t5")));
}

TEST(SimStateTest, UnknownVersionIsAnError) {
  auto errors = errorsOf(smallFile("", "", "2"));
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_THAT(errors[0].message, AllOf(HasSubstr("version=\"2\""), HasSubstr("version 1")));

  errors = errorsOf("<gpu-hil-sim-host/>");
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  EXPECT_THAT(errors[0].message, HasSubstr("'version'"));
}

TEST(SimStateTest, WrongRootIsAnError) {
  auto errors = errorsOf("<gpu-hil-flow-state version=\"1\"/>");
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  EXPECT_THAT(errors[0].message, HasSubstr("<gpu-hil-sim-host>"));
}

TEST(SimStateTest, ATruncatedFileIsAnErrorOrTheSameHost) {
  auto b = backendFor(spec(Edition::Server, {17763, 0},
                           {gpu("tesla-t4", true, false), gpu("geforce-rtx-3080", false, true)}));
  deployDda(*b, 0);
  const std::string text = formatSimHost(b->hostForTest());
  int errors = 0;
  for (std::size_t cut = 0; cut < text.size(); cut += 23) {
    auto parsed = parseSimHost(text.substr(0, cut), kFile, catalog(), 1);
    if (parsed.has_value()) {
      EXPECT_EQ(formatSimHost(**parsed), text) << "cut at " << cut;
      continue;
    }
    ++errors;
    ASSERT_FALSE(parsed.error().empty());
    EXPECT_EQ(parsed.error().front().file, kFile);
    EXPECT_GT(parsed.error().front().line, 0) << "cut at " << cut;
  }
  EXPECT_GT(errors, 10);
}

TEST(SimStateTest, AssignmentsMustNameWhatTheFileHolds) {
  auto errors = errorsOf(smallFile(" assigned-to=\"Ghost\""));
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  EXPECT_EQ(errors[0].line, 5);
  EXPECT_THAT(errors[0].message, HasSubstr("Ghost"));

  errors = errorsOf(smallFile("", "    <assigned location=\"PCIROOT(0)#PCI(0900)#PCI(0000)\"/>\n"));
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  EXPECT_EQ(errors[0].line, 7);
  EXPECT_THAT(errors[0].message, HasSubstr("PCI(0900)"));
}

TEST(SimStateTest, BadValuesAndMissingPartsAreErrors) {
  struct Case {
    std::string from;
    std::string to;
    int line;
    const char* says;
  };
  const std::vector<Case> cases = {
      {"edition=\"server\"", "edition=\"datacenter\"", 3, "datacenter"},
      {"build=\"17763\"", "build=\"seventeen\"", 3, "seventeen"},
      {"present=\"true\"", "present=\"yes\"", 4, "yes"},
      {"need-low=\"16777216\"", "need-low=\"-1\"", 5, "need-low"},
      {"mounted=\"true\" ", "", 5, "'mounted'"},
      {"state=\"Running\"", "state=\"Paused\"", 6, "Paused"},
      {"stop-action=\"Save\"", "stop-action=\"Hibernate\"", 6, "Hibernate"},
      {"next-adapter-id=\"1\"", "next-adapter-id=\"x\"", 2, "next-adapter-id"},
      {"  <hyperv present=\"true\" enabled=\"true\"/>\n", "", 2, "<hyperv>"},
      {" guest-driver=\"true\"", " guest-driver=\"true\" colour=\"blue\"", 6, "colour"},
  };
  for (const auto& c : cases) {
    std::string text = smallFile();
    const auto at = text.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.from;
    text.replace(at, c.from.size(), c.to);
    auto errors = errorsOf(text);
    ASSERT_EQ(errors.size(), 1u) << c.to << "\n" << joined(errors);
    EXPECT_EQ(errors[0].line, c.line) << c.to;
    EXPECT_THAT(errors[0].message, HasSubstr(c.says)) << c.to;
  }
}

TEST(SimStateTest, DuplicatesAreErrors) {
  std::string text = smallFile();
  const auto gpuStart = text.find("  <gpu ");
  const auto gpuEnd = text.find('\n', gpuStart) + 1;
  text.insert(gpuEnd, text.substr(gpuStart, gpuEnd - gpuStart));
  auto errors = errorsOf(text);
  ASSERT_EQ(errors.size(), 2u) << joined(errors); // same location, same instance id
  EXPECT_EQ(errors[0].line, 6);
  EXPECT_EQ(errors[1].line, 6);
}

} // namespace
} // namespace hil::simulators
