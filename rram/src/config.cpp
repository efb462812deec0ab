// The chip configuration over the component registries: defaults, validation, listing and the
// JSON report, driven by the type list ChipComponents (components/all.hpp).
#include "snngx/rram/config.hpp"

#include "snngx/rram/components/all.hpp"
#include "snngx/io/errors.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>

namespace snngx::rram {

namespace {

// What the chip configuration needs from one component's registry, by the component's key.
struct KindEntry {
  std::string kind;
  std::function<std::vector<const ImplSpec*>()> specs;
  std::function<std::string()> default_impl;
};

template <class... Interfaces>
std::vector<KindEntry> kind_entries(ComponentList<Interfaces...>) {
  return {KindEntry{ComponentTraits<Interfaces>::kind, [] { return registry<Interfaces>().specs(); },
                    [] { return registry<Interfaces>().default_impl(); }}...};
}

const std::vector<KindEntry>& kinds() {
  static const std::vector<KindEntry> k = kind_entries(ChipComponents{});
  return k;
}

const KindEntry* find_kind(const std::string& kind) {
  for (const auto& k : kinds())
    if (k.kind == kind) return &k;
  return nullptr;
}

const ImplSpec& find_impl(const std::string& kind, const std::string& impl, const std::string& origin) {
  std::string known;
  for (const ImplSpec* s : implementations(kind)) {
    if (s->impl == impl) return *s;
    known += (known.empty() ? "" : ", ") + s->impl;
  }
  throw std::invalid_argument(origin + ": " + kind + ".impl: unknown implementation '" + impl + "' (known: " + known + ")");
}

const ParamSpec* find_param(const ImplSpec& spec, const std::string& name) {
  for (const auto& p : spec.params)
    if (p.name == name) return &p;
  return nullptr;
}

std::string format_number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

}  // namespace

ParamSpec real_param(std::string name, std::string unit, double default_value, std::string description, double lo,
                     double hi) {
  return ParamSpec{std::move(name), std::move(description), std::move(unit), default_value, lo, hi, false, ""};
}

ParamSpec int_param(std::string name, std::string unit, double default_value, std::string description, double lo,
                    double hi) {
  return ParamSpec{std::move(name), std::move(description), std::move(unit), default_value, lo, hi, true, ""};
}

ParamSpec cited_param(std::string name, std::string unit, double default_value, std::string description,
                      std::string source) {
  return ParamSpec{std::move(name), std::move(description), std::move(unit), default_value, 0.0, 1e300, false,
                   std::move(source)};
}

const std::vector<std::string>& component_kinds() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& k : kinds()) v.push_back(k.kind);
    return v;
  }();
  return names;
}

std::vector<const ImplSpec*> implementations(const std::string& component) {
  const KindEntry* k = find_kind(component);
  return k ? k->specs() : std::vector<const ImplSpec*>{};
}

std::string impl_declaring(const std::string& component, const std::string& param) {
  for (const ImplSpec* s : implementations(component))
    if (find_param(*s, param)) return s->impl;
  return "";
}

double ComponentConfig::get(const std::string& name) const {
  const auto it = values.find(name);
  if (it == values.end())
    throw std::invalid_argument(kind + "." + name + ": not a parameter of implementation '" + impl + "'");
  return it->second;
}

ChipConfig::ChipConfig() {
  for (const auto& k : kinds()) set_impl(k.kind, k.default_impl(), "<defaults>");
}

CrossbarGeometry ChipConfig::crossbar_geometry() const {
  const ComponentConfig& c = component("crossbar");
  return CrossbarGeometry{c.get_int("rows"), c.get_int("columns"), c.get_int("bits_per_cell")};
}

void ChipConfig::set_impl(const std::string& kind, const std::string& impl, const std::string& origin) {
  const ImplSpec& spec = find_impl(kind, impl, origin);
  ComponentConfig next;
  next.kind = kind;
  next.impl = impl;
  const auto old = components_.find(kind);
  for (const auto& p : spec.params) {
    const bool keep = old != components_.end() && old->second.values.count(p.name);
    next.values[p.name] = keep ? old->second.values.at(p.name) : p.default_value;
    next.sources[p.name] = keep ? old->second.sources.at(p.name) : p.source;
  }
  components_[kind] = std::move(next);
}

void ChipConfig::set_value(const std::string& kind, const std::string& name, double value, const std::string& origin) {
  ComponentConfig& c = components_.at(kind);
  const ImplSpec& spec = find_impl(kind, c.impl, origin);
  const ParamSpec* p = find_param(spec, name);
  if (!p) {
    std::string known;
    for (const auto& q : spec.params) known += (known.empty() ? "" : ", ") + q.name;
    throw std::invalid_argument(origin + ": " + kind + "." + name + ": not a parameter of " + kind + " '" + c.impl +
                                "' (parameters: " + known + ")");
  }
  if (!std::isfinite(value) || value < p->min_value || value > p->max_value)
    throw std::invalid_argument(origin + ": " + kind + "." + name + ": " + format_number(value) + " " + p->unit +
                                " is out of range [" + format_number(p->min_value) + ", " + format_number(p->max_value) + "]");
  if (p->integer && value != std::floor(value))
    throw std::invalid_argument(origin + ": " + kind + "." + name + ": must be an integer, got " + format_number(value));
  c.values[name] = value;
}

