// Spiking Heidelberg Digits (shd_train.h5 / shd_test.h5) as an EventDataset: units are blocks of
// samples read by hyperslab, so memory stays bounded by one block whatever the file size.
#include <bit>
#include <cmath>
#include <mutex>

#include "readers_detail.hpp"
#include "snngx/datasets/h5.hpp"
#include "snngx/datasets/shd.hpp"

namespace snngx::datasets {
namespace fs = std::filesystem;

std::int64_t shd_time_us(double seconds, bool single_precision) {
  // tonic: file["spikes/times"][i] * 1e6, cast to int. With numpy 1.x a float16/float32 array
  // times the scalar 1e6 is computed in float32, a float64 array in float64; the cast truncates.
  if (single_precision) return static_cast<std::int64_t>(static_cast<float>(seconds) * 1e6f);
  return static_cast<std::int64_t>(seconds * 1e6);
}

std::uint16_t to_half(double value) {
  const auto bits = std::bit_cast<std::uint64_t>(value);
  const auto sign = static_cast<std::uint16_t>((bits >> 48) & 0x8000);
  const int exponent = static_cast<int>((bits >> 52) & 0x7FF);
  std::uint64_t mantissa = bits & ((std::uint64_t{1} << 52) - 1);
  if (exponent == 0x7FF) return static_cast<std::uint16_t>(sign | 0x7C00 | (mantissa ? 0x200 : 0));  // inf, NaN
  int e = exponent - 1023 + 15;
  if (e >= 31) return static_cast<std::uint16_t>(sign | 0x7C00);
  int shift = 42;  // 52 - 10 mantissa bits
  if (e <= 0) {    // subnormal half: the implicit 1 becomes explicit and shifts further
    if (e < -10) return sign;
    mantissa |= std::uint64_t{1} << 52;
    shift += 1 - e;
    e = 0;
  }
  std::uint64_t half = mantissa >> shift;
  const std::uint64_t rest = mantissa & ((std::uint64_t{1} << shift) - 1), halfway = std::uint64_t{1} << (shift - 1);
  if (rest > halfway || (rest == halfway && (half & 1))) ++half;  // a carry moves into the exponent
  return static_cast<std::uint16_t>(sign | ((static_cast<std::uint64_t>(e) << 10) + half));
}

double from_half(std::uint16_t bits) {
  const int e = (bits >> 10) & 0x1F, m = bits & 0x3FF;
  const double v = e == 0 ? std::ldexp(m, -24) : e == 31 ? (m ? std::nan("") : INFINITY) : std::ldexp(1024 + m, e - 25);
  return bits & 0x8000 ? -v : v;
}

Events shd_events(std::span<const double> seconds, std::span<const std::int64_t> channels, bool single_precision,
                  const std::string& where) {
  if (seconds.size() != channels.size())
    throw std::runtime_error(where + ": /spikes/times has " + std::to_string(seconds.size()) + " values but /spikes/units has " +
                             std::to_string(channels.size()));
  Events events(seconds.size());
  for (std::size_t e = 0; e < seconds.size(); ++e) {
    if (channels[e] < 0 || channels[e] >= shd_sensor.w)
      throw std::runtime_error(where + ": spike " + std::to_string(e) + " on channel " + std::to_string(channels[e]) +
                               " outside 0..699");
    if (!(seconds[e] >= 0.0 && seconds[e] < 1e6))
      throw std::runtime_error(where + ": spike " + std::to_string(e) + " at time " + std::to_string(seconds[e]) +
                               " s is negative or not finite");
    events[e] = {shd_time_us(seconds[e], single_precision), static_cast<std::uint16_t>(channels[e]), 0, 0};
  }
  return events;
}

namespace detail {
namespace {

// The HDF5 library of Debian is not built thread-safe: every call of this reader holds the lock.
std::mutex& hdf5_mutex() {
  static std::mutex m;
  return m;
}

constexpr std::size_t block_size = 256;

// Frees the variable-length buffers HDF5 allocated for a read, also when decoding throws.
struct VlenBuffer {
  std::vector<hvl_t> data;
  H5::DataType type;
  H5::DataSpace space;
  ~VlenBuffer() {
    if (!data.empty()) H5Dvlen_reclaim(type.getId(), space.getId(), H5P_DEFAULT, data.data());
  }
};

class ShdDataset final : public EventDataset {
 public:
  explicit ShdDataset(const fs::path& file) : file_(file) {
    const std::lock_guard lock(hdf5_mutex());
    const std::string where = file.string();
    h5_ = h5::open_read(file);
    try {
      times_ = open_vlen("spikes/times", H5T_FLOAT, "floats (seconds)");
      units_ = open_vlen("spikes/units", H5T_INTEGER, "integers (channels)");
      if (!h5_.nameExists("labels")) h5::fail(where, "dataset /labels missing");
      const H5::DataSet labels = h5_.openDataSet("labels");
      if (labels.getTypeClass() != H5T_INTEGER) h5::fail(where, "/labels is not an integer dataset");
      const auto n_times = h5::dims(times_), n_units = h5::dims(units_), n_labels = h5::dims(labels);
      if (n_times.size() != 1 || n_units.size() != 1 || n_labels.size() != 1)
        h5::fail(where, "/spikes/times, /spikes/units and /labels must be 1-D");
      if (n_times[0] != n_units[0] || n_times[0] != n_labels[0])
        h5::fail(where, "mismatched lengths: /spikes/times has " + std::to_string(n_times[0]) + " samples, /spikes/units " +
                            std::to_string(n_units[0]) + ", /labels " + std::to_string(n_labels[0]));
      labels_.resize(n_labels[0]);
      if (!labels_.empty()) labels.read(labels_.data(), H5::PredType::NATIVE_INT64);
      for (std::size_t i = 0; i < labels_.size(); ++i)
        if (labels_[i] < 0 || labels_[i] >= shd_classes)
          h5::fail(where, "/labels[" + std::to_string(i) + "] = " + std::to_string(labels_[i]) + " is outside 0..19");
      single_precision_ = times_.getVarLenType().getSuper().getSize() <= 4;
      classes_ = read_keys();
    } catch (const H5::Exception& e) {
      h5::fail(where, "cannot read the SHD datasets (" + e.getDetailMsg() + ")");
    }
  }
  ~ShdDataset() override {
    const std::lock_guard lock(hdf5_mutex());
    times_ = {};
    units_ = {};
    h5_ = {};
  }
  ShdDataset(const ShdDataset&) = delete;
  ShdDataset& operator=(const ShdDataset&) = delete;

