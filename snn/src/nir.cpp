#include "snngx/snn/nir.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>
#include <stdexcept>

#include "snngx/datasets/h5.hpp"

namespace snngx::snn::nir {
namespace {
namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& where, const std::string& what) { throw std::runtime_error(where + ": " + what); }

constexpr int kMaxDepth = 32;                       // nested graphs (a fuzzed file must not recurse forever)
constexpr std::size_t kMaxValues = std::size_t{1} << 28;  // one dataset
constexpr std::size_t kMaxActivation = std::size_t{1} << 28;  // one layer's output

// ---- reading ------------------------------------------------------------------------------------

std::vector<std::string> read_strings(const H5::DataSet& ds, std::size_t count, const std::string& where) {
  h5::check_storage(where, ds, ds.getObjName());
  if (static_cast<std::size_t>(ds.getSpace().getSimpleExtentNpoints()) != count)
    fail(where, "string dataset '" + ds.getObjName() + "' has an unexpected shape");
  const H5::StrType type = ds.getStrType();
  std::vector<std::string> out;
  if (type.isVariableStr()) {
    h5::check_vlen_strings(where, ds, ds.getObjName());
    H5::StrType mem(H5::PredType::C_S1, H5T_VARIABLE);
    mem.setCset(type.getCset());
    std::vector<char*> buf(count, nullptr);
    ds.read(buf.data(), mem);
    for (const char* p : buf) out.emplace_back(p ? p : "");
    H5::DataSet::vlenReclaim(buf.data(), mem, ds.getSpace());
    return out;
  }
  const std::size_t size = type.getSize();
  H5::StrType mem(H5::PredType::C_S1, size);
  mem.setCset(type.getCset());
  std::vector<char> buf(count * size);
  ds.read(buf.data(), mem);
  for (std::size_t k = 0; k < count; ++k) {
    std::string s(buf.data() + k * size, size);
    s.erase(std::find(s.begin(), s.end(), '\0'), s.end());
    out.push_back(std::move(s));
  }
  return out;
}

Array read_array(const H5::DataSet& ds, const std::string& where) {
  Array a;
  std::size_t n = 1;
  for (const auto d : h5::dims(ds)) {
    a.shape.push_back(static_cast<std::int64_t>(d));
    if (d > kMaxValues || (n *= static_cast<std::size_t>(d)) > kMaxValues) fail(where, "dataset is too large");
  }
  const H5T_class_t type = ds.getTypeClass();
  if (type == H5T_FLOAT || type == H5T_INTEGER) h5::check_storage(where, ds, ds.getObjName());
  switch (type) {
    case H5T_FLOAT:
      a.values.resize(n);
      ds.read(a.values.data(), H5::PredType::NATIVE_DOUBLE);
      break;
    case H5T_INTEGER: {
      std::vector<std::int64_t> v(n);
      ds.read(v.data(), H5::PredType::NATIVE_INT64);
      a.values.assign(v.begin(), v.end());
      a.integer = true;
      break;
    }
    case H5T_STRING: {
      const auto s = read_strings(ds, n, where);
      if (s.size() != 1) fail(where, "string arrays are not node parameters");
      a.text = s[0];
      a.is_text = true;
      break;
    }
    default: fail(where, "dataset has an unsupported type (expected numbers or a string)");
  }
  return a;
}

std::string read_text(const H5::Group& g, const std::string& name, const std::string& where) {
  if (!g.nameExists(name)) fail(where, "dataset '" + name + "' missing");
  const H5::DataSet ds = g.openDataSet(name);
  if (ds.getTypeClass() != H5T_STRING) fail(where, "dataset '" + name + "' must be a string");
  const auto s = read_strings(ds, 1, where);
  return s.at(0);
}

std::vector<std::pair<std::string, std::string>> read_edges(const H5::Group& g, const std::string& where) {
  if (!g.nameExists("edges")) fail(where, "dataset 'edges' missing");
  const H5::DataSet ds = g.openDataSet("edges");
  const auto d = h5::dims(ds);
  std::size_t n = 1;
  for (const auto x : d) n *= static_cast<std::size_t>(x);
  if (n == 0) return {};
  if (ds.getTypeClass() != H5T_STRING || d.size() != 2 || d[1] != 2 || n > kMaxValues)
    fail(where, "dataset 'edges' must be an [E,2] array of node names");
  const auto s = read_strings(ds, n, where);
  std::vector<std::pair<std::string, std::string>> edges;
  for (std::size_t k = 0; k < n; k += 2) edges.emplace_back(s[k], s[k + 1]);
  return edges;
}

// A node's `metadata` group: the numbers and single strings snngx may interpret; anything else
// other tools put there (nested groups, string arrays, other types) is not ours and is skipped.
Metadata read_metadata(const H5::Group& node, const std::string& where) {
  Metadata out;
  if (!node.nameExists("metadata") || node.childObjType("metadata") != H5O_TYPE_GROUP) return out;
  const H5::Group g = node.openGroup("metadata");
  for (const std::string& name : h5::link_names(g)) {
    if (g.childObjType(name) != H5O_TYPE_DATASET) continue;
    const H5::DataSet ds = g.openDataSet(name);
    const H5T_class_t type = ds.getTypeClass();
    const bool single_string = type == H5T_STRING && ds.getSpace().getSimpleExtentNpoints() == 1;
    if (type == H5T_FLOAT || type == H5T_INTEGER || single_string) out.emplace(name, read_array(ds, where + "/metadata/" + name));
  }
  return out;
}

Node read_node(const H5::Group& g, const std::string& where, int depth) {
  if (depth > kMaxDepth) fail(where, "graphs nest deeper than " + std::to_string(kMaxDepth) + " levels");
  Node node;
  node.type = read_text(g, "type", where);
  node.metadata = read_metadata(g, where);
  const bool graph = node.type == "NIRGraph";
  if (graph) {
    node.graph = std::make_shared<Graph>();
    if (!g.nameExists("nodes")) fail(where, "group 'nodes' missing");
    const H5::Group nodes = g.openGroup("nodes");
    for (const std::string& name : h5::link_names(nodes)) {
      if (nodes.childObjType(name) != H5O_TYPE_GROUP) fail(where + "/nodes/" + name, "is not a group");
      node.graph->nodes.emplace(name, read_node(nodes.openGroup(name), where + "/nodes/" + name, depth + 1));
    }
    node.graph->edges = read_edges(g, where);
    node.graph->metadata = std::move(node.metadata);
    return node;
  }
  for (const std::string& name : h5::link_names(g)) {
    if (name == "type" || g.childObjType(name) != H5O_TYPE_DATASET) continue;  // metadata and other groups
    node.params.emplace(name, read_array(g.openDataSet(name), where + "/" + name));
  }
  return node;
}

// ---- writing ------------------------------------------------------------------------------------

H5::StrType utf8_string() {
  H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
  t.setCset(H5T_CSET_UTF8);
  return t;
}

void write_text(H5::Group& g, const std::string& name, const std::string& text) {
  const H5::StrType t = utf8_string();
  H5::DataSet ds = g.createDataSet(name, t, H5::DataSpace(H5S_SCALAR));
  const char* p = text.c_str();
  ds.write(&p, t);
}

void write_array(H5::Group& g, const std::string& name, const Array& a) {
  if (a.is_text) return write_text(g, name, a.text);
  std::size_t count = 1;
  for (const auto x : a.shape) count *= x < 0 ? std::size_t{0} : static_cast<std::size_t>(x);
  if (count != a.values.size() || std::any_of(a.shape.begin(), a.shape.end(), [](std::int64_t x) { return x < 0; }))
    throw std::invalid_argument("parameter '" + name + "' has " + std::to_string(a.values.size()) + " values for its shape");
  // Arrays carry Fletcher-32 (scalars live unchecksummed, contiguous): a flipped bit in a stored
  // weight is a read error, as in model files (docs/formats.md, NIR).
  const std::vector<hsize_t> d(a.shape.begin(), a.shape.end());
  if (a.integer) {
    const std::vector<std::int64_t> v(a.values.begin(), a.values.end());
    h5::write_checksummed(g, name, H5::PredType::STD_I64LE, d, H5::PredType::NATIVE_INT64, v.data());
  } else if (a.float64) {
    h5::write_checksummed(g, name, H5::PredType::IEEE_F64LE, d, H5::PredType::NATIVE_DOUBLE, a.values.data());
  } else {
    std::vector<float> v(a.values.size());
    std::transform(a.values.begin(), a.values.end(), v.begin(), [](double x) { return static_cast<float>(x); });
    h5::write_checksummed(g, name, H5::PredType::IEEE_F32LE, d, H5::PredType::NATIVE_FLOAT, v.data());
  }
}

void write_node(H5::Group& g, const Node& node) {
  if ((node.type == "NIRGraph") != static_cast<bool>(node.graph))
    throw std::invalid_argument("node type '" + node.type + "' and its subgraph disagree");
  write_text(g, "type", node.type);
  for (const auto& [name, a] : node.params) write_array(g, name, a);
  // NIR's writer stores an empty metadata dictionary as no group at all; so do we.
  if (const Metadata& meta = node.graph ? node.graph->metadata : node.metadata; !meta.empty()) {
    H5::Group mg = h5::create_group(g, "metadata");
    for (const auto& [name, a] : meta) write_array(mg, name, a);
  }
  if (!node.graph) return;
  H5::Group nodes = h5::create_group(g, "nodes");
  for (const auto& [name, child] : node.graph->nodes) {
    H5::Group cg = h5::create_group(nodes, name);
    write_node(cg, child);
  }
  std::vector<const char*> names;
  for (const auto& [a, b] : node.graph->edges) names.push_back(a.c_str()), names.push_back(b.c_str());
  const hsize_t d[2] = {node.graph->edges.size(), 2};
  const H5::StrType t = utf8_string();
  H5::DataSet ds = g.createDataSet("edges", t, H5::DataSpace(2, d));
  if (!names.empty()) ds.write(names.data(), t);
}

// ---- graph -> network ---------------------------------------------------------------------------

/// The graph with nested graphs inlined ("outer.inner" names) and their Input/Output nodes
/// contracted away, so that only the top level's Input and Output remain.
struct Flat {
  std::map<std::string, const Node*> nodes;
  std::vector<std::pair<std::string, std::string>> edges;
};

bool is_neuron(const std::string& type) {
  return type == "LIF" || type == "IF" || type == "CubaLIF" || type == "LI" || type == "I" || type == "Integrator";
}

class Importer {
 public:
  Importer(const ImportOptions& options, std::string source) : options_(options), source_(std::move(source)) {}

