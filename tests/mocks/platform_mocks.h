#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <gmock/gmock.h>

#include "framework/core/error.h"
#include "framework/platform/platform.h"

namespace hil::test_mocks {

/// GoogleMock backends of the seams in framework/platform/: one per seam, every pure method
/// mocked with its exact signature.
class MockHostOs : public platform::HostOs {
public:
  MOCK_METHOD(Result<platform::WindowsInfo>, windowsInfo, (), (const, override));
  MOCK_METHOD(Result<platform::HyperVFeature>, hypervFeature, (), (const, override));
};

class MockPnp : public platform::Pnp {
public:
  MOCK_METHOD(Result<std::vector<platform::PnpDevice>>, displayDevices, (), (const, override));
  MOCK_METHOD(Result<platform::LocationPath>, locationPath, (const platform::InstanceId& device),
              (const, override));
  MOCK_METHOD(Result<void>, disableDevice, (const platform::InstanceId& device), (override));
  MOCK_METHOD(Result<void>, enableDevice, (const platform::InstanceId& device), (override));
};

class MockHyperV : public platform::HyperV {
public:
  MOCK_METHOD(Result<platform::VmConfig>, vmConfig, (const platform::VmName& vm),
              (const, override));
  MOCK_METHOD(Result<void>, startVm, (const platform::VmName& vm), (override));
  MOCK_METHOD(Result<void>, stopVm, (const platform::VmName& vm), (override));
  MOCK_METHOD(Result<void>, setAutomaticStopAction,
              (const platform::VmName& vm, platform::StopAction action), (override));
  MOCK_METHOD(Result<void>, setMemoryMappedIo,
              (const platform::VmName& vm, platform::MmioSpace space), (override));
  MOCK_METHOD(Result<void>, setGuestControlledCacheTypes,
              (const platform::VmName& vm, bool enabled), (override));
  MOCK_METHOD(Result<std::vector<platform::LocationPath>>, hostAssignableDevices, (),
              (const, override));
  MOCK_METHOD(Result<void>, dismountHostDevice, (const platform::LocationPath& device, bool force),
              (override));
  MOCK_METHOD(Result<void>, mountHostDevice, (const platform::LocationPath& device), (override));
  MOCK_METHOD(Result<std::vector<platform::AssignedDevice>>, assignableDevices,
              (const platform::VmName& vm), (const, override));
  MOCK_METHOD(Result<void>, addAssignableDevice,
              (const platform::VmName& vm, const platform::LocationPath& device), (override));
  MOCK_METHOD(Result<void>, removeAssignableDevice,
              (const platform::VmName& vm, const platform::LocationPath& device), (override));
  MOCK_METHOD(Result<std::vector<platform::PartitionableGpu>>, partitionableGpus, (),
              (const, override));
  MOCK_METHOD(Result<std::vector<platform::GpuPartitionAdapter>>, gpuPartitionAdapters,
              (const platform::VmName& vm), (const, override));
  MOCK_METHOD(Result<platform::GpuPartitionAdapter>, addGpuPartitionAdapter,
              (const platform::VmName& vm, const std::string& instancePath), (override));
  MOCK_METHOD(Result<void>, removeGpuPartitionAdapter,
              (const platform::VmName& vm, const std::string& adapterId), (override));
};

class MockDrivers : public platform::Drivers {
public:
  MOCK_METHOD(Result<bool>, mitigationDriverInstalled, (const platform::InstanceId& device),
              (const, override));
  MOCK_METHOD(Result<bool>, wslDriverInstalled, (const platform::InstanceId& device),
              (const, override));
};

class MockGuest : public platform::Guest {
public:
  MOCK_METHOD(Result<platform::GuestOutput>, run, (const std::vector<std::string>& argv),
              (override));
};

/// One mock of each seam, wrapped alike: NiceMock (only what a test expects is checked) or
/// StrictMock (any call a test did not expect fails: "nothing happens" contracts).
template <template <class> class Wrap> struct MockPlatformT {
  Wrap<MockHostOs> host;
  Wrap<MockPnp> pnp;
  Wrap<MockHyperV> hyperv;
  Wrap<MockDrivers> drivers;
  Wrap<MockGuest> guest;

  /// The seams a flow borrows; the mocks outlive it.
  [[nodiscard]] platform::Platform platform() {
    return platform::Platform{host, pnp, hyperv, drivers, guest};
  }
};

using MockPlatform = MockPlatformT<testing::NiceMock>;
using StrictMockPlatform = MockPlatformT<testing::StrictMock>;

/// An action that fails with `code`: `.WillOnce(returnError<T>(ErrorCode::Timeout))` where the
/// method returns Result<T>. (A lambda rather than Return(): GCC 12 warns, -Wmaybe-uninitialized,
/// on copying a std::expected that holds an error.)
template <class T>
[[nodiscard]] auto returnError(ErrorCode code, std::string message = "injected by the test") {
  return [code, message](auto&&...) -> Result<T> { return fail(code, message); };
}

} // namespace hil::test_mocks

// Readable values in GoogleTest failure messages (found by argument-dependent lookup).
namespace hil {
inline void PrintTo(ErrorCode code, std::ostream* os) { *os << toString(code); }
inline void PrintTo(WarningCode code, std::ostream* os) { *os << toString(code); }
} // namespace hil

namespace hil::platform {
inline void PrintTo(StopAction action, std::ostream* os) { *os << toString(action); }
inline void PrintTo(VmState state, std::ostream* os) { *os << toString(state); }
inline void PrintTo(const MmioSpace& mmio, std::ostream* os) {
  *os << "low " << formatBytes(mmio.low) << " high " << formatBytes(mmio.high);
}
} // namespace hil::platform