  std::string format() const override { return "shd"; }
  std::string description() const override { return "shd:" + file_.string(); }
  SensorSize sensor() const override { return shd_sensor; }
  std::vector<std::string> classes() const override { return classes_; }
  std::size_t num_units() const override { return (labels_.size() + block_size - 1) / block_size; }
  std::string unit_name(std::size_t unit) const override {
    return file_.string() + "[" + std::to_string(unit * block_size) + ".." +
           std::to_string(std::min(labels_.size(), (unit + 1) * block_size)) + ")";
  }
  std::vector<Sample> load(std::size_t unit) const override {
    const std::size_t first = unit * block_size;
    if (first >= labels_.size()) throw std::out_of_range("ShdDataset::load: no unit " + std::to_string(unit));
    const std::size_t count = std::min(block_size, labels_.size() - first);
    const std::lock_guard lock(hdf5_mutex());
    try {
      VlenBuffer times, units;
      read_block(times_, H5::VarLenType(H5::PredType::NATIVE_DOUBLE), first, count, times);
      read_block(units_, H5::VarLenType(H5::PredType::NATIVE_INT64), first, count, units);
      std::vector<Sample> samples(count);
      for (std::size_t k = 0; k < count; ++k) {
        const std::size_t i = first + k;
        const std::string where = file_.string() + ": sample " + std::to_string(i);
        const hvl_t& t = times.data[k];
        const hvl_t& u = units.data[k];
        Sample& s = samples[k];
        s.label = static_cast<std::int32_t>(labels_[i]);
        s.id = file_.filename().string() + "#" + std::to_string(i);
        s.events = shd_events({static_cast<const double*>(t.p), t.len}, {static_cast<const std::int64_t*>(u.p), u.len},
                              single_precision_, where);
      }
      return samples;
    } catch (const H5::Exception& e) {
      h5::fail(file_.string(), "cannot read samples " + std::to_string(first) + ".." + std::to_string(first + count) + " (" +
                                   e.getDetailMsg() + ")");
    }
  }