  Network run(const Document& doc) {
    graph_metadata_ = &doc.graph.metadata;
    if (!doc.graph.nodes.empty() || !doc.graph.edges.empty()) inline_graph(doc.graph, "", 0);
    std::vector<std::string> inner_io;
    for (const auto& [name, node] : flat_.nodes)
      if (name.find('\x1f') != std::string::npos) inner_io.push_back(name);
    for (const auto& name : inner_io) contract(name);
    check_edges();
    find_recurrence();
    check_cycles();
    return walk();
  }

 private:
  // Inner Input/Output nodes are stored with a '\x1f' marker in their name until contracted.
  void inline_graph(const Graph& g, const std::string& prefix, int depth) {
    if (depth > kMaxDepth) fail(source_, "graphs nest deeper than " + std::to_string(kMaxDepth) + " levels");
    for (const auto& [name, node] : g.nodes) {
      const std::string full = prefix + name;
      if (node.type == "NIRGraph") {
        if (!node.graph) fail(source_, "node '" + full + "' (NIRGraph): no nodes");
        inline_graph(*node.graph, full + ".", depth + 1);
      } else {
        const bool inner_io = !prefix.empty() && (node.type == "Input" || node.type == "Output");
        flat_.nodes[inner_io ? full + '\x1f' : full] = &node;
      }
    }
    for (const auto& [a, b] : g.edges) flat_.edges.emplace_back(resolve(g, prefix, a, true), resolve(g, prefix, b, false));
  }

  // An edge end naming a subgraph means its only Output (as a source) or its only Input (as a target).
  std::string resolve(const Graph& g, const std::string& prefix, const std::string& name, bool source) const {
    const auto it = g.nodes.find(name);
    if (it == g.nodes.end()) {
      const auto dot = name.find('.');
      if (dot != std::string::npos) {
        const auto sub = g.nodes.find(name.substr(0, dot));
        if (sub != g.nodes.end() && sub->second.graph) {
          const std::string rest = name.substr(dot + 1);
          const auto inner = sub->second.graph->nodes.find(rest);
          if (inner != sub->second.graph->nodes.end() && (inner->second.type == "Input" || inner->second.type == "Output"))
            return prefix + name + '\x1f';
          return resolve(*sub->second.graph, prefix + sub->first + ".", rest, source);
        }
      }
      return prefix + name;  // dangling: reported by check_edges
    }
    if (it->second.type != "NIRGraph") {
      const bool inner_io = !prefix.empty() && (it->second.type == "Input" || it->second.type == "Output");
      return prefix + name + (inner_io ? std::string(1, '\x1f') : std::string());
    }
    const std::string want = source ? "Output" : "Input";
    std::vector<std::string> ends;
    for (const auto& [n, node] : it->second.graph->nodes)
      if (node.type == want) ends.push_back(n);
    if (ends.size() != 1)
      fail(source_, "node '" + prefix + name + "' (NIRGraph): an edge names the subgraph but it has " + std::to_string(ends.size()) +
                        " " + want + " nodes (name one as '" + name + ".<node>')");
    return prefix + name + "." + ends[0] + '\x1f';
  }

