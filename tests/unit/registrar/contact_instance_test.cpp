#include "registrar/contact_instance.hpp"

#include <gtest/gtest.h>

#include <string>

namespace osprey::registrar {
namespace {

constexpr std::string_view kUuid = "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6";

std::optional<ContactInstance> instance_of(std::string_view contact_value) {
  auto parsed = sip::parse_contact(contact_value);
  if (!parsed || parsed->contacts.size() != 1) {
    ADD_FAILURE() << "test Contact does not parse: " << contact_value;
    return std::nullopt;
  }
  return contact_instance(parsed->contacts.front());
}

TEST(CanonicalInstance, StripsQuotesAndAngleBrackets) {
  EXPECT_EQ(canonical_instance("\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\""), kUuid);
  // Leniency: the grammar wants both, some UAs send less.
  EXPECT_EQ(canonical_instance("<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>"), kUuid);
  EXPECT_EQ(canonical_instance("\"urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6\""), kUuid);
}

TEST(CanonicalInstance, UuidUrnsCompareCaseInsensitively) {
  // RFC 8141 §3.1: "urn:" and the NID; RFC 4122 §3: the hex digits.
  EXPECT_EQ(canonical_instance("\"<URN:UUID:F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6>\""), kUuid);
  EXPECT_EQ(canonical_instance("\"<Urn:Uuid:f81d4FAE-7dec-11d0-A765-00a0c91e6bf6>\""), kUuid);
}

TEST(CanonicalInstance, OtherUrnsKeepTheirNss) {
  EXPECT_EQ(canonical_instance("\"<URN:GSMA:imei:90420156-025763-0>\""), "urn:gsma:imei:90420156-025763-0");
  EXPECT_NE(canonical_instance("\"<urn:example:ABC>\""), canonical_instance("\"<urn:example:abc>\""));
}

TEST(CanonicalInstance, MalformedValuesAreNoInstance) {
  EXPECT_EQ(canonical_instance(""), std::nullopt);
  EXPECT_EQ(canonical_instance("\"<>\""), std::nullopt);
  EXPECT_EQ(canonical_instance("\"<sip:alice@example.com>\""), std::nullopt);  // not a URN
  EXPECT_EQ(canonical_instance("\"<urn:uuid>\""), std::nullopt);               // no NSS
  EXPECT_EQ(canonical_instance("\"<urn:uuid:>\""), std::nullopt);
  EXPECT_EQ(canonical_instance("\"<urn:x:abc>\""), std::nullopt);  // NID of one character
  EXPECT_EQ(canonical_instance("\"<urn:-ab:abc>\""), std::nullopt);
  EXPECT_EQ(canonical_instance("\"<urn:uuid:not-a-uuid>\""), std::nullopt);
  EXPECT_EQ(canonical_instance("\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6x>\""), std::nullopt);
  EXPECT_EQ(canonical_instance("\"<urn:uuid:g81d4fae-7dec-11d0-a765-00a0c91e6bf6>\""), std::nullopt);
  EXPECT_EQ(canonical_instance("\"<urn:example:a b>\""), std::nullopt);
  EXPECT_EQ(canonical_instance("\"<urn:example:a\\\"b>\""), std::nullopt);
  EXPECT_EQ(canonical_instance("\"<urn:example:a%2>\""), std::nullopt);
  EXPECT_EQ(canonical_instance("\"<urn:example:a?q=1>\""), std::nullopt);
}

TEST(CanonicalInstance, LengthIsBounded) {
  const std::string longest = "urn:example:" + std::string(kMaxInstanceLength - 12, 'a');
  EXPECT_EQ(canonical_instance("\"<" + longest + ">\""), longest);
  EXPECT_EQ(canonical_instance("\"<" + longest + "a>\""), std::nullopt);
}

TEST(ContactInstance, ReadsInstanceAndRegId) {
  auto device = instance_of(
      "<sip:alice@192.0.2.4:40001;transport=tcp>;expires=600;"
      "+sip.instance=\"<urn:uuid:F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6>\";reg-id=2");
  ASSERT_TRUE(device);
  EXPECT_EQ(device->instance, kUuid);
  EXPECT_EQ(device->reg_id, 2u);
}

TEST(ContactInstance, ParameterNamesAreCaseInsensitive) {
  // RFC 3261 §7.3.1: header parameter names are case-insensitive.
  auto device =
      instance_of("<sip:alice@192.0.2.4>;+SIP.Instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\"");
  ASSERT_TRUE(device);
  EXPECT_EQ(device->instance, kUuid);
  EXPECT_EQ(device->reg_id, 0u);
}

TEST(ContactInstance, NoInstanceOrAMalformedOneIsNone) {
  EXPECT_EQ(instance_of("<sip:alice@192.0.2.4>;expires=60"), std::nullopt);
  EXPECT_EQ(instance_of("<sip:alice@192.0.2.4>;+sip.instance=\"<mailto:alice@example.com>\""), std::nullopt);
  EXPECT_EQ(instance_of("<sip:alice@192.0.2.4>;+sip.instance"), std::nullopt);
  // A reg-id without an instance means nothing (RFC 5626 §6 keys on the instance).
  EXPECT_EQ(instance_of("<sip:alice@192.0.2.4>;reg-id=1"), std::nullopt);
}

TEST(ContactInstance, AMalformedRegIdMakesTheKeyAmbiguousSoNoInstance) {
  const std::string uri =
      "<sip:alice@192.0.2.4>;+sip.instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\"";
  EXPECT_EQ(instance_of(uri + ";reg-id=0"), std::nullopt);  // RFC 5626 §4.2: 1 to 2^31-1
  EXPECT_EQ(instance_of(uri + ";reg-id=2147483648"), std::nullopt);
  EXPECT_EQ(instance_of(uri + ";reg-id=99999999999999999999"), std::nullopt);
  EXPECT_EQ(instance_of(uri + ";reg-id=x1"), std::nullopt);
  EXPECT_EQ(instance_of(uri + ";reg-id"), std::nullopt);
  auto highest = instance_of(uri + ";reg-id=2147483647");
  ASSERT_TRUE(highest);
  EXPECT_EQ(highest->reg_id, 2147483647u);
}

}  // namespace
}  // namespace osprey::registrar
