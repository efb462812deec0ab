#pragma once
// The SNNGX decryption unit as a chip component (config key `decryption_unit`; built-ins
// "behavioural", "none"; rtl/ registers "rtl"). The engine contract is
// snngx/rram/decryption_unit.hpp. Its factories take DecryptionParams (the engine's geometry),
// not the whole chip config: the chip derives them (rows and columns of a tile, lanes).
#include <memory>
#include <string>

#include "snngx/rram/components/registry.hpp"
#include "snngx/rram/decryption_unit.hpp"

namespace snngx::rram {

template <>
struct ComponentTraits<IDecryptionUnit> : ComponentKind<"decryption_unit", DecryptionParams> {};
template <>
ImplRegistry<IDecryptionUnit>& registry<IDecryptionUnit>();

/// Builds engine implementation `impl`; "none" returns nullptr (a chip without the unit).
/// Throws std::invalid_argument naming an unknown implementation or a bad parameter.
std::unique_ptr<IDecryptionUnit> make_decryption_unit(const std::string& impl, const DecryptionParams& params);

}  // namespace snngx::rram