  void contract(const std::string& name) {
    std::vector<std::string> preds, succs;
    std::vector<std::pair<std::string, std::string>> kept;
    for (const auto& e : flat_.edges) {
      if (e.second == name) preds.push_back(e.first);
      if (e.first == name) succs.push_back(e.second);
      if (e.first != name && e.second != name) kept.push_back(e);
    }
    for (const auto& p : preds)
      for (const auto& s : succs) kept.emplace_back(p, s);
    flat_.edges = std::move(kept);
    flat_.nodes.erase(name);
  }

  [[nodiscard]] std::string describe(const std::string& name) const {
    const auto it = flat_.nodes.find(name);
    std::string shown = name;
    std::erase(shown, '\x1f');
    return "node '" + shown + "' (" + (it == flat_.nodes.end() ? std::string("?") : it->second->type) + ")";
  }
  [[noreturn]] void bad(const std::string& node, const std::string& what) const { fail(source_, describe(node) + ": " + what); }

  void check_edges() {
    for (const auto& [a, b] : flat_.edges)
      for (const auto& end : {a, b})
        if (!flat_.nodes.contains(end)) {
          std::string shown = end;
          std::erase(shown, '\x1f');
          fail(source_, "edge '" + a + "' -> '" + b + "': node '" + shown + "' does not exist");
        }
    for (const auto& [a, b] : flat_.edges) {
      succ_[a].push_back(b);
      pred_[b].push_back(a);
    }
  }

  // neuron -> Affine|Linear -> the same neuron, with nothing else touching the weights node.
  void find_recurrence() {
    for (const auto& [name, node] : flat_.nodes) {
      if (node->type != "Affine" && node->type != "Linear") continue;
      const auto& p = pred_[name];
      const auto& s = succ_[name];
      if (p.size() == 1 && s.size() == 1 && p[0] == s[0] && is_neuron(flat_.nodes.at(p[0])->type)) {
        if (recurrent_.contains(p[0])) bad(p[0], "has two recurrent weight nodes");
        recurrent_[p[0]] = name;
        recurrent_nodes_.insert(name);
      }
    }
  }

  [[nodiscard]] bool recurrent_edge(const std::string& a, const std::string& b) const {
    return recurrent_nodes_.contains(a) || recurrent_nodes_.contains(b);
  }

  // Any cycle left after the recurrent weight loops: one with no neuron on it cannot be run; one
  // with a neuron is a recurrence shape we do not support.
  void check_cycles() {
    std::map<std::string, int> color;  // 0 white, 1 on stack, 2 done
    std::vector<std::string> stack;
    const std::function<void(const std::string&)> visit = [&](const std::string& n) {
      color[n] = 1;
      stack.push_back(n);
      for (const auto& m : succ_[n]) {
        if (recurrent_edge(n, m)) continue;
        if (color[m] == 1) {
          const auto start = std::find(stack.begin(), stack.end(), m);
          std::string path;
          bool neuron = false;
          for (auto it = start; it != stack.end(); ++it) {
            path += *it + " -> ";
            neuron = neuron || is_neuron(flat_.nodes.at(*it)->type);
          }
          path += m;
          if (!neuron) bad(m, "is on a cycle with no neuron (" + path + ")");
          bad(m, "is on a cycle (" + path + ") that is not a recurrent weight loop (neuron -> Affine|Linear -> the same neuron)");
        }
        if (color[m] == 0) visit(m);
      }
      stack.pop_back();
      color[n] = 2;
    };
    for (const auto& [name, node] : flat_.nodes)
      if (color[name] == 0) visit(name);
  }

  [[nodiscard]] std::vector<std::string> forward(const std::map<std::string, std::vector<std::string>>& adj, const std::string& n) const {
    std::vector<std::string> out;
    if (const auto it = adj.find(n); it != adj.end())
      for (const auto& m : it->second)
        if (!recurrent_edge(n, m)) out.push_back(m);
    return out;
  }

  Network walk() {
    std::vector<std::string> inputs;
    for (const auto& [name, node] : flat_.nodes)
      if (node->type == "Input") inputs.push_back(name);
    if (inputs.size() != 1) fail(source_, "the graph has " + std::to_string(inputs.size()) + " Input nodes (expected one)");
    Network net;
    net.arch = graph_text("snngx_arch").value_or("nir");
    net.time_steps = options_.time_steps ? *options_.time_steps : graph_time_steps();
    std::string cur = inputs[0];
    net.input_shape = input_shape(cur);
    shape_ = net.input_shape;
    bool spikes = false;  // the current activation holds only 0/1 (event counts at the input need not)
    std::set<std::string> visited{cur};
    while (true) {
      const auto next = forward(succ_, cur);
      if (next.empty()) bad(cur, "has no outgoing edge (the chain from the Input node never reaches an Output node)");
      if (next.size() > 1) bad(cur, "branches to '" + next[0] + "' and '" + next[1] + "' (only chains of nodes are supported)");
      const std::string& n = next[0];
      const auto from = forward(pred_, n);
      if (from.size() > 1) bad(n, "merges the outputs of '" + from[0] + "' and '" + from[1] + "' (only chains of nodes are supported)");
      visited.insert(n);
      cur = n;
      if (flat_.nodes.at(n)->type == "Output") break;
      if (const auto pooled = max_pool(n, spikes)) {
        net.layers.push_back(pooled->first);
        visited.insert(pooled->second);
        cur = pooled->second;
        continue;  // shape_ and spikes are unchanged in kind; shape_ was set by max_pool
      }
      net.layers.push_back(convert(n));
      spikes = emits_spikes(net.layers.back(), spikes);
      double size = 1;  // in double: a fuzzed shape's product must not wrap around
      for (const int d : shape_) size *= d;
      if (size > static_cast<double>(kMaxActivation)) bad(n, "output " + to_string(shape_) + " has more than 2^28 values");
    }
    check_output(cur);
    for (const auto& [name, node] : flat_.nodes)
      if (!visited.contains(name) && !recurrent_nodes_.contains(name)) bad(name, "is not on the chain from the Input node to the Output node");
    if (net.layers.empty() || !(std::holds_alternative<Neuron>(net.layers.back()) || std::holds_alternative<Lif>(net.layers.back())))
      bad(last_node_.empty() ? cur : last_node_, "feeds the Output node, but the network must end in a neuron node (IF, LIF, CubaLIF, LI, I)");
    net.num_classes = static_cast<int>(numel(shape_));
    try {
      validate(net);
    } catch (const std::invalid_argument& e) {
      fail(source_, e.what());
    }
    return net;
  }

