#pragma once
// One registry per chip component (Ramulator-2 style). Each component interface declares a
// ComponentTraits specialisation (its config key and what its factories take); each component's
// source file defines registry<I>() with its built-in implementations, and every built-in lists,
// next to its class, its name, its description and its typed parameters (unit, default, range,
// published source). The chip configuration (config.hpp) validates, lists (--list-params) and
// reports (JSON) exactly what these registries declare: the list of components is the type list
// ChipComponents in components/all.hpp. The first built-in of a registry is the default.
//
// A factory gets its own component's values (ComponentInputs::own) plus the few values that
// belong to another component (the crossbar's geometry), which the chip passes explicitly.
//
// Adding an implementation from a test or another library (as rtl/ does for the decryption unit):
//   register_component<IAdc>(derived_spec<IAdc>("ideal", "gain2", "an ADC with gain 2"),
//                            factory_of<IAdc, Gain2Adc>());
// makes `adc: {impl: gain2}` valid in chip.yaml and lists it in `snngx simulate --list-params`.
#include <algorithm>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "snngx/rram/config.hpp"

namespace snngx::rram {

/// What a component factory gets (unless its traits say otherwise): its own parameter values and
/// the crossbar's geometry, which the ADCs and the shift-and-add units depend on.
struct ComponentInputs {
  const ComponentConfig& own;
  CrossbarGeometry crossbar;
};

/// Specialised per component interface: `static constexpr const char* kind` (the config key) and
/// `using Params` (what a factory gets), most simply by deriving from ComponentKind<"key">.
template <class Interface>
struct ComponentTraits;

/// A string literal as a template argument (the component's config key).
template <std::size_t N>
struct ComponentName {
  char value[N];
  constexpr ComponentName(const char (&name)[N]) { std::copy_n(name, N, value); }  // NOLINT: implicit by design
};

template <ComponentName Kind, class P = ComponentInputs>
struct ComponentKind {
  static constexpr const char* kind = Kind.value;
  using Params = P;
};

// Parameter declarations, for the built-ins' lists.
/// A real-valued parameter in [lo, hi].
ParamSpec real_param(std::string name, std::string unit, double default_value, std::string description, double lo = 0.0,
                     double hi = 1e300);
/// An integer parameter in [lo, hi].
ParamSpec int_param(std::string name, std::string unit, double default_value, std::string description, double lo,
                    double hi);
/// A technology number (>= 0) with the published source of its default.
ParamSpec cited_param(std::string name, std::string unit, double default_value, std::string description,
                      std::string source);

template <class Interface>
class ImplRegistry {
 public:
  using Params = typename ComponentTraits<Interface>::Params;
  using Factory = std::function<std::unique_ptr<Interface>(const Params&)>;

  /// One built-in implementation, declared next to its class.
  struct Builtin {
    std::string impl, description;
    std::vector<ParamSpec> params;
    Factory factory;
  };

  /// The built-ins in listing order; the first is the default.
  ImplRegistry(std::initializer_list<Builtin> builtins) {
    for (const auto& b : builtins) add(ImplSpec{kind(), b.impl, b.description, b.params}, b.factory);
  }

  /// Adds (or replaces) an implementation: its parameters and its factory.
  void add(ImplSpec spec, Factory factory) {
    if (spec.component != kind())
      throw std::invalid_argument("register_component: spec of component '" + spec.component + "' given for a " + kind());
    const std::scoped_lock lock(mutex_);
    for (auto& e : entries_)
      if (e->spec.impl == spec.impl) {
        *e = Entry{std::move(spec), std::move(factory)};
        return;
      }
    entries_.push_back(std::make_unique<Entry>(Entry{std::move(spec), std::move(factory)}));
  }
  [[nodiscard]] std::vector<std::string> names() const {
    const std::scoped_lock lock(mutex_);
    std::vector<std::string> out;
    for (const auto& e : entries_) out.push_back(e->spec.impl);
    return out;
  }
  /// Every implementation's declaration, in listing order (stable pointers).
  [[nodiscard]] std::vector<const ImplSpec*> specs() const {
    const std::scoped_lock lock(mutex_);
    std::vector<const ImplSpec*> out;
    for (const auto& e : entries_) out.push_back(&e->spec);
    return out;
  }
  [[nodiscard]] std::string default_impl() const {
    const std::scoped_lock lock(mutex_);
    return entries_.empty() ? std::string{} : entries_.front()->spec.impl;
  }
  /// Builds `name`; throws std::invalid_argument "<kind>.impl: unknown implementation 'x' (known: ...)".
  [[nodiscard]] std::unique_ptr<Interface> make(const std::string& name, const Params& params) const {
    return factory(name)(params);
  }

 private:
  struct Entry {
    ImplSpec spec;
    Factory factory;
  };
  static std::string kind() { return ComponentTraits<Interface>::kind; }

  // Copied out under the lock: a factory may itself build another implementation (decorators).
  [[nodiscard]] Factory factory(const std::string& name) const {
    const std::scoped_lock lock(mutex_);
    std::string known;
    for (const auto& e : entries_) {
      if (e->spec.impl == name) return e->factory;
      known += (known.empty() ? "" : ", ") + e->spec.impl;
    }
    throw std::invalid_argument(kind() + ".impl: unknown implementation '" + name + "' (known: " + known + ")");
  }

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

/// The registry of one component interface, with its built-in implementations (each component's
/// header declares the specialisation, its source defines it).
template <class Interface>
ImplRegistry<Interface>& registry();

/// Registers an implementation: its parameters and its factory (`spec.component` must be the
/// interface's kind), so that chip configs can select it and --list-params lists it.
template <class Interface>
void register_component(ImplSpec spec, typename ImplRegistry<Interface>::Factory factory) {
  registry<Interface>().add(std::move(spec), std::move(factory));
}

/// A factory that constructs `Impl` from the component's Params.
template <class Interface, class Impl>
typename ImplRegistry<Interface>::Factory factory_of() {
  return [](const typename ComponentTraits<Interface>::Params& params) -> std::unique_ptr<Interface> {
    return std::make_unique<Impl>(params);
  };
}

/// The parameters of implementation `base` under a new name: for variants and decorators that
/// take the same parameters. Throws std::invalid_argument if `base` is not registered.
template <class Interface>
ImplSpec derived_spec(const std::string& base, std::string impl, std::string description) {
  for (const ImplSpec* s : registry<Interface>().specs())
    if (s->impl == base) {
      ImplSpec spec = *s;
      spec.impl = std::move(impl);
      spec.description = std::move(description);
      return spec;
    }
  throw std::invalid_argument(std::string(ComponentTraits<Interface>::kind) + ".impl: unknown implementation '" + base +
                              "' to derive from");
}

/// Builds the implementation the config selects for this component (components whose factories
/// take ComponentInputs).
template <class Interface>
std::unique_ptr<Interface> make_component(const ChipConfig& config) {
  const char* kind = ComponentTraits<Interface>::kind;
  return registry<Interface>().make(config.impl(kind), ComponentInputs{config.component(kind), config.crossbar_geometry()});
}

}  // namespace snngx::rram
