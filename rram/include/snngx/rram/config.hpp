#pragma once
// The chip configuration (Ramulator-2 style): the chip is a set of components (crossbar,
// wordline, adc, shift_add, adder_tree, decryption_unit, key_store, lif, controller, buffer, io,
// technology, aes); each component picks an implementation by name (`impl`) and every parameter
// of every implementation is declared exactly once in the registry (config.cpp) with a
// description, a unit and a default. A config file
// (YAML, or JSON which is YAML) only overrides values; it is validated at load time and every
// error names the component and the parameter.
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

/// All registered implementations, by component kind (the component order is the report order).
const std::vector<std::string>& component_kinds();
std::vector<const ImplSpec*> implementations(const std::string& component);
/// The first registered implementation of `component` that declares parameter `param` ("" if none).
std::string impl_declaring(const std::string& component, const std::string& param);
/// Registers an implementation (e.g. rtl/'s decryption unit "rtl" with the behavioural one's params).
void register_impl(ImplSpec spec);

struct ComponentConfig {
  std::string impl;
  std::map<std::string, double> values;        // every declared parameter, defaults filled in
  std::map<std::string, std::string> sources;  // citation per parameter (file or default)
  /// Value of a declared parameter; throws std::invalid_argument naming component and parameter.
  [[nodiscard]] double get(const std::string& component, const std::string& name) const;
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
  [[nodiscard]] double get(const std::string& kind, const std::string& name) const {
    return component(kind).get(kind, name);
  }
  [[nodiscard]] int get_int(const std::string& kind, const std::string& name) const {
    return static_cast<int>(get(kind, name));
  }
  /// Sets "component.param" (used by --sweep); validates like a file value. Setting
  /// "component.impl" switches the implementation (keeping values of parameters it shares).
  void set(const std::string& dotted_name, const std::string& value);
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