  // ---- snngx metadata (docs/formats.md): restores what NIR cannot say ----
  [[nodiscard]] const Array* meta(const std::string& n, const std::string& key) const {
    const auto& m = flat_.nodes.at(n)->metadata;
    const auto it = m.find(key);
    return it == m.end() ? nullptr : &it->second;
  }
  [[nodiscard]] std::optional<std::string> meta_text(const std::string& n, const std::string& key) const {
    const Array* a = meta(n, key);
    if (a && !a->is_text) bad(n, "metadata '" + key + "' must be a string");
    return a ? std::optional<std::string>(a->text) : std::nullopt;
  }
  [[nodiscard]] std::optional<double> meta_number(const std::string& n, const std::string& key) const {
    const Array* a = meta(n, key);
    if (!a) return std::nullopt;
    if (a->is_text || a->values.size() != 1 || !std::isfinite(a->values[0])) bad(n, "metadata '" + key + "' must be one finite number");
    return a->values[0];
  }
  [[nodiscard]] std::optional<std::string> graph_text(const std::string& key) const {
    const auto it = graph_metadata_->find(key);
    if (it == graph_metadata_->end()) return std::nullopt;
    if (!it->second.is_text) fail(source_, "graph metadata '" + key + "' must be a string");
    return it->second.text;
  }
  [[nodiscard]] int graph_time_steps() const {
    const auto it = graph_metadata_->find("snngx_time_steps");
    if (it == graph_metadata_->end()) return kDefaultTimeSteps;
    const auto& v = it->second.values;
    if (it->second.is_text || v.size() != 1 || v[0] != std::floor(v[0]) || v[0] < 1 || v[0] > (1 << 20))
      fail(source_, "graph metadata 'snngx_time_steps' must be a whole number in [1, 2^20]");
    return static_cast<int>(v[0]);
  }

  // --dt if given, else the node's snngx_dt (a graph snngx wrote), else NIR files' usual 1e-4 s.
  [[nodiscard]] double dt_of(const std::string& n) const {
    if (options_.dt) return *options_.dt;
    const auto dt = meta_number(n, "snngx_dt");
    if (dt && !(*dt > 0.0)) bad(n, "metadata 'snngx_dt' must be positive");
    return dt.value_or(kDefaultDt);
  }
  [[nodiscard]] ResetMode reset_of(const std::string& n) const {
    if (options_.reset) return *options_.reset;
    const auto r = meta_text(n, "snngx_reset");
    if (!r || *r == "zero") return ResetMode::Zero;
    if (*r == "subtract") return ResetMode::Subtract;
    bad(n, "metadata 'snngx_reset' is '" + *r + "', expected 'zero' or 'subtract'");
  }

  static bool emits_spikes(const Layer& layer, bool input_spikes) {
    if (std::holds_alternative<Lif>(layer)) return true;
    if (const auto* N = std::get_if<Neuron>(&layer)) return spiking(N->model);
    if (std::holds_alternative<MaxPool2d>(layer) || std::holds_alternative<Flatten>(layer)) return input_spikes;
    return false;
  }

  // SumPool2d -> Threshold(0.5) that snngx wrote for a max pooling (both tagged snngx_layer =
  // "maxpool2d") becomes the MaxPool2d again when it pools spikes, where the two are equal: a
  // window's maximum of 0/1 values is 1 exactly when their sum exceeds 0.5. Otherwise (not tagged,
  // padded, not spikes, edited) the nodes mean what NIR says and import as such.
  std::optional<std::pair<Layer, std::string>> max_pool(const std::string& n, bool spikes) {
    if (!spikes || flat_.nodes.at(n)->type != "SumPool2d" || meta_text(n, "snngx_layer") != "maxpool2d") return std::nullopt;
    const auto next = forward(succ_, n);
    if (next.size() != 1 || forward(pred_, next[0]).size() != 1) return std::nullopt;
    const std::string& t = next[0];
    if (flat_.nodes.at(t)->type != "Threshold" || meta_text(t, "snngx_layer") != "maxpool2d") return std::nullopt;
    if (pair(n, "padding", 0, 0) != std::array<int, 2>{0, 0}) return std::nullopt;
    const Shape in = shape_;
    const Layer pooled = pool(n, false);
    const auto theta = per_neuron(t, "threshold");
    if (!std::all_of(theta.begin(), theta.end(), [](float v) { return v == 0.5f; })) {
      shape_ = in;
      return std::nullopt;
    }
    const auto& P = std::get<Pool2d>(pooled);
    last_node_ = t;
    return std::pair<Layer, std::string>{MaxPool2d{P.kernel, P.stride}, t};
  }

  // A NIR LIF snngx wrote for a reference `lif` layer (snngx_layer = "lif", snngx_decay) is that
  // layer again when its NIR parameters still say so; a node edited elsewhere imports as NIR says.
  [[nodiscard]] std::optional<Lif> reference_lif(const std::string& n, const Neuron& N) const {
    if (meta_text(n, "snngx_layer") != "lif") return std::nullopt;
    const auto decay = meta_number(n, "snngx_decay");
    if (!decay || !(*decay < 1.0) || N.reset != ResetMode::Zero || N.v_threshold.empty()) return std::nullopt;
    const double rate = 1.0 - *decay;
    const auto close = [](double a, double b) { return std::abs(a - b) <= 1e-5 * std::abs(b); };
    const float threshold = N.v_threshold[0];
    for (std::size_t k = 0; k < N.v_threshold.size(); ++k)
      if (N.v_threshold[k] != threshold || N.v_leak[k] != 0.0f || N.v_reset[k] != 0.0f || !close(N.tau[k], kDefaultDt / rate) ||
          !close(N.r[k], 1.0 / rate))
        return std::nullopt;
    return Lif{static_cast<float>(*decay), threshold};
  }