 private:
  H5::DataSet open_vlen(const std::string& name, H5T_class_t element, const std::string& what) const {
    if (!h5_.nameExists("spikes") || !h5_.nameExists(name)) h5::fail(file_.string(), "dataset /" + name + " missing");
    H5::DataSet ds = h5_.openDataSet(name);
    if (ds.getTypeClass() != H5T_VLEN || ds.getVarLenType().getSuper().getClass() != element)
      h5::fail(file_.string(), "/" + name + " is not a dataset of variable-length arrays of " + what);
    h5::check_storage(file_.string(), ds, "/" + name);  // a corrupt element type is one error, not gigabytes zeroed
    return ds;
  }

  static void read_block(const H5::DataSet& ds, const H5::VarLenType& type, std::size_t first, std::size_t count,
                         VlenBuffer& out) {
    H5::DataSpace file_space = ds.getSpace();
    const hsize_t start = first, n = count;
    file_space.selectHyperslab(H5S_SELECT_SET, &n, &start);
    out.space = H5::DataSpace(1, &n);
    out.type = type;
    std::vector<hvl_t> buffer(count, hvl_t{0, nullptr});
    ds.read(buffer.data(), type, out.space, file_space);
    out.data = std::move(buffer);
  }

  // /extra/keys names the classes in the real files; otherwise "0".."19".
  std::vector<std::string> read_keys() const {
    std::vector<std::string> names;
    if (h5_.nameExists("extra") && h5_.nameExists("extra/keys")) {
      const H5::DataSet keys = h5_.openDataSet("extra/keys");
      const auto d = h5::dims(keys);
      if (keys.getTypeClass() == H5T_STRING && d.size() == 1 && d[0] == static_cast<hsize_t>(shd_classes)) {
        h5::check_storage(file_.string(), keys, "extra/keys");  // a corrupt string type is one error, not gigabytes zeroed
        const H5::StrType type = keys.getStrType();
        if (type.isVariableStr()) {
          std::vector<char*> raw(d[0], nullptr);
          const H5::StrType vtype(H5::PredType::C_S1, H5T_VARIABLE);
          keys.read(raw.data(), vtype);
          for (char* s : raw) names.emplace_back(s ? s : "");
          H5Dvlen_reclaim(vtype.getId(), keys.getSpace().getId(), H5P_DEFAULT, raw.data());
        } else {
          const std::size_t len = type.getSize();
          std::vector<char> raw(len * d[0]);
          keys.read(raw.data(), type);
          for (std::size_t i = 0; i < d[0]; ++i) {
            std::string s(raw.data() + i * len, len);
            s.erase(s.find_last_not_of(std::string("\0 ", 2)) + 1);
            names.push_back(s);
          }
        }
      }
    }
    if (names.size() != static_cast<std::size_t>(shd_classes)) {
      names.clear();
      for (int c = 0; c < shd_classes; ++c) names.push_back(std::to_string(c));
    }
    return names;
  }

  fs::path file_;
  H5::H5File h5_;
  H5::DataSet times_, units_;
  std::vector<std::int64_t> labels_;
  std::vector<std::string> classes_;
  bool single_precision_ = true;
};

}  // namespace

std::unique_ptr<EventDataset> open_shd(const fs::path& root, const std::string& split) {
  const fs::path file = fs::is_directory(root) ? root / ("shd_" + split + ".h5") : root;
  if (!fs::is_regular_file(file))
    throw std::runtime_error(file.string() + ": no such file (expected shd_" + split + ".h5 or its folder)");
  return std::make_unique<ShdDataset>(file);
}

}  // namespace detail
}  // namespace snngx::datasets
