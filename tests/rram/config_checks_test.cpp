// ChipConfig::refuse_ignored: a value the selected implementation ignores is refused (moved from
// `snngx simulate` into rram, which knows what its implementations read).
#include <gtest/gtest.h>

#include "snngx/io/errors.hpp"
#include "snngx/rram/config.hpp"

namespace snngx::rram {
namespace {

TEST(ChipConfigChecks, BitsOfTheIdealAdcAreRefusedWhateverTheOrderOfSettings) {
  ChipConfig cfg;
  ASSERT_EQ(cfg.impl("adc"), "ideal");
  EXPECT_NO_THROW(cfg.refuse_ignored("adc.bits", "x"));  // bits 0: nothing asked
  cfg.set("adc.bits", "6");
  try {
    cfg.refuse_ignored("adc.bits", "--set adc.bits=6");
    FAIL() << "not refused";
  } catch (const io::ParameterError& e) {
    EXPECT_EQ(e.render([](std::string_view p) { return "--" + std::string(p); }),
              "--set adc.bits=6: the ideal ADC ignores bits (it converts exactly; bits would change only its energy and area); "
              "add --set adc.impl=sar for a finite-resolution ADC");
    EXPECT_EQ(e.parameters(), std::vector<std::string>{"set"});
  }
  EXPECT_NO_THROW(cfg.refuse_ignored("crossbar.rows", "x"));  // only the ignored parameter is refused
  cfg.set("adc.impl", "sar");  // set after bits: the check runs on the final settings
  EXPECT_NO_THROW(cfg.refuse_ignored("adc.bits", "x"));
}

}  // namespace
}  // namespace snngx::rram