  // ---- parameters ----
  const Array& need(const std::string& n, const std::string& name) const {
    const Node& node = *flat_.nodes.at(n);
    const auto it = node.params.find(name);
    if (it == node.params.end()) bad(n, "parameter '" + name + "' missing");
    if (it->second.is_text) bad(n, "parameter '" + name + "' must be numbers, not the string '" + it->second.text + "'");
    // A file always agrees with itself; an in-memory document need not.
    std::size_t count = 1;
    for (const auto d : it->second.shape) {
      if (d < 0 || d > static_cast<std::int64_t>(kMaxValues)) bad(n, "parameter '" + name + "' has a bad shape " + shape_text(it->second.shape));
      count *= static_cast<std::size_t>(d);
      if (count > kMaxValues) bad(n, "parameter '" + name + "' is too large");
    }
    if (count != it->second.values.size())
      bad(n, "parameter '" + name + "' has " + std::to_string(it->second.values.size()) + " values for shape " + shape_text(it->second.shape));
    for (const double v : it->second.values)
      if (!std::isfinite(v)) bad(n, "parameter '" + name + "' contains NaN or Inf");
    return it->second;
  }
  [[nodiscard]] bool has(const std::string& n, const std::string& name) const { return flat_.nodes.at(n)->params.contains(name); }

  static std::string shape_text(const std::vector<std::int64_t>& s) {
    std::string t = "[";
    for (std::size_t i = 0; i < s.size(); ++i) t += (i ? "," : "") + std::to_string(s[i]);
    return t + "]";
  }

  int whole(const std::string& n, const std::string& name, double v, int lo) const {
    if (v != std::floor(v) || v < lo || v > (1 << 24)) bad(n, "parameter '" + name + "' has a bad value " + std::to_string(v));
    return static_cast<int>(v);
  }

  // A pair (h, w) given as one number or two.
  std::array<int, 2> pair(const std::string& n, const std::string& name, int lo, std::optional<int> fallback) const {
    if (!has(n, name)) {
      if (fallback) return {*fallback, *fallback};
      need(n, name);
    }
    const Array& a = need(n, name);
    if (a.values.size() == 1) return {whole(n, name, a.values[0], lo), whole(n, name, a.values[0], lo)};
    if (a.values.size() != 2) bad(n, "parameter '" + name + "' must have 1 or 2 values, has " + std::to_string(a.values.size()));
    return {whole(n, name, a.values[0], lo), whole(n, name, a.values[1], lo)};
  }

  // Per-neuron values: one per neuron of the current shape (in C order), or one for all.
  std::vector<float> per_neuron(const std::string& n, const std::string& name) const {
    const Array& a = need(n, name);
    const std::size_t count = numel(shape_);
    if (a.values.size() != count && a.values.size() != 1)
      bad(n, "parameter '" + name + "' has shape " + shape_text(a.shape) + " but the node receives " + to_string(shape_));
    std::vector<float> v(count);
    for (std::size_t k = 0; k < count; ++k) v[k] = static_cast<float>(a.values[a.values.size() == 1 ? 0 : k]);
    return v;
  }
  std::vector<float> per_neuron_or(const std::string& n, const std::string& name, float fallback) const {
    return has(n, name) ? per_neuron(n, name) : std::vector<float>(numel(shape_), fallback);
  }

  static std::vector<float> drop_zero_bias(std::vector<float> bias) {
    // Adding +0 changes no value: an all-zero bias is "no bias" (the reference engine path).
    return std::all_of(bias.begin(), bias.end(), [](float b) { return b == 0.0f; }) ? std::vector<float>{} : bias;
  }

  Shape input_shape(const std::string& n) const {
    const Array& a = need(n, "shape");
    std::vector<int> s;
    double total = 1;
    for (const double v : a.values) {
      s.push_back(whole(n, "shape", v, 1));
      total *= v;
    }
    if (total > static_cast<double>(kMaxActivation)) bad(n, "input shape has more than 2^28 values");
    if (s.size() == 1 || s.size() == 3) return s;
    if (s.size() == 2) return {s[0], 1, s[1]};  // [C, N]: 1-D convolutions run as [C, 1, N]
    bad(n, "input shape " + shape_text(a.shape.empty() ? std::vector<std::int64_t>{} : std::vector<std::int64_t>(s.begin(), s.end())) +
               " is not [F], [C,N] or [C,H,W]");
  }

  void check_output(const std::string& n) const {
    if (!has(n, "shape")) return;
    const Array& a = need(n, "shape");
    std::size_t count = 1;
    std::vector<std::int64_t> expect;
    for (const double v : a.values) {
      expect.push_back(whole(n, "shape", v, 0));
      count *= static_cast<std::size_t>(expect.back());
    }
    if (count != numel(shape_)) bad(n, "expects shape " + shape_text(expect) + " but receives " + to_string(shape_));
  }

  Weights matrix(const std::string& n, int rows, int cols) const {
    const Array& w = need(n, "weight");
    if (w.shape.size() != 2) bad(n, "weight has shape " + shape_text(w.shape) + ", expected 2 dimensions");
    if (rows >= 0 && (w.shape[0] != rows || w.shape[1] != cols))
      bad(n, "weight has shape " + shape_text(w.shape) + ", expected [" + std::to_string(rows) + "," + std::to_string(cols) + "]");
    Weights out;
    out.shape = {static_cast<int>(w.shape[0]), static_cast<int>(w.shape[1])};
    out.values.assign(w.values.begin(), w.values.end());
    return out;
  }

  std::vector<float> bias_of(const std::string& n, std::size_t count) const {
    if (flat_.nodes.at(n)->type != "Affine" && !has(n, "bias")) return {};
    const Array& b = need(n, "bias");
    if (b.values.size() != count) bad(n, "bias has " + std::to_string(b.values.size()) + " values, expected " + std::to_string(count));
    std::vector<float> values(b.values.begin(), b.values.end());
    // snngx_bias = 1: the layer has a bias even if it is all zero (a fresh network, to be trained).
    if (const auto keep = meta_number(n, "snngx_bias"); keep && *keep == 1.0) return values;
    return drop_zero_bias(std::move(values));
  }

