#include "framework/flows/prerequisites.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "tests/mocks/platform_mocks.h"

namespace hil::flows {
namespace {

using platform::DeviceStatus;
using platform::Edition;
using platform::HyperVFeature;
using platform::InstanceId;
using platform::PartitionableGpu;
using platform::PnpDevice;
using platform::Technique;
using platform::WindowsBuild;
using platform::WindowsInfo;
using test_mocks::MockPlatform;
using test_mocks::returnError;
using test_mocks::StrictMockPlatform;
using testing::AnyNumber;
using testing::ElementsAre;
using testing::Return;
using Passthrough = DeployRequest::Passthrough;

const InstanceId kT4Id = "PCI\\VEN_10DE&DEV_1EB8&SUBSYS_12A210DE&REV_A1\\4&1&0&0008";
const InstanceId kT4SecondId = "PCI\\VEN_10DE&DEV_1EB8&SUBSYS_12A210DE&REV_A1\\4&2&0&0010";
const InstanceId kRtxId = "PCI\\VEN_10DE&DEV_2503&SUBSYS_397D1462&REV_A1\\4&2B0E2D5A&0&0008";
const InstanceId kAmdId = "PCI\\VEN_1002&DEV_73E3&SUBSYS_0E0D1002&REV_00\\6&1A3E2E5B&0&00000008";
const std::string kRtxPartitionName = "\\\\?\\PCI#VEN_10DE&DEV_2503&SUBSYS_397D1462&REV_A1#4&"
                                      "2b0e2d5a&0&0008#{064092b3-625e-43bf-9eb5-dc845897dd59}";

PnpDevice t4(const InstanceId& id = kT4Id) {
  return {id, "NVIDIA Tesla T4", {0x10de, 0x1eb8}, DeviceStatus::Ok};
}

PnpDevice rtx3060() {
  return {kRtxId, "NVIDIA GeForce RTX 3060", {0x10de, 0x2503}, DeviceStatus::Ok};
}

PnpDevice radeonW6600() {
  return {kAmdId, "AMD Radeon PRO W6600", {0x1002, 0x73e3}, DeviceStatus::Ok};
}

DeployRequest t4Request() {
  DeployRequest request;
  request.gpuName = "NVIDIA Tesla T4";
  return request;
}

DeployRequest rtxRequest() {
  DeployRequest request;
  request.gpuName = "NVIDIA GeForce RTX 3060";
  return request;
}

std::vector<ErrorCode> codesOf(const std::vector<Error>& errors) {
  std::vector<ErrorCode> codes;
  for (const auto& e : errors) {
    codes.push_back(e.code);
  }
  return codes;
}

/// What the checker sees of a host; answered by the mocks' query methods.
struct HostView {
  WindowsInfo windows{Edition::Server, {17763, 0}};
  HyperVFeature feature{true, true};
  std::vector<PnpDevice> devices{t4()};
  bool mitigationDriver = true;
  bool wslDriver = false;
  std::vector<PartitionableGpu> partitionable;

  void geforceWorkstation(bool wsl = true) {
    windows = {Edition::Professional, {20145, 0}};
    devices = {rtx3060()};
    mitigationDriver = false;
    wslDriver = wsl;
    partitionable = {PartitionableGpu{kRtxPartitionName, kRtxId, 32}};
  }
};

/// Answers every query the checker may make from `view`.
template <class Platform> void answerQueries(Platform& mocks, const HostView& view) {
  ON_CALL(mocks.host, windowsInfo).WillByDefault([&view]() -> Result<WindowsInfo> {
    return view.windows;
  });
  ON_CALL(mocks.host, hypervFeature).WillByDefault([&view]() -> Result<HyperVFeature> {
    return view.feature;
  });
  ON_CALL(mocks.pnp, displayDevices).WillByDefault([&view]() -> Result<std::vector<PnpDevice>> {
    return view.devices;
  });
  ON_CALL(mocks.drivers, mitigationDriverInstalled)
      .WillByDefault([&view](const InstanceId&) -> Result<bool> { return view.mitigationDriver; });
  ON_CALL(mocks.drivers, wslDriverInstalled)
      .WillByDefault([&view](const InstanceId&) -> Result<bool> { return view.wslDriver; });
  ON_CALL(mocks.hyperv, partitionableGpus)
      .WillByDefault(
          [&view]() -> Result<std::vector<PartitionableGpu>> { return view.partitionable; });
}

class PrerequisitesTest : public testing::Test {
protected:
  PrerequisitesTest() { answerQueries(mocks_, view_); }

