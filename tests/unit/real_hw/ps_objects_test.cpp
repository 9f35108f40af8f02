#include "real_hw/ps_objects.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hil::real_hw {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Written by hand in the shape PowerShell's ConvertTo-Xml -As String prints (its
// CustomSerialization): CRLF line ends, two-space indentation, a null property without text, a
// string array as unnamed <Property> items.
constexpr const char* kLocationPaths =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"
    "<Objects>\r\n"
    "  <Object Type=\"System.Management.Automation.PSCustomObject\">\r\n"
    "    <Property Name=\"KeyName\" "
    "Type=\"System.String\">DEVPKEY_Device_LocationPaths</Property>\r\n"
    "    <Property Name=\"Data\" Type=\"System.String[]\">\r\n"
    "      <Property Type=\"System.String\">PCIROOT(0)#PCI(0300)#PCI(0000)</Property>\r\n"
    "      <Property "
    "Type=\"System.String\">ACPI(_SB_)#ACPI(PCI0)#ACPI(PEG0)#ACPI(PEGP)</Property>\r\n"
    "    </Property>\r\n"
    "    <Property Name=\"Comment\" Type=\"System.String\" />\r\n"
    "  </Object>\r\n"
    "</Objects>\r\n";

TEST(PsObjects, ReadsPropertiesCollectionsAndNulls) {
  auto objects = parsePsObjects(kLocationPaths);
  ASSERT_TRUE(objects) << objects.error().describe();
  ASSERT_EQ(objects->size(), 1u);
  const auto& o = objects->front();
  EXPECT_EQ(o.type, "System.Management.Automation.PSCustomObject");
  EXPECT_EQ(o.value("KeyName").value(), "DEVPKEY_Device_LocationPaths");
  EXPECT_THAT(o.items("Data").value(), ElementsAre("PCIROOT(0)#PCI(0300)#PCI(0000)",
                                                   "ACPI(_SB_)#ACPI(PCI0)#ACPI(PEG0)#ACPI(PEGP)"));
  EXPECT_TRUE(o.has("Comment"));
  EXPECT_EQ(o.value("Comment").value(), "");
  EXPECT_THAT(o.items("Comment").value(), IsEmpty());
}

TEST(PsObjects, NamesIgnoreCaseAsPowerShellDoes) {
  auto objects = parsePsObjects(kLocationPaths);
  ASSERT_TRUE(objects);
  EXPECT_EQ(objects->front().value("keyname").value(), "DEVPKEY_Device_LocationPaths");
  EXPECT_EQ(objects->front().items("DATA").value().size(), 2u);
}

TEST(PsObjects, AScalarIsOneItemAndAMissingPropertyIsAnError) {
  auto objects = parsePsObjects(kLocationPaths);
  ASSERT_TRUE(objects);
  EXPECT_THAT(objects->front().items("KeyName").value(),
              ElementsAre("DEVPKEY_Device_LocationPaths"));
  const auto missing = objects->front().value("InstanceId");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::OperationFailed);
  EXPECT_THAT(missing.error().message, HasSubstr("InstanceId"));
  EXPECT_FALSE(objects->front().items("InstanceId"));
  EXPECT_EQ(objects->front().valueOr("InstanceId", "none"), "none");
}

TEST(PsObjects, ReadsSeveralObjectsInPipelineOrder) {
  const std::string xml =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<Objects>\n"
      "  <Object Type=\"System.Management.Automation.PSCustomObject\">\n"
      "    <Property Name=\"InstanceId\" Type=\"System.String\">PCI\\VEN_10DE&amp;DEV_1EB8&amp;"
      "SUBSYS_12A210DE&amp;REV_A1\\4&amp;2B5B1D1B&amp;0&amp;0008</Property>\n"
      "    <Property Name=\"FriendlyName\" Type=\"System.String\">NVIDIA Tesla T4</Property>\n"
      "  </Object>\n"
      "  <Object Type=\"System.Management.Automation.PSCustomObject\">\n"
      "    <Property Name=\"InstanceId\" Type=\"System.String\">PCI\\VEN_10DE&amp;DEV_2504&amp;"
      "SUBSYS_397D1462&amp;REV_A1\\4&amp;1C3D25BB&amp;0&amp;0019</Property>\n"
      "    <Property Name=\"FriendlyName\" Type=\"System.String\">NVIDIA GeForce RTX 3060 — "
      "Ünïcödé</Property>\n"
      "  </Object>\n"
      "</Objects>";
  auto objects = parsePsObjects(xml);
  ASSERT_TRUE(objects) << objects.error().describe();
  ASSERT_EQ(objects->size(), 2u);
  EXPECT_EQ((*objects)[0].value("InstanceId").value(),
            "PCI\\VEN_10DE&DEV_1EB8&SUBSYS_12A210DE&REV_A1\\4&2B5B1D1B&0&0008");
  EXPECT_EQ((*objects)[1].value("FriendlyName").value(), "NVIDIA GeForce RTX 3060 — Ünïcödé");
}

