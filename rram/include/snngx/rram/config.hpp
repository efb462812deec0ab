#pragma once
// The chip configuration (Ramulator-2 style): the chip is a set of components (crossbar,
// wordline, adc, shift_add, adder_tree, decryption_unit, key_store, lif, controller, buffer, io,
// technology, aes_engine); each component picks an implementation by name (`impl`). Every
// implementation declares its parameters (description, unit, default, range, source) next to its
// class, in its component's registry (components/registry.hpp); the list of components is the
// type list in components/all.hpp. A config file (YAML, or JSON which is YAML) only overrides
// values; it is validated at load time and every error names the component and the parameter.
//
//   crossbar: {impl: rram, rows: 128, conductance_sigma: 0.1}
//   technology: {impl: table, cell_read_energy_fj: {value: 1.8, source: "ISAAC, ISCA 2016, Table 6"}}
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace snngx::rram {

struct ParamSpec {
  std::string name, description, unit;
  double default_value = 0.0;
  double min_value = 0.0, max_value = 1e300;
  bool integer = false;
  std::string source;  // published source of the default (technology numbers)
};

/// An implementation of a component kind with its parameters.
struct ImplSpec {
  std::string component, impl, description;
  std::vector<ParamSpec> params;
};

/// The component kinds, in report order (from the type list in components/all.hpp).
const std::vector<std::string>& component_kinds();
/// Every registered implementation of `component`, in listing order (the first is the default).
std::vector<const ImplSpec*> implementations(const std::string& component);
/// The first registered implementation of `component` that declares parameter `param` ("" if none).
std::string impl_declaring(const std::string& component, const std::string& param);

/// One component's selected implementation and the values of its parameters.
struct ComponentConfig {
  std::string kind;
  std::string impl;
  std::map<std::string, double> values;        // every declared parameter, defaults filled in
  std::map<std::string, std::string> sources;  // citation per parameter (file or default)
  /// Value of a declared parameter; throws std::invalid_argument naming component and parameter.
  [[nodiscard]] double get(const std::string& name) const;
  [[nodiscard]] int get_int(const std::string& name) const { return static_cast<int>(get(name)); }
};

/// The crossbar values other components depend on (the ADCs' exact resolution, the shift-and-add
/// slice layout): the chip passes them to those components explicitly.
struct CrossbarGeometry {
  int rows = 128;
  int columns = 128;
  int bits_per_cell = 1;
  /// Bit slices per 7-bit magnitude: ceil(7 / bits_per_cell).
  [[nodiscard]] int slices() const { return (7 + bits_per_cell - 1) / bits_per_cell; }
};

class ChipConfig {
 public:
  /// All components with their default implementation and default values.
  ChipConfig();
  /// Loads a YAML/JSON file over the defaults; throws std::invalid_argument "<file>: <component>.<param>: ...".
  static ChipConfig load(const std::filesystem::path& path);
  static ChipConfig from_yaml_text(const std::string& text, const std::string& origin = "<config>");

  [[nodiscard]] const ComponentConfig& component(const std::string& kind) const;
  [[nodiscard]] const std::string& impl(const std::string& kind) const { return component(kind).impl; }
  [[nodiscard]] double get(const std::string& kind, const std::string& name) const { return component(kind).get(name); }
  [[nodiscard]] int get_int(const std::string& kind, const std::string& name) const {
    return static_cast<int>(get(kind, name));
  }
  [[nodiscard]] CrossbarGeometry crossbar_geometry() const;
  /// Sets "component.param" to `value` (a number, or an implementation name for "component.impl",
  /// which switches the implementation and keeps the values of parameters it shares); validates
  /// like a file value. Errors start with `origin` (e.g. the option that gave the value).
  void set(const std::string& dotted_name, const std::string& value, const std::string& origin = "set");
  /// As set(), but when the selected implementation lacks the parameter, first switches to the
  /// first registered implementation that declares it (a sweep of crossbar.conductance_sigma runs
  /// on the rram crossbar).
  void set_switching_impl(const std::string& dotted_name, const std::string& value, const std::string& origin = "set");
  /// Refuses a value that the selected implementation ignores, so that asking for it never
  /// silently measures nothing: today "adc.bits" (nonzero) on the ideal ADC, which converts
  /// exactly. Call after all values are set (the order of settings does not matter). Throws
  /// io::ParameterError starting with `origin`, naming the "{set}" that would help.
  void refuse_ignored(const std::string& dotted_name, const std::string& origin = "set") const;
  /// Every component, impl, value and source (for the JSON report).
  [[nodiscard]] nlohmann::json to_json() const;
  /// Describes every implementation and parameter (for `snngx simulate --list-params`).
  static std::string describe_all();

 private:
  void set_impl(const std::string& kind, const std::string& impl, const std::string& origin);
  void set_value(const std::string& kind, const std::string& name, double value, const std::string& origin);
  std::map<std::string, ComponentConfig> components_;
};

}  // namespace snngx::rram