  // ---- nodes ----
  Layer convert(const std::string& n) {
    last_node_ = n;
    const std::string& type = flat_.nodes.at(n)->type;
    if (recurrent_.contains(n) && !is_neuron(type)) bad(n, "recurrent weights must lead back into a neuron node");
    if (type == "Affine" || type == "Linear") return affine(n);
    if (type == "Conv2d" || type == "Conv1d") return conv(n, type == "Conv1d");
    if (type == "Flatten") {
      shape_ = {static_cast<int>(numel(shape_))};
      return Flatten{};
    }
    if (type == "SumPool2d" || type == "AvgPool2d") return pool(n, type == "AvgPool2d");
    if (type == "Scale") return Scale{per_neuron(n, "scale")};
    if (type == "Threshold") {
      Neuron t;
      t.model = NeuronModel::Threshold;
      t.dt = dt_of(n);
      t.reset = reset_of(n);
      t.v_threshold = per_neuron(n, "threshold");
      return t;
    }
    if (is_neuron(type)) return neuron(n, type);
    if (type == "Input") bad(n, "a second Input node on the chain");
    if (type == "Delay" || type == "CubaLI" || type == "NIRGraph")
      bad(n, "node type '" + type + "' is not supported (supported: Affine, Linear, Conv1d, Conv2d, Flatten, SumPool2d, AvgPool2d, "
             "Scale, Threshold, IF, LIF, CubaLIF, LI, I)");
    bad(n, "unknown node type '" + type + "'");
  }

  Layer affine(const std::string& n) {
    Linear L;
    L.weight = matrix(n, -1, -1);
    L.out_features = L.weight.shape[0];
    L.in_features = L.weight.shape[1];
    if (shape_.size() != 1 && numel(shape_) == static_cast<std::size_t>(L.in_features))
      bad(n, "receives " + to_string(shape_) + ", which is not flat (add a Flatten node)");
    if (numel(shape_) != static_cast<std::size_t>(L.in_features))
      bad(n, "weight expects " + std::to_string(L.in_features) + " inputs but the node receives " + to_string(shape_));
    L.bias = bias_of(n, static_cast<std::size_t>(L.out_features));
    shape_ = {L.out_features};
    return L;
  }

  Layer conv(const std::string& n, bool one_d) {
    const Array& w = need(n, "weight");
    const std::size_t rank = one_d ? 3 : 4;
    if (w.shape.size() != rank) bad(n, "weight has shape " + shape_text(w.shape) + ", expected " + std::to_string(rank) + " dimensions");
    Conv2d C;
    C.one_d = one_d;
    C.out_channels = static_cast<int>(w.shape[0]);
    C.in_channels = static_cast<int>(w.shape[1]);
    C.kernel = one_d ? std::array<int, 2>{1, static_cast<int>(w.shape[2])} : std::array<int, 2>{static_cast<int>(w.shape[2]), static_cast<int>(w.shape[3])};
    if (shape_.size() != 3 || shape_[0] != C.in_channels || (one_d && shape_[1] != 1))
      bad(n, "weight " + shape_text(w.shape) + " expects " + std::to_string(C.in_channels) + " input channels but the node receives " +
                 to_string(shape_));
    if (has(n, "input_shape")) {
      const Array& s = need(n, "input_shape");
      const std::vector<double> expect = one_d ? std::vector<double>{static_cast<double>(shape_[2])}
                                               : std::vector<double>{static_cast<double>(shape_[1]), static_cast<double>(shape_[2])};
      if (s.values != expect) {
        std::vector<std::int64_t> given(s.values.begin(), s.values.end());
        bad(n, "input_shape " + shape_text(given) + " does not match the node's input " + to_string(shape_));
      }
    }
    const auto stride = pair(n, "stride", 1, 1);
    const auto dilation = pair(n, "dilation", 1, 1);
    if (dilation[0] != 1 || dilation[1] != 1) bad(n, "dilation other than 1 is not supported");
    if (has(n, "groups") && need(n, "groups").values != std::vector<double>{1.0}) bad(n, "groups other than 1 are not supported");
    std::array<int, 2> padding{0, 0};
    const Node& node = *flat_.nodes.at(n);
    if (const auto it = node.params.find("padding"); it != node.params.end() && it->second.is_text) {
      if (it->second.text == "same") {
        if (stride[0] != 1 || stride[1] != 1 || C.kernel[0] % 2 == 0 || C.kernel[1] % 2 == 0)
          bad(n, "padding 'same' is supported only with stride 1 and odd kernels");
        padding = {C.kernel[0] / 2, C.kernel[1] / 2};
      } else if (it->second.text != "valid") {
        bad(n, "padding '" + it->second.text + "' is not 'same', 'valid' or numbers");
      }
    } else {
      padding = pair(n, "padding", 0, 0);
    }
    C.stride = one_d ? std::array<int, 2>{1, stride[1]} : stride;
    C.padding = one_d ? std::array<int, 2>{0, padding[1]} : padding;
    C.weight.shape = {C.out_channels, C.in_channels, C.kernel[0], C.kernel[1]};
    C.weight.values.assign(w.values.begin(), w.values.end());
    C.bias = bias_of(n, static_cast<std::size_t>(C.out_channels));
    const int oh = (shape_[1] + 2 * C.padding[0] - C.kernel[0]) / C.stride[0] + 1;
    const int ow = (shape_[2] + 2 * C.padding[1] - C.kernel[1]) / C.stride[1] + 1;
    if (oh <= 0 || ow <= 0) bad(n, "the output of input " + to_string(shape_) + " would be empty");
    shape_ = {C.out_channels, oh, ow};
    return C;
  }

  Layer pool(const std::string& n, bool average) {
    if (shape_.size() != 3) bad(n, "receives " + to_string(shape_) + ", which is not [C,H,W]");
    Pool2d P;
    P.mode = average ? Pool2d::Mode::Average : Pool2d::Mode::Sum;
    P.kernel = pair(n, "kernel_size", 1, std::nullopt);
    P.stride = pair(n, "stride", 1, P.kernel[0] == P.kernel[1] ? std::optional<int>(P.kernel[0]) : std::nullopt);
    P.padding = pair(n, "padding", 0, 0);
    const int oh = (shape_[1] + 2 * P.padding[0] - P.kernel[0]) / P.stride[0] + 1;
    const int ow = (shape_[2] + 2 * P.padding[1] - P.kernel[1]) / P.stride[1] + 1;
    if (oh <= 0 || ow <= 0) bad(n, "the output of input " + to_string(shape_) + " would be empty");
    shape_ = {shape_[0], oh, ow};
    return P;
  }