TEST(PsObjects, ReadsNestedObjectsAsDottedNames) {
  const std::string xml =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<Objects>\n"
      "  <Object Type=\"Microsoft.HyperV.PowerShell.VirtualMachine\">\n"
      "    <Property Name=\"Name\" Type=\"System.String\">EFLOW</Property>\n"
      "    <Property Name=\"HardDrives\" Type=\"System.Collections.Generic.List`1["
      "Microsoft.HyperV.PowerShell.HardDiskDrive]\">\n"
      "      <Property Type=\"Microsoft.HyperV.PowerShell.HardDiskDrive\">Hard Drive on SCSI "
      "controller number 0 at location 0</Property>\n"
      "    </Property>\n"
      "    <Property Name=\"Memory\" Type=\"Microsoft.HyperV.PowerShell.VMMemory\">\n"
      "      <Property Name=\"Startup\" Type=\"System.Int64\">4294967296</Property>\n"
      "      <Property Name=\"DynamicMemoryEnabled\" Type=\"System.Boolean\">False</Property>\n"
      "    </Property>\n"
      "  </Object>\n"
      "</Objects>";
  auto objects = parsePsObjects(xml);
  ASSERT_TRUE(objects) << objects.error().describe();
  const auto& vm = objects->front();
  EXPECT_EQ(vm.value("Memory.Startup").value(), "4294967296");
  EXPECT_EQ(vm.value("Memory.DynamicMemoryEnabled").value(), "False");
  EXPECT_THAT(vm.items("HardDrives").value(),
              ElementsAre("Hard Drive on SCSI controller number 0 at location 0"));
}

TEST(PsObjects, ReadsAPrimitiveObjectAsText) {
  auto objects = parsePsObjects("<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Objects>\r\n"
                                "  <Object Type=\"System.Boolean\">True</Object>\r\n</Objects>");
  ASSERT_TRUE(objects) << objects.error().describe();
  ASSERT_EQ(objects->size(), 1u);
  EXPECT_EQ(objects->front().type, "System.Boolean");
  EXPECT_EQ(objects->front().text, "True");
  EXPECT_TRUE(objects->front().values.empty());
}

TEST(PsObjects, AnEmptyPipelineIsNoObjects) {
  // ConvertTo-Xml writes the root even when nothing came down the pipeline.
  for (const char* empty :
       {"<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Objects />",
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Objects/>\n", "<Objects></Objects>"}) {
    auto objects = parsePsObjects(empty);
    ASSERT_TRUE(objects) << empty << ": " << objects.error().describe();
    EXPECT_THAT(*objects, IsEmpty()) << empty;
  }
}

TEST(PsObjects, IgnoresTextAroundTheDocument) {
  auto objects = parsePsObjects(std::string{"\r\n\r\n"} + kLocationPaths + "\r\n\r\n");
  ASSERT_TRUE(objects) << objects.error().describe();
  EXPECT_EQ(objects->size(), 1u);
}

TEST(PsObjects, MissingOutputIsAClearError) {
  for (const char* nothing : {"", "   \r\n\r\n  "}) {
    auto objects = parsePsObjects(nothing);
    ASSERT_FALSE(objects);
    EXPECT_EQ(objects.error().code, ErrorCode::OperationFailed);
    EXPECT_THAT(objects.error().message, HasSubstr("no output"));
  }
}

TEST(PsObjects, OutputThatIsNotXmlIsQuoted) {
  auto objects = parsePsObjects("WARNING: The names of some imported commands include unapproved "
                                "verbs.\r\nGet-VM : Hyper-V was unable to find a virtual machine");
  ASSERT_FALSE(objects);
  EXPECT_EQ(objects.error().code, ErrorCode::OperationFailed);
  EXPECT_THAT(objects.error().message, HasSubstr("no <Objects>"));
  EXPECT_THAT(objects.error().message, HasSubstr("WARNING: The names of some imported commands"));
  EXPECT_EQ(objects.error().message.find('\n'), std::string::npos);
}

TEST(PsObjects, TruncatedOutputIsAnError) {
  const std::string text{kLocationPaths};
  auto objects = parsePsObjects(text.substr(0, text.size() / 2));
  ASSERT_FALSE(objects);
  EXPECT_EQ(objects.error().code, ErrorCode::OperationFailed);
  EXPECT_THAT(objects.error().message, HasSubstr("truncated"));
  EXPECT_THAT(objects.error().message, HasSubstr("<Objects>"));
}

TEST(PsObjects, MalformedXmlIsAnErrorQuotingWhatCame) {
  auto objects = parsePsObjects("<?xml version=\"1.0\"?><Objects><Object Type=\"x\"><Property "
                                "Name=\"A\">1</Object></Property></Objects>");
  ASSERT_FALSE(objects);
  EXPECT_EQ(objects.error().code, ErrorCode::OperationFailed);
  EXPECT_THAT(objects.error().message, HasSubstr("malformed"));
  EXPECT_THAT(objects.error().message, HasSubstr("<Property Name=\"A\">1</Object>"));
}

TEST(PsObjects, AnUnexpectedElementIsAnError) {
  auto objects = parsePsObjects("<Objects><Obj RefId=\"0\"><S>text</S></Obj></Objects>");
  ASSERT_FALSE(objects);
  EXPECT_EQ(objects.error().code, ErrorCode::OperationFailed);
  EXPECT_THAT(objects.error().message, HasSubstr("<Obj>"));
}

TEST(PsObjects, QuotesAreTruncatedOnOneLine) {
  const std::string noise = "line one\r\nline\ttwo\x1b[0m " + std::string(1000, 'x');
  auto objects = parsePsObjects(noise);
  ASSERT_FALSE(objects);
  EXPECT_LT(objects.error().message.size(), 300u);
  EXPECT_THAT(objects.error().message, HasSubstr("line one line two\\x1b[0m"));
  EXPECT_THAT(objects.error().message, HasSubstr("...\""));
}

TEST(PsObjects, ExcerptNeverCutsAUtf8Sequence) {
  const std::string text = std::string(9, 'a') + "é" + "rest"; // é is two bytes at 9 and 10
  EXPECT_EQ(excerpt(text, 10), std::string(9, 'a') + "...");
  EXPECT_EQ(excerpt(text, 11), std::string(9, 'a') + "é...");
  EXPECT_EQ(excerpt("short", 10), "short");
}

} // namespace
} // namespace hil::real_hw
