#pragma once
// Every chip component, and the one list of them (registry.hpp says how implementations are
// declared and added). ChipComponents drives the chip configuration: its defaults, validation,
// `snngx simulate --list-params` and the JSON report, in this order.
#include "snngx/rram/components/adc.hpp"
#include "snngx/rram/components/adder_tree.hpp"
#include "snngx/rram/components/aes_engine.hpp"
#include "snngx/rram/components/buffer.hpp"
#include "snngx/rram/components/controller.hpp"
#include "snngx/rram/components/crossbar.hpp"
#include "snngx/rram/components/decryption_unit.hpp"
#include "snngx/rram/components/io.hpp"
#include "snngx/rram/components/key_store.hpp"
#include "snngx/rram/components/lif.hpp"
#include "snngx/rram/components/shift_add.hpp"
#include "snngx/rram/components/technology.hpp"
#include "snngx/rram/components/wordline.hpp"

namespace snngx::rram {

template <class... Components>
struct ComponentList {};

using ChipComponents = ComponentList<ICrossbar, IWordlineDriver, IAdc, IShiftAdd, IAdderTree, IDecryptionUnit, IKeyStore,
                                     ILifUnit, Controller, ISpikeBuffer, IFrameInterface, ITechnology, AesEngine>;

}  // namespace snngx::rram