  Layer neuron(const std::string& n, const std::string& type) {
    Neuron N;
    N.dt = dt_of(n);
    N.reset = reset_of(n);
    if (type == "LIF") {
      N.model = NeuronModel::Lif;
      N.tau = per_neuron(n, "tau");
    } else if (type == "CubaLIF") {
      N.model = NeuronModel::CubaLif;
      N.tau = per_neuron(n, "tau_mem");
      N.tau_syn = per_neuron(n, "tau_syn");
      N.w_in = per_neuron_or(n, "w_in", 1.0f);
    } else if (type == "LI") {
      N.model = NeuronModel::Li;
      N.tau = per_neuron(n, "tau");
    } else if (type == "IF") {
      N.model = NeuronModel::If;
    } else {
      N.model = NeuronModel::Integrator;
    }
    N.r = per_neuron(n, "r");
    if (N.model == NeuronModel::Lif || N.model == NeuronModel::CubaLif || N.model == NeuronModel::Li) N.v_leak = per_neuron(n, "v_leak");
    if (spiking(N.model)) {
      N.v_threshold = per_neuron(n, "v_threshold");
      N.v_reset = per_neuron_or(n, "v_reset", 0.0f);
    }
    for (const auto* taus : {&N.tau, &N.tau_syn})
      for (const float t : *taus)
        if (!(t > 0.0f)) bad(n, "time constants must be positive");
    if (const auto it = recurrent_.find(n); it != recurrent_.end()) {
      const int count = static_cast<int>(numel(shape_));
      N.recurrent = matrix(it->second, count, count);
      N.recurrent_bias = bias_of(it->second, static_cast<std::size_t>(count));
    }
    if (const auto lif = N.recurrent ? std::nullopt : reference_lif(n, N)) return *lif;
    return N;
  }

  ImportOptions options_;
  std::string source_;
  const Metadata* graph_metadata_ = nullptr;
  Flat flat_;
  std::map<std::string, std::vector<std::string>> succ_, pred_;
  std::map<std::string, std::string> recurrent_;  // neuron -> its recurrent weight node
  std::set<std::string> recurrent_nodes_;
  Shape shape_;
  std::string last_node_;
};

// ---- network -> graph ---------------------------------------------------------------------------

Array numbers(const std::vector<float>& v, const Shape& shape) {
  Array a;
  a.shape.assign(shape.begin(), shape.end());
  a.values.assign(v.begin(), v.end());
  return a;
}
Array ints(const std::vector<std::int64_t>& v, bool scalar = false) {
  Array a;
  if (!scalar) a.shape = {static_cast<std::int64_t>(v.size())};
  a.values.assign(v.begin(), v.end());
  a.integer = true;
  return a;
}
Array shape_array(const Shape& s) { return ints(std::vector<std::int64_t>(s.begin(), s.end())); }

Node weights_node(const Weights& w, const std::vector<float>& bias) {
  Node node;
  node.type = bias.empty() ? "Linear" : "Affine";
  node.params["weight"] = numbers(w.values, w.shape);
  if (!bias.empty()) node.params["bias"] = numbers(bias, {static_cast<int>(bias.size())});
  if (!bias.empty()) node.metadata["snngx_bias"] = ints({1}, true);
  return node;
}

Array text(const std::string& t) {
  Array a;
  a.text = t;
  a.is_text = true;
  return a;
}
Array float64(double v) {
  Array a;
  a.values = {v};
  a.float64 = true;
  return a;
}

// A max pooling of spikes as NIR primitives: SumPool2d -> Threshold(0.5), both tagged so that
// snngx reads them back as the MaxPool2d (docs/formats.md).
std::pair<Node, Node> max_pool_nodes(const MaxPool2d& P, const Shape& out) {
  Node sum;
  sum.type = "SumPool2d";
  sum.params["kernel_size"] = ints({P.kernel[0], P.kernel[1]});
  sum.params["stride"] = ints({P.stride[0], P.stride[1]});
  sum.params["padding"] = ints({0, 0});
  sum.metadata["snngx_layer"] = text("maxpool2d");
  Node any;
  any.type = "Threshold";
  any.params["threshold"] = numbers(std::vector<float>(numel(out), 0.5f), out);
  any.metadata["snngx_layer"] = text("maxpool2d");
  return {sum, any};
}

Node layer_node(const Network& net, std::size_t i, const Shape& in) {
  const Layer& layer = net.layers[i];
  const auto refuse = [&](const std::string& what) {
    throw std::invalid_argument("layer " + std::to_string(i) + " (" + kind_name(layer) + "): " + what);
  };
  Node node;
  if (const auto* L = std::get_if<Linear>(&layer)) return weights_node(L->weight, L->bias);
  if (const auto* C = std::get_if<Conv2d>(&layer)) {
    node.type = C->one_d ? "Conv1d" : "Conv2d";
    const std::vector<float> bias = C->bias.empty() ? std::vector<float>(static_cast<std::size_t>(C->out_channels), 0.0f) : C->bias;
    node.params["bias"] = numbers(bias, {C->out_channels});
    if (!C->bias.empty()) node.metadata["snngx_bias"] = ints({1}, true);
    node.params["groups"] = ints({1}, true);
    if (C->one_d) {
      node.params["weight"] = numbers(C->weight.values, {C->out_channels, C->in_channels, C->kernel[1]});
      node.params["input_shape"] = ints({in[2]}, true);
      node.params["stride"] = ints({C->stride[1]}, true);
      node.params["padding"] = ints({C->padding[1]}, true);
      node.params["dilation"] = ints({1}, true);
    } else {
      node.params["weight"] = numbers(C->weight.values, C->weight.shape);
      node.params["input_shape"] = ints({in[1], in[2]});
      node.params["stride"] = ints({C->stride[0], C->stride[1]});
      node.params["padding"] = ints({C->padding[0], C->padding[1]});
      node.params["dilation"] = ints({1, 1});
    }
    return node;
  }
  if (const auto* N = std::get_if<Lif>(&layer)) {
    // v = decay * v * (1 - s) + I is NIR's LIF at dt with dt/tau = 1 - decay and r * dt/tau = 1.
    if (!(N->decay < 1.0f)) refuse("decay " + std::to_string(N->decay) + " has no NIR LIF time constant (needs decay < 1)");
    const double rate = 1.0 - static_cast<double>(N->decay), dt = 1e-4;
    const std::size_t n = numel(in);
    node.type = "LIF";
    node.params["tau"] = numbers(std::vector<float>(n, static_cast<float>(dt / rate)), in);
    node.params["r"] = numbers(std::vector<float>(n, static_cast<float>(1.0 / rate)), in);
    node.params["v_leak"] = numbers(std::vector<float>(n, 0.0f), in);
    node.params["v_threshold"] = numbers(std::vector<float>(n, N->threshold), in);
    node.params["v_reset"] = numbers(std::vector<float>(n, 0.0f), in);
    // The NIR parameters hold decay only up to float rounding; the metadata keeps it exactly.
    node.metadata["snngx_layer"] = text("lif");
    node.metadata["snngx_decay"] = float64(N->decay);
    return node;
  }
  if (std::holds_alternative<Flatten>(layer)) {
    node.type = "Flatten";
    node.params["start_dim"] = ints({0}, true);
    node.params["end_dim"] = ints({-1}, true);
    node.params["input_type"] = shape_array(in);
    return node;
  }
  if (const auto* P = std::get_if<Pool2d>(&layer)) {
    node.type = P->mode == Pool2d::Mode::Sum ? "SumPool2d" : "AvgPool2d";
    node.params["kernel_size"] = ints({P->kernel[0], P->kernel[1]});
    node.params["stride"] = ints({P->stride[0], P->stride[1]});
    node.params["padding"] = ints({P->padding[0], P->padding[1]});
    return node;
  }
  if (const auto* S = std::get_if<Scale>(&layer)) {
    node.type = "Scale";
    node.params["scale"] = numbers(S->factors, in);
    return node;
  }
  const auto& N = std::get<Neuron>(layer);
  // NIR 1.x has only v := v_reset; other tools read the node with that reset (docs/formats.md).
  node.metadata["snngx_reset"] = text(to_string(N.reset));
  node.metadata["snngx_dt"] = float64(N.dt);
  switch (N.model) {
    case NeuronModel::If: node.type = "IF"; break;
    case NeuronModel::Lif: node.type = "LIF"; break;
    case NeuronModel::CubaLif: node.type = "CubaLIF"; break;
    case NeuronModel::Li: node.type = "LI"; break;
    case NeuronModel::Integrator: node.type = "I"; break;
    case NeuronModel::Threshold:
      node.type = "Threshold";
      node.params["threshold"] = numbers(N.v_threshold, in);
      return node;
  }
  for (const auto& name : neuron_parameter_names(N.model)) {
    const std::string nir_name = name == "tau" && N.model == NeuronModel::CubaLif ? "tau_mem" : name;
    node.params[nir_name] = numbers(neuron_parameter(N, name), in);
  }
  return node;
}

}  // namespace

