// io::ParameterError: libraries name parameters in their own terms; a front end renders them.
#include <gtest/gtest.h>

#include "snngx/io/errors.hpp"

namespace snngx::io {
namespace {

std::string as_option(std::string_view p) {
  std::string o = "--" + std::string(p);
  for (auto& c : o) c = c == '_' ? '-' : c;
  return o;
}

TEST(ParameterError, WhatSaysThePlainWordsAndRenderTheFrontEndsNames) {
  const ParameterError e("{retain} * {population} must keep at least 2 parents ({subset_size} too)");
  EXPECT_STREQ(e.what(), "retain * population must keep at least 2 parents (subset size too)");
  EXPECT_EQ(e.render(as_option), "--retain * --population must keep at least 2 parents (--subset-size too)");
  EXPECT_EQ(e.parameters(), (std::vector<std::string>{"retain", "population", "subset_size"}));
  EXPECT_EQ(e.message_template(), "{retain} * {population} must keep at least 2 parents ({subset_size} too)");
}

TEST(ParameterError, LiteralBracesAndMalformedPlaceholdersStayText) {
  const ParameterError e(ParameterError::literal("/d/{a}.key") + ": give {device_key}; {not a name} {} {x");
  EXPECT_STREQ(e.what(), "/d/{a}.key: give device key; {not a name} {} {x");
  EXPECT_EQ(e.render(as_option), "/d/{a}.key: give --device-key; {not a name} {} {x");
  EXPECT_EQ(e.parameters(), std::vector<std::string>{"device_key"});
  EXPECT_EQ(ParameterError::literal("a{{b}"), "a{{{{b}");
}

TEST(ParameterError, IsAnInvalidArgument) {
  EXPECT_THROW(throw ParameterError("{mode}: unknown mode 'x'"), std::invalid_argument);
}

}  // namespace
}  // namespace snngx::io
