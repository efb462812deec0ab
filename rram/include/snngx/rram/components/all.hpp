#pragma once
// Every chip component interface (see registry.hpp for how implementations are added).
#include "snngx/rram/components/adc.hpp"
#include "snngx/rram/components/adder_tree.hpp"
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
