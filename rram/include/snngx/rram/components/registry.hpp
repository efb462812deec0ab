#pragma once
// One registry template for every chip component (crossbar, wordline, adc, shift_add,
// adder_tree, decryption_unit, key_store, lif, controller, buffer, io, technology):
// implementations are created by name, the name a chip config selects with
// `<component>: {impl: NAME}`. A component interface declares a ComponentTraits specialisation
// (its config key and what its factories take) and the registry<I>() specialisation that its
// source defines with the built-in implementations.
//
// Adding an implementation (from a test or another library, as rtl/ does for the decryption
// unit):
//   register_component<IAdc>(derived_spec("adc", "ideal", "gain2", "an ADC with gain 2"),
//                            [](const ChipConfig& c) { return std::make_unique<Gain2Adc>(c); });
// makes `adc: {impl: gain2}` valid in chip.yaml and lists it in `snngx simulate --list-params`.
#include <algorithm>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "snngx/rram/config.hpp"

namespace snngx::rram {

/// Specialised per component interface: `static constexpr const char* kind` (the config key) and
/// `using Params` (what a factory gets: the ChipConfig, or DecryptionParams for the unit), most
/// simply by deriving from ComponentKind<"key">.
template <class Interface>
struct ComponentTraits;

/// A string literal as a template argument (the component's config key).
template <std::size_t N>
struct ComponentName {
  char value[N];
  constexpr ComponentName(const char (&name)[N]) { std::copy_n(name, N, value); }  // NOLINT: implicit by design
};

template <ComponentName Kind, class P = ChipConfig>
struct ComponentKind {
  static constexpr const char* kind = Kind.value;
  using Params = P;
};

template <class Interface>
class ImplRegistry {
 public:
  using Params = typename ComponentTraits<Interface>::Params;
  using Factory = std::function<std::unique_ptr<Interface>(const Params&)>;

  ImplRegistry(std::initializer_list<std::pair<const std::string, Factory>> builtins) : factories_(builtins) {}

  /// Adds (or replaces) the implementation `name`.
  void add(const std::string& name, Factory factory) {
    const std::scoped_lock lock(mutex_);
    factories_[name] = std::move(factory);
  }
  [[nodiscard]] std::vector<std::string> names() const {
    const std::scoped_lock lock(mutex_);
    std::vector<std::string> out;
    for (const auto& entry : factories_) out.push_back(entry.first);
    return out;
  }
  /// Builds `name`; throws std::invalid_argument "<kind>.impl: unknown implementation 'x' (known: ...)".
  [[nodiscard]] std::unique_ptr<Interface> make(const std::string& name, const Params& params) const {
    return factory(name)(params);
  }

 private:
  // Copied out under the lock: a factory may itself build another implementation (decorators).
  [[nodiscard]] Factory factory(const std::string& name) const {
    const std::scoped_lock lock(mutex_);
    const auto it = factories_.find(name);
    if (it != factories_.end()) return it->second;
    std::string known;
    for (const auto& entry : factories_) known += (known.empty() ? "" : ", ") + entry.first;
    throw std::invalid_argument(std::string(ComponentTraits<Interface>::kind) + ".impl: unknown implementation '" + name +
                                "' (known: " + known + ")");
  }

  mutable std::mutex mutex_;
  std::map<std::string, Factory> factories_;
};

/// The registry of one component interface, with its built-in implementations (each component's
/// header declares the specialisation, its source defines it).
template <class Interface>
ImplRegistry<Interface>& registry();

/// Registers an implementation: its factory and its parameters (`spec.component` must be the
/// interface's kind), so that chip configs can select it and --list-params lists it.
template <class Interface>
void register_component(ImplSpec spec, typename ImplRegistry<Interface>::Factory factory) {
  if (spec.component != ComponentTraits<Interface>::kind)
    throw std::invalid_argument("register_component: spec of component '" + spec.component + "' given for a " +
                                ComponentTraits<Interface>::kind);
  registry<Interface>().add(spec.impl, std::move(factory));
  register_impl(std::move(spec));
}

/// A factory that constructs `Impl` from the component's Params.
template <class Interface, class Impl>
typename ImplRegistry<Interface>::Factory factory_of() {
  return [](const typename ComponentTraits<Interface>::Params& params) -> std::unique_ptr<Interface> {
    return std::make_unique<Impl>(params);
  };
}

/// Builds the implementation the config selects for this component.
template <class Interface>
std::unique_ptr<Interface> make_component(const ChipConfig& config) {
  return registry<Interface>().make(config.impl(ComponentTraits<Interface>::kind), config);
}

/// The parameters of implementation `base` of `component` under a new name: for variants and
/// decorators that take the same parameters. Throws if `base` is not registered.
ImplSpec derived_spec(const std::string& component, const std::string& base, std::string impl, std::string description);

}  // namespace snngx::rram