const ComponentConfig& ChipConfig::component(const std::string& kind) const {
  const auto it = components_.find(kind);
  if (it == components_.end()) throw std::invalid_argument("chip config: unknown component '" + kind + "'");
  return it->second;
}

ChipConfig ChipConfig::from_yaml_text(const std::string& text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw std::invalid_argument(origin + ": not valid YAML/JSON: " + e.what());
  }
  ChipConfig cfg;
  if (!root || root.IsNull()) return cfg;
  if (!root.IsMap()) throw std::invalid_argument(origin + ": the top level must be a map of components");
  for (const auto& kv : root) {
    const auto kind = kv.first.as<std::string>();
    if (std::find(component_kinds().begin(), component_kinds().end(), kind) == component_kinds().end())
      throw std::invalid_argument(origin + ": unknown component '" + kind + "'");
    const YAML::Node& node = kv.second;
    if (!node.IsMap()) throw std::invalid_argument(origin + ": " + kind + ": must be a map of parameters");
    if (node["impl"]) cfg.set_impl(kind, node["impl"].as<std::string>(), origin);
    for (const auto& pv : node) {
      const auto name = pv.first.as<std::string>();
      if (name == "impl") continue;
      const YAML::Node& v = pv.second;
      double value = 0.0;
      try {
        if (v.IsMap()) {
          if (!v["value"]) throw std::invalid_argument("a {value, source} map needs 'value'");
          value = v["value"].as<double>();
          if (v["source"]) cfg.components_.at(kind).sources[name] = v["source"].as<std::string>();
        } else {
          value = v.as<double>();
        }
      } catch (const YAML::Exception&) {
        throw std::invalid_argument(origin + ": " + kind + "." + name + ": not a number");
      }
      cfg.set_value(kind, name, value, origin);
    }
  }
  return cfg;
}

ChipConfig ChipConfig::load(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot open chip config");
  std::stringstream ss;
  ss << in.rdbuf();
  return from_yaml_text(ss.str(), path.string());
}

void ChipConfig::set(const std::string& dotted_name, const std::string& value, const std::string& origin) {
  const auto dot = dotted_name.find('.');
  if (dot == std::string::npos)
    throw std::invalid_argument(origin + ": '" + dotted_name + "' must be component.parameter (e.g. crossbar.conductance_sigma)");
  const std::string kind = dotted_name.substr(0, dot), name = dotted_name.substr(dot + 1);
  if (!components_.count(kind)) throw std::invalid_argument(origin + ": '" + dotted_name + "': unknown component '" + kind + "'");
  if (name == "impl") {
    set_impl(kind, value, origin);
    return;
  }
  double v = 0.0;
  try {
    std::size_t used = 0;
    v = std::stod(value, &used);
    if (used != value.size()) throw std::invalid_argument("trailing characters");
  } catch (const std::exception&) {
    throw std::invalid_argument(origin + ": " + dotted_name + ": '" + value + "' is not a number");
  }
  set_value(kind, name, v, origin);
}

void ChipConfig::set_switching_impl(const std::string& dotted_name, const std::string& value, const std::string& origin) {
  const auto dot = dotted_name.find('.');
  if (dot != std::string::npos) {
    const std::string kind = dotted_name.substr(0, dot), name = dotted_name.substr(dot + 1);
    const auto it = components_.find(kind);
    if (it != components_.end() && name != "impl" && !it->second.values.count(name)) {
      const std::string impl = impl_declaring(kind, name);
      if (!impl.empty()) set_impl(kind, impl, origin);
    }
  }
  set(dotted_name, value, origin);
}

void ChipConfig::refuse_ignored(const std::string& dotted_name, const std::string& origin) const {
  if (dotted_name == "adc.bits" && impl("adc") == "ideal" && component("adc").values.at("bits") != 0)
    throw io::ParameterError(io::ParameterError::literal(origin) +
                             ": the ideal ADC ignores bits (it converts exactly; bits would change only its energy and area); "
                             "add {set} adc.impl=sar for a finite-resolution ADC");
}

nlohmann::json ChipConfig::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& kind : component_kinds()) {
    const auto& c = components_.at(kind);
    nlohmann::json comp{{"impl", c.impl}};
    for (const auto& [name, value] : c.values) {
      const auto& src = c.sources.at(name);
      if (src.empty()) comp[name] = value;
      else comp[name] = {{"value", value}, {"source", src}};
    }
    j[kind] = comp;
  }
  return j;
}

std::string ChipConfig::describe_all() {
  std::ostringstream os;
  for (const auto& kind : component_kinds()) {
    for (const ImplSpec* s : implementations(kind)) {
      os << kind << ": impl " << s->impl << (find_kind(kind)->default_impl() == s->impl ? " (default)" : "") << " - "
         << s->description << "\n";
      for (const auto& p : s->params)
        os << "    " << p.name << " = " << format_number(p.default_value) << " " << p.unit << "  " << p.description
           << (p.source.empty() ? "" : " [" + p.source + "]") << "\n";
    }
  }
  return os.str();
}

}  // namespace snngx::rram
