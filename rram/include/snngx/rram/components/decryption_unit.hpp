#pragma once
// The SNNGX decryption unit as a chip component (config key `decryption_unit`; built-ins
// "behavioural", "none"; rtl/ adds "rtl"). The contract itself is snngx/rram/decryption_unit.hpp;
// register_decryption_unit / make_decryption_unit there are this registry under another name.
#include "snngx/rram/components/registry.hpp"
#include "snngx/rram/decryption_unit.hpp"

namespace snngx::rram {

template <>
struct ComponentTraits<IDecryptionUnit> : ComponentKind<"decryption_unit", DecryptionParams> {};
template <>
ImplRegistry<IDecryptionUnit>& registry<IDecryptionUnit>();

}  // namespace snngx::rram
