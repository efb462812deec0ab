// Training checkpoints: a model file (current weights) plus a `/train` group with the Adam
// moments, the best weights so far and the per-epoch history. Written atomically.
#include <H5Cpp.h>

#include <stdexcept>

#include "snngx/datasets/h5.hpp"
#include "snngx/snn/model_file.hpp"
#include "snngx/snn/train.hpp"

namespace snngx::snn {
namespace {

constexpr int kHistoryColumns = 8;  // epoch, loss, train_acc, test_acc, samples/s, seconds, lr, best

void write_floats(H5::Group& g, const std::string& name, const std::vector<float>& values) {
  const hsize_t n = values.size();
  g.createDataSet(name, H5::PredType::IEEE_F32LE, H5::DataSpace(1, &n)).write(values.data(), H5::PredType::NATIVE_FLOAT);
}

std::vector<float> read_floats(const H5::Group& g, const std::string& name, std::size_t expect, const std::string& where) {
  if (!g.nameExists(name)) h5::fail(where, "dataset '" + name + "' missing");
  const H5::DataSet ds = g.openDataSet(name);
  const auto d = h5::dims(ds);
  if (d.size() != 1 || d[0] != expect)
    h5::fail(where, "dataset '" + name + "' has the wrong size (expected " + std::to_string(expect) + " values)");
  std::vector<float> v(expect);
  ds.read(v.data(), H5::PredType::NATIVE_FLOAT);
  return v;
}

}  // namespace

void save_checkpoint(const std::filesystem::path& path, const Checkpoint& c) {
  h5::write_atomically(path, [&](const std::filesystem::path& tmp) {
    save_model(tmp, c.net);
    H5::H5File f(tmp.string(), H5F_ACC_RDWR);
    H5::Group g = f.createGroup("train");
    h5::set_attr(g, "epoch", std::int64_t{c.epoch});
    h5::set_attr(g, "adam_step", std::int64_t{c.adam.step});
    h5::set_attr(g, "best_epoch", std::int64_t{c.best_epoch});
    h5::set_attr(g, "best_test_accuracy", c.best_test_accuracy);
    h5::set_attr(g, "epochs_since_best", std::int64_t{c.epochs_since_best});
    for (std::size_t k = 0; k < c.adam.m.size(); ++k) {
      write_floats(g, "adam_m_" + std::to_string(k), c.adam.m[k]);
      write_floats(g, "adam_v_" + std::to_string(k), c.adam.v[k]);
    }
    for (std::size_t k = 0; k < c.adam.bias_m.size(); ++k)
      if (!c.adam.bias_m[k].empty()) {
        write_floats(g, "adam_bias_m_" + std::to_string(k), c.adam.bias_m[k]);
        write_floats(g, "adam_bias_v_" + std::to_string(k), c.adam.bias_v[k]);
      }
    if (c.best)
      for (std::size_t k = 0; k < c.best->num_weighted(); ++k) {
        write_floats(g, "best_" + std::to_string(k), c.best->weights(k).values);
        if (!c.best->bias(k).empty()) write_floats(g, "best_bias_" + std::to_string(k), c.best->bias(k));
      }
    std::vector<double> hist;
    for (const auto& e : c.history)
      hist.insert(hist.end(), {static_cast<double>(e.epoch), e.loss, e.train_accuracy, e.test_accuracy, e.samples_per_second,
                               e.seconds, static_cast<double>(e.learning_rate), e.best ? 1.0 : 0.0});
    const hsize_t d[2] = {c.history.size(), kHistoryColumns};
    g.createDataSet("history", H5::PredType::IEEE_F64LE, H5::DataSpace(2, d)).write(hist.data(), H5::PredType::NATIVE_DOUBLE);
    // Diagnostics in their own datasets, so checkpoints written before them still load.
    const std::size_t lif_layers = c.history.empty() ? 0 : c.history.front().firing_rate.size();
    std::vector<double> rates;
    std::vector<std::int32_t> silent;
    for (const auto& e : c.history) {
      if (e.firing_rate.size() != lif_layers) throw std::invalid_argument(path.string() + ": history rows differ in LIF layers");
      rates.insert(rates.end(), e.firing_rate.begin(), e.firing_rate.end());
      silent.push_back(e.silent_outputs);
    }
    const hsize_t dr[2] = {c.history.size(), lif_layers};
    g.createDataSet("history_firing_rate", H5::PredType::IEEE_F64LE, H5::DataSpace(2, dr)).write(rates.data(), H5::PredType::NATIVE_DOUBLE);
    g.createDataSet("history_silent_outputs", H5::PredType::STD_I32LE, H5::DataSpace(1, dr)).write(silent.data(), H5::PredType::NATIVE_INT32);
  });
}

Checkpoint load_checkpoint(const std::filesystem::path& path) {
  Checkpoint c;
  c.net = load_model(path);
  const std::string where = path.string() + ":/train";
  try {
    const H5::H5File f = h5::open_read(path);
    if (!f.nameExists("train")) h5::fail(path.string(), "group '/train' missing (a model file, not a training checkpoint)");
    const H5::Group g = f.openGroup("train");
    c.epoch = static_cast<int>(h5::get_int(g, "epoch", where));
    c.adam.step = h5::get_int(g, "adam_step", where);
    c.best_epoch = static_cast<int>(h5::get_int(g, "best_epoch", where));
    c.best_test_accuracy = h5::get_double(g, "best_test_accuracy", where);
    c.epochs_since_best = static_cast<int>(h5::get_int(g, "epochs_since_best", where));
    if (c.adam.step > 0)
      for (std::size_t k = 0; k < c.net.num_weighted(); ++k) {
        c.adam.m.push_back(read_floats(g, "adam_m_" + std::to_string(k), c.net.weights(k).count(), where));
        c.adam.v.push_back(read_floats(g, "adam_v_" + std::to_string(k), c.net.weights(k).count(), where));
        const std::size_t nb = c.net.bias(k).size();
        const bool has = nb > 0 && g.nameExists("adam_bias_m_" + std::to_string(k));
        c.adam.bias_m.push_back(has ? read_floats(g, "adam_bias_m_" + std::to_string(k), nb, where) : std::vector<float>(nb, 0.0f));
        c.adam.bias_v.push_back(has ? read_floats(g, "adam_bias_v_" + std::to_string(k), nb, where) : std::vector<float>(nb, 0.0f));
      }
    if (g.nameExists("best_0")) {
      Network best = c.net;
      for (std::size_t k = 0; k < best.num_weighted(); ++k)
      {
        best.weights(k).values = read_floats(g, "best_" + std::to_string(k), best.weights(k).count(), where);
        if (g.nameExists("best_bias_" + std::to_string(k)))
          best.bias(k) = read_floats(g, "best_bias_" + std::to_string(k), best.bias(k).size(), where);
      }
      c.best = std::move(best);
    }
    if (!g.nameExists("history")) h5::fail(where, "dataset 'history' missing");
    const H5::DataSet hs = g.openDataSet("history");
    const auto d = h5::dims(hs);
    if (d.size() != 2 || d[1] != kHistoryColumns) h5::fail(where, "dataset 'history' must be [epochs, 8]");
    std::vector<double> hist(d[0] * d[1]);
    if (!hist.empty()) hs.read(hist.data(), H5::PredType::NATIVE_DOUBLE);
    for (std::size_t r = 0; r < d[0]; ++r) {
      const double* h = hist.data() + r * kHistoryColumns;
      c.history.push_back({static_cast<int>(h[0]), h[1], h[2], h[3], h[4], h[5], static_cast<float>(h[6]), h[7] != 0.0, {}, -1});
    }
    if (g.nameExists("history_firing_rate") && g.nameExists("history_silent_outputs")) {
      const H5::DataSet rs = g.openDataSet("history_firing_rate"), ss = g.openDataSet("history_silent_outputs");
      const auto dr = h5::dims(rs), ds = h5::dims(ss);
      if (dr.size() != 2 || dr[0] != d[0] || ds.size() != 1 || ds[0] != d[0])
        h5::fail(where, "datasets 'history_firing_rate' / 'history_silent_outputs' do not match 'history'");
      std::vector<double> rates(dr[0] * dr[1]);
      std::vector<std::int32_t> silent(ds[0]);
      if (!rates.empty()) rs.read(rates.data(), H5::PredType::NATIVE_DOUBLE);
      if (!silent.empty()) ss.read(silent.data(), H5::PredType::NATIVE_INT32);
      for (std::size_t r = 0; r < d[0]; ++r) {
        c.history[r].firing_rate.assign(rates.begin() + static_cast<std::ptrdiff_t>(r * dr[1]),
                                        rates.begin() + static_cast<std::ptrdiff_t>((r + 1) * dr[1]));
        c.history[r].silent_outputs = silent[r];
      }
    }
  } catch (const H5::Exception& e) {
    h5::fail(where, "unreadable (" + e.getDetailMsg() + ")");
  }
  return c;
}

}  // namespace snngx::snn