  Result<PrerequisiteReport> check(const DeployRequest& request) {
    auto platform = mocks_.platform();
    return checkPrerequisites(platform, catalog_, rules_, request);
  }

  HostView view_;
  MockPlatform mocks_;
  const data::GpuCatalog& catalog_ = data::GpuCatalog::builtin();
  data::RulesProfile rules_ = *data::RulesProfile::builtin("eflow-2021-preview");
};

TEST_F(PrerequisitesTest, HealthyT4ServerPasses) {
  const auto report = check(t4Request());

  ASSERT_TRUE(report.has_value()) << report.error().describe();
  EXPECT_TRUE(report->passed());
  EXPECT_TRUE(report->failures.empty());
  EXPECT_TRUE(report->warnings.empty());
  ASSERT_TRUE(report->selection.has_value());
  EXPECT_EQ(report->selection->technique, Technique::DirectDeviceAssignment);
  ASSERT_NE(report->selection->model, nullptr);
  EXPECT_EQ(report->selection->model->id, "tesla-t4");
  EXPECT_THAT(report->selection->devices, ElementsAre(t4()));
  EXPECT_THAT(report->selection->mitigationDriver, ElementsAre(true));
}

// ---------------------------------------------------------------------------------------------
// Each rule alone.

struct RuleCase {
  const char* name;
  void (*arrange)(HostView&, DeployRequest&);
  ErrorCode code;
};

class PrerequisiteRuleTest : public PrerequisitesTest,
                             public testing::WithParamInterface<RuleCase> {};

TEST_P(PrerequisiteRuleTest, FailsWithItsCodeAlone) {
  auto request = t4Request();
  GetParam().arrange(view_, request);

  const auto report = check(request);

  ASSERT_TRUE(report.has_value()) << report.error().describe();
  EXPECT_FALSE(report->passed());
  EXPECT_THAT(codesOf(report->failures), ElementsAre(GetParam().code));
  EXPECT_FALSE(report->selection.has_value());
}

const RuleCase kRules[] = {
    {"HomeEdition",
     [](HostView& v, DeployRequest&) {
       v.windows = {Edition::Home, {22631, 0}};
       v.feature = {false, false};
     },
     ErrorCode::UnsupportedEdition},
    {"HypervDisabled", [](HostView& v, DeployRequest&) { v.feature.enabled = false; },
     ErrorCode::HypervUnavailable},
    {"HypervNotInstalled",
     [](HostView& v, DeployRequest&) {
       v.feature = {false, false};
     },
     ErrorCode::HypervUnavailable},
    {"GpuNameNotFound", [](HostView&, DeployRequest& r) { r.gpuName = "NVIDIA Tesla V100"; },
     ErrorCode::GpuNotFound},
    {"NoDisplayDevice", [](HostView& v, DeployRequest&) { v.devices.clear(); },
     ErrorCode::GpuNotFound},
    {"NoDisplayDeviceAndNoGpuName",
     [](HostView& v, DeployRequest& r) {
       v.devices.clear();
       r.gpuName.reset();
     },
     ErrorCode::GpuNotFound},
    {"GpuCountMoreThanMatch", [](HostView&, DeployRequest& r) { r.gpuCount = 2; },
     ErrorCode::GpuCount},
    {"GpuCountZero", [](HostView&, DeployRequest& r) { r.gpuCount = 0; }, ErrorCode::GpuCount},
    {"GpuPvCountTwo",
     [](HostView& v, DeployRequest& r) {
       v.geforceWorkstation();
       v.devices.push_back(rtx3060());
       r = rtxRequest();
       r.gpuCount = 2;
     },
     ErrorCode::GpuCount},
    {"AmdUnsupported",
     [](HostView& v, DeployRequest& r) {
       v.devices = {radeonW6600()};
       r.gpuName = "AMD Radeon PRO W6600";
     },
     ErrorCode::UnsupportedGpu},
    {"NotInCatalog",
     [](HostView& v, DeployRequest& r) {
       v.devices = {PnpDevice{"PCI\\VEN_10DE&DEV_20B5&SUBSYS_153310DE&REV_A1\\4&1&0&0008",
                              "NVIDIA A100 80GB PCIe",
                              {0x10de, 0x20b5},
                              DeviceStatus::Ok}};
       r.gpuName = "NVIDIA A100 80GB PCIe";
     },
     ErrorCode::UnsupportedGpu},
    {"GpuPvForT4",
     [](HostView&, DeployRequest& r) { r.passthrough = Passthrough::ParaVirtualization; },
     ErrorCode::MethodNotSupported},
    {"GpuPvForT4OnProfessional",
     [](HostView& v, DeployRequest& r) {
       v.windows = {Edition::Professional, {22000, 0}};
       r.passthrough = Passthrough::ParaVirtualization;
     },
     ErrorCode::MethodNotSupported},
    {"DdaForGeForce",
     [](HostView& v, DeployRequest& r) {
       v.geforceWorkstation();
       r = rtxRequest();
       r.passthrough = Passthrough::DirectDeviceAssignment;
     },
     ErrorCode::MethodNotSupported},
    {"GeForceNotPartitionable",
     [](HostView& v, DeployRequest& r) {
       v.geforceWorkstation();
       v.partitionable.clear();
       r = rtxRequest();
     },
     ErrorCode::MethodNotSupported},
    {"OldServerBuild",
     [](HostView& v, DeployRequest&) {
       v.windows.build = {17134, 0};
     },
     ErrorCode::UnsupportedBuild},
    {"GeForceOnServer",
     [](HostView& v, DeployRequest& r) {
       v.geforceWorkstation();
       v.windows = {Edition::Server, {20348, 0}};
       r = rtxRequest();
     },
     ErrorCode::UnsupportedEdition},
    {"T4OnIotEnterprise",
     [](HostView& v, DeployRequest&) {
       v.windows = {Edition::IotEnterprise, {22000, 0}};
     },
     ErrorCode::UnsupportedEdition},
    {"GeForceWithoutWslDriver",
     [](HostView& v, DeployRequest& r) {
       v.geforceWorkstation(/*wsl=*/false);
       r = rtxRequest();
     },
     ErrorCode::DriverMissing},
    {"SeveralModelsAndNoGpuName",
     [](HostView& v, DeployRequest& r) {
       v.devices = {t4(), rtx3060()};
       r.gpuName.reset();
     },
     ErrorCode::InvalidRequest},
};

INSTANTIATE_TEST_SUITE_P(EachRule, PrerequisiteRuleTest, testing::ValuesIn(kRules),
                         [](const testing::TestParamInfo<RuleCase>& info) {
                           return std::string{info.param.name};
                         });

// ---------------------------------------------------------------------------------------------
// Minimum builds, at the edge.

struct BuildCase {
  const char* name;
  Edition edition;
  WindowsBuild build;
  bool geforce;
  bool passes;
};

class PrerequisiteBuildTest : public PrerequisitesTest,
                              public testing::WithParamInterface<BuildCase> {};

TEST_P(PrerequisiteBuildTest, PassesFromTheMinimumBuildOn) {
  const auto& param = GetParam();
  if (param.geforce) {
    view_.geforceWorkstation();
  }
  view_.windows = {param.edition, param.build};

  const auto report = check(param.geforce ? rtxRequest() : t4Request());

  ASSERT_TRUE(report.has_value()) << report.error().describe();
  if (param.passes) {
    EXPECT_TRUE(report->passed());
    EXPECT_TRUE(report->selection.has_value());
  } else {
    EXPECT_THAT(codesOf(report->failures), ElementsAre(ErrorCode::UnsupportedBuild));
  }
}

const BuildCase kBuilds[] = {
    {"T4Server17762", Edition::Server, {17762, 0}, false, false},
    {"T4Server17762WithRevision", Edition::Server, {17762, 9999}, false, false},
    {"T4Server17763", Edition::Server, {17763, 0}, false, true},
    {"T4Server20348", Edition::Server, {20348, 0}, false, true},
    {"T4Professional21317", Edition::Professional, {21317, 0}, false, false},
    {"T4Professional21318", Edition::Professional, {21318, 0}, false, true},
    {"T4Enterprise21317", Edition::Enterprise, {21317, 0}, false, false},
    {"T4Enterprise21318", Edition::Enterprise, {21318, 0}, false, true},
    {"GeForceProfessional20144", Edition::Professional, {20144, 0}, true, false},
    {"GeForceProfessional20145", Edition::Professional, {20145, 0}, true, true},
    {"GeForceEnterprise20144", Edition::Enterprise, {20144, 0}, true, false},
    {"GeForceEnterprise20145", Edition::Enterprise, {20145, 0}, true, true},
};

INSTANTIATE_TEST_SUITE_P(Edges, PrerequisiteBuildTest, testing::ValuesIn(kBuilds),
                         [](const testing::TestParamInfo<BuildCase>& info) {
                           return std::string{info.param.name};
                         });

TEST_F(PrerequisitesTest, BuildRevisionsCompareNumericallyInTheCurrentProfile) {
  rules_ = *data::RulesProfile::builtin("eflow-current");
  view_.geforceWorkstation();

  view_.windows = {Edition::Professional, {19044, 1619}};
  const auto before = check(rtxRequest());
  view_.windows = {Edition::Professional, {19044, 1620}};
  const auto at = check(rtxRequest());
  view_.windows = {Edition::Professional, {19045, 0}};
  const auto after = check(rtxRequest());

  ASSERT_TRUE(before.has_value() && at.has_value() && after.has_value());
  EXPECT_THAT(codesOf(before->failures), ElementsAre(ErrorCode::UnsupportedBuild));
  EXPECT_TRUE(at->passed());
  EXPECT_TRUE(after->passed());
}

// ---------------------------------------------------------------------------------------------
// Several failures: all reported, in the design doc's precedence order.

TEST_F(PrerequisitesTest, SeveralFailuresAreAllReportedInPrecedenceOrder) {
  view_.feature.enabled = false;
  view_.windows.build = {17762, 0};
  auto request = t4Request();
  request.gpuCount = 2;

  const auto report = check(request);

  ASSERT_TRUE(report.has_value()) << report.error().describe();
  EXPECT_THAT(
      codesOf(report->failures),
      ElementsAre(ErrorCode::HypervUnavailable, ErrorCode::GpuCount, ErrorCode::UnsupportedBuild));
  EXPECT_FALSE(report->selection.has_value());
}

TEST_F(PrerequisitesTest, FailuresFoundOutOfOrderAreSorted) {
  // gpu-count is found before the name fails to match, and sorts after gpu-not-found.
  view_.windows.edition = Edition::Home;
  view_.feature = {false, false};
  auto request = t4Request();
  request.gpuCount = 0;
  request.gpuName = "NVIDIA Tesla V100";

  const auto report = check(request);

  ASSERT_TRUE(report.has_value()) << report.error().describe();
  EXPECT_THAT(codesOf(report->failures), ElementsAre(ErrorCode::UnsupportedEdition,
                                                     ErrorCode::GpuNotFound, ErrorCode::GpuCount));
}

TEST_F(PrerequisitesTest, BuildAndDriverFailuresComeAfterHyperV) {
  view_.geforceWorkstation(/*wsl=*/false);
  view_.windows.build = {20144, 0};
  view_.feature.enabled = false;

  const auto report = check(rtxRequest());

  ASSERT_TRUE(report.has_value()) << report.error().describe();
  EXPECT_THAT(codesOf(report->failures),
              ElementsAre(ErrorCode::HypervUnavailable, ErrorCode::UnsupportedBuild,
                          ErrorCode::DriverMissing));
}

TEST_F(PrerequisitesTest, EveryFailureIsSortedByCode) {
  view_.windows.edition = Edition::Home;
  view_.feature = {false, false};
  view_.devices = {t4(), rtx3060()};
  auto request = t4Request();
  request.gpuName.reset();
  request.gpuCount = -3;

  const auto report = check(request);

  ASSERT_TRUE(report.has_value()) << report.error().describe();
  const auto codes = codesOf(report->failures);
  EXPECT_THAT(codes, ElementsAre(ErrorCode::InvalidRequest, ErrorCode::UnsupportedEdition,
                                 ErrorCode::GpuCount));
  EXPECT_TRUE(std::is_sorted(codes.begin(), codes.end()));
}

// ---------------------------------------------------------------------------------------------
// Technique selection and the mitigation warning.

TEST_F(PrerequisitesTest, AutoPicksDdaForT4) {
  const auto report = check(t4Request());

  ASSERT_TRUE(report.has_value() && report->selection.has_value());
  EXPECT_EQ(report->selection->technique, Technique::DirectDeviceAssignment);
}

TEST_F(PrerequisitesTest, AutoPicksDdaForT4OnProfessional) {
  view_.windows = {Edition::Professional, {21318, 0}};

  const auto report = check(t4Request());

  ASSERT_TRUE(report.has_value() && report->selection.has_value());
  EXPECT_EQ(report->selection->technique, Technique::DirectDeviceAssignment);
}

TEST_F(PrerequisitesTest, AutoPicksGpuPvForGeForce) {
  view_.geforceWorkstation();

  const auto report = check(rtxRequest());

  ASSERT_TRUE(report.has_value()) << report.error().describe();
  ASSERT_TRUE(report->selection.has_value());
  EXPECT_EQ(report->selection->technique, Technique::ParaVirtualization);
  ASSERT_NE(report->selection->model, nullptr);
  EXPECT_EQ(report->selection->model->id, "geforce-rtx-3060");
  EXPECT_TRUE(report->warnings.empty()); // no mitigation driver is needed for GPU-PV
}

TEST_F(PrerequisitesTest, GpuPvWithTooManyGpusReportsGpuCountOnce) {
  view_.geforceWorkstation();
  auto request = rtxRequest();
  request.gpuCount = 2;

  const auto report = check(request);

  ASSERT_TRUE(report.has_value()) << report.error().describe();
  const auto counts = std::count_if(report->failures.begin(), report->failures.end(),
                                    [](const Error& e) { return e.code == ErrorCode::GpuCount; });
  EXPECT_EQ(counts, 1);
  ASSERT_FALSE(report->failures.empty());
  EXPECT_EQ(report->failures.front().code, ErrorCode::GpuCount);
}

TEST_F(PrerequisitesTest, NoGpuNameSelectsTheOnlyModel) {
  view_.devices = {t4(), t4(kT4SecondId)};
  auto request = t4Request();
  request.gpuName.reset();
  request.gpuCount = 2;

  const auto report = check(request);

  ASSERT_TRUE(report.has_value() && report->selection.has_value());
  EXPECT_THAT(report->selection->devices, ElementsAre(t4(), t4(kT4SecondId)));
}

TEST_F(PrerequisitesTest, GpuCountSelectsTheFirstDevicesInHostOrder) {
  view_.devices = {rtx3060(), t4(), t4(kT4SecondId)};

  const auto report = check(t4Request());

  ASSERT_TRUE(report.has_value() && report->selection.has_value());
  EXPECT_THAT(report->selection->devices, ElementsAre(t4()));
}

TEST_F(PrerequisitesTest, MissingMitigationDriverIsAWarningNotAFailure) {
  view_.mitigationDriver = false;

  const auto report = check(t4Request());

  ASSERT_TRUE(report.has_value()) << report.error().describe();
  EXPECT_TRUE(report->passed());
  EXPECT_THAT(report->warnings, ElementsAre(WarningCode::MitigationDriverMissing));
  ASSERT_TRUE(report->selection.has_value());
  EXPECT_THAT(report->selection->mitigationDriver, ElementsAre(false));
}

TEST_F(PrerequisitesTest, MitigationWarningIsReportedOncePerRequest) {
  view_.mitigationDriver = false;
  view_.devices = {t4(), t4(kT4SecondId)};
  auto request = t4Request();
  request.gpuCount = 2;

  const auto report = check(request);

  ASSERT_TRUE(report.has_value()) << report.error().describe();
  EXPECT_THAT(report->warnings, ElementsAre(WarningCode::MitigationDriverMissing));
  ASSERT_TRUE(report->selection.has_value());
  EXPECT_THAT(report->selection->mitigationDriver, ElementsAre(false, false));
}

TEST_F(PrerequisitesTest, MitigationWarningPerDevice) {
  view_.devices = {t4(), t4(kT4SecondId)};
  ON_CALL(mocks_.drivers, mitigationDriverInstalled(kT4SecondId))
      .WillByDefault(Return(Result<bool>{false}));
  auto request = t4Request();
  request.gpuCount = 2;

  const auto report = check(request);

  ASSERT_TRUE(report.has_value() && report->selection.has_value());
  EXPECT_THAT(report->selection->mitigationDriver, ElementsAre(true, false));
  EXPECT_THAT(report->warnings, ElementsAre(WarningCode::MitigationDriverMissing));
}

// ---------------------------------------------------------------------------------------------
// Queries only, and their errors.

TEST(PrerequisitesStrictTest, CallsOnlyConstQueryMethods) {
  HostView view;
  StrictMockPlatform mocks;
  answerQueries(mocks, view);
  EXPECT_CALL(mocks.host, windowsInfo).Times(AnyNumber());
  EXPECT_CALL(mocks.host, hypervFeature).Times(AnyNumber());
  EXPECT_CALL(mocks.pnp, displayDevices).Times(AnyNumber());
  EXPECT_CALL(mocks.pnp, locationPath).Times(AnyNumber());
  EXPECT_CALL(mocks.hyperv, vmConfig).Times(AnyNumber());
  EXPECT_CALL(mocks.hyperv, hostAssignableDevices).Times(AnyNumber());
  EXPECT_CALL(mocks.hyperv, assignableDevices).Times(AnyNumber());
  EXPECT_CALL(mocks.hyperv, partitionableGpus).Times(AnyNumber());
  EXPECT_CALL(mocks.hyperv, gpuPartitionAdapters).Times(AnyNumber());
  EXPECT_CALL(mocks.drivers, mitigationDriverInstalled).Times(AnyNumber());
  EXPECT_CALL(mocks.drivers, wslDriverInstalled).Times(AnyNumber());
  // No expectation for any mutating method or the guest: any such call fails the test.
  const auto& catalog = data::GpuCatalog::builtin();
  const auto rules = *data::RulesProfile::builtin("eflow-2021-preview");
  auto platform = mocks.platform();

  DeployRequest dda;
  dda.gpuName = "NVIDIA Tesla T4";
  const auto passed = checkPrerequisites(platform, catalog, rules, dda);
  dda.gpuCount = 3;
  const auto failed = checkPrerequisites(platform, catalog, rules, dda);
  view.geforceWorkstation();
  DeployRequest gpuPv;
  gpuPv.gpuName = "NVIDIA GeForce RTX 3060";
  gpuPv.passthrough = Passthrough::ParaVirtualization;
  const auto partitioned = checkPrerequisites(platform, catalog, rules, gpuPv);

  ASSERT_TRUE(passed.has_value() && failed.has_value() && partitioned.has_value());
  EXPECT_TRUE(passed->passed());
  EXPECT_THAT(codesOf(failed->failures), ElementsAre(ErrorCode::GpuCount));
  EXPECT_TRUE(partitioned->passed());
}

TEST_F(PrerequisitesTest, AQueryErrorIsReturnedWithItsCode) {
  ON_CALL(mocks_.pnp, displayDevices)
      .WillByDefault(returnError<std::vector<PnpDevice>>(ErrorCode::Timeout));

  const auto report = check(t4Request());

  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().code, ErrorCode::Timeout);
}

TEST_F(PrerequisitesTest, ADriverQueryErrorIsReturnedWithItsCode) {
  view_.geforceWorkstation();
  ON_CALL(mocks_.drivers, wslDriverInstalled)
      .WillByDefault(returnError<bool>(ErrorCode::OperationFailed));

  const auto report = check(rtxRequest());

  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().code, ErrorCode::OperationFailed);
}

TEST(ModelOfTest, FindsCatalogModelsByPciId) {
  const auto& catalog = data::GpuCatalog::builtin();

  const auto* t4Model = modelOf(catalog, {0x10de, 0x1eb8});
  const auto* rtxModel = modelOf(catalog, {0x10de, 0x2503});
  const auto* amdModel = modelOf(catalog, {0x1002, 0x73e3});

  ASSERT_NE(t4Model, nullptr);
  EXPECT_EQ(t4Model->name, "NVIDIA Tesla T4");
  ASSERT_NE(rtxModel, nullptr);
  EXPECT_EQ(rtxModel->id, "geforce-rtx-3060");
  ASSERT_NE(amdModel, nullptr);
  EXPECT_EQ(amdModel->id, "radeon-pro-w6600");
  EXPECT_EQ(modelOf(catalog, {0x10de, 0x0001}), nullptr);
}

} // namespace
} // namespace hil::flows