Document read(const fs::path& path) {
  const std::string file = path.string();
  H5::H5File f = h5::open_read(path);
  try {
    Document doc;
    doc.version = f.nameExists("version") ? read_text(f, "version", file) : "";
    if (!f.nameExists("node")) fail(file, "group '/node' missing (not a NIR file)");
    if (f.childObjType("node") != H5O_TYPE_GROUP) fail(file, "'/node' is not a group");
    Node root = read_node(f.openGroup("node"), file + ":/node", 0);
    if (root.type != "NIRGraph") fail(file, "'/node' has type '" + root.type + "', expected 'NIRGraph'");
    doc.graph = std::move(*root.graph);
    return doc;
  } catch (const H5::Exception& e) {
    fail(file, "HDF5 error: " + e.getDetailMsg());
  }
}

void write(const fs::path& path, const Document& doc) {
  h5::write_atomically(path, [&](const fs::path& tmp) {
    H5::H5File f = h5::create_checksummed_file(tmp);  // checksummed headers: docs/formats.md, NIR
    write_text(f, "version", doc.version);
    Node root;
    root.type = "NIRGraph";
    root.graph = std::make_shared<Graph>(doc.graph);
    H5::Group g = h5::create_group(f, "node");
    write_node(g, root);
  });
}

Network to_network(const Document& doc, const ImportOptions& options, const std::string& source) {
  if (options.dt && (!(*options.dt > 0.0) || !std::isfinite(*options.dt))) throw std::invalid_argument("dt must be a positive number of seconds");
  if (options.time_steps && *options.time_steps <= 0) throw std::invalid_argument("time steps must be positive");
  return Importer(options, source).run(doc);
}

Document from_network(const Network& net) {
  validate(net);
  Document doc;
  doc.version = kWrittenVersion;
  Graph& g = doc.graph;
  Node input;
  input.type = "Input";
  input.params["shape"] = shape_array(net.input_shape);
  g.nodes["input"] = input;
  g.metadata["snngx_arch"] = text(net.arch);
  g.metadata["snngx_time_steps"] = ints({net.time_steps}, true);
  const auto shapes = net.layer_output_shapes();
  std::string previous = "input";
  Shape in = net.input_shape;
  std::string spikes_from;  // the layer whose 0/1 output the current activation is; empty: not spikes
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const std::string name = std::to_string(i);
    const Layer& layer = net.layers[i];
    if (const auto* P = std::get_if<MaxPool2d>(&layer)) {
      if (spikes_from.empty())
        throw std::invalid_argument("layer " + std::to_string(i) +
                                    " (maxpool2d): NIR has no max pooling node; snngx writes it as SumPool2d -> Threshold 0.5, "
                                    "which equals it only on spikes, but its input " +
                                    (i == 0 ? std::string("is the network's input") : "comes from layer " + std::to_string(i - 1) + " (" + kind_name(net.layers[i - 1]) + ")"));
      auto [sum, any] = max_pool_nodes(*P, shapes[i]);
      g.nodes[name] = std::move(sum);
      g.nodes[name + "_max"] = std::move(any);
      g.edges.emplace_back(previous, name);
      g.edges.emplace_back(name, name + "_max");
      previous = name + "_max";
      in = shapes[i];
      continue;
    }
    const auto* N = std::get_if<Neuron>(&layer);
    if (std::holds_alternative<Lif>(layer) || (N && spiking(N->model))) spikes_from = name;
    else if (!std::holds_alternative<Flatten>(layer)) spikes_from.clear();
    g.nodes[name] = layer_node(net, i, in);
    g.edges.emplace_back(previous, name);
    if (N && N->recurrent) {
      const std::string rec = name + "_rec";
      g.nodes[rec] = weights_node(*N->recurrent, N->recurrent_bias);
      g.edges.emplace_back(name, rec);
      g.edges.emplace_back(rec, name);
    }
    previous = name;
    in = shapes[i];
  }
  Node output;
  output.type = "Output";
  output.params["shape"] = shape_array(in);
  g.nodes["output"] = output;
  g.edges.emplace_back(previous, "output");
  return doc;
}

Network import_file(const fs::path& path, const ImportOptions& options) { return to_network(read(path), options, path.string()); }

void export_file(const fs::path& path, const Network& net) { write(path, from_network(net)); }

}  // namespace snngx::snn::nir
