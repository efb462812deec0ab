// SHD: files written here with the HDF5 API in the release's layout (float16 or float64 times,
// uint16 units), read and framed as tonic does; malformed files give one clear error.
#include <gtest/gtest.h>

#include <H5Cpp.h>

#include <cmath>
#include <fstream>

#include "snngx/datasets/reader.hpp"
#include "snngx/datasets/shd.hpp"
#include "temp_dir.hpp"

namespace snngx::datasets {
namespace {

struct ShdSample {
  std::vector<double> times;
  std::vector<std::uint16_t> units;
  int label = 0;
};

// IEEE half precision, as the released files store spike times.
H5::FloatType half_type() {
  H5::FloatType t(H5::PredType::IEEE_F32LE);
  t.setFields(15, 10, 5, 0, 10);
  t.setPrecision(16);
  t.setSize(2);
  t.setEbias(15);
  return t;
}

void write_shd(const std::filesystem::path& path, const std::vector<ShdSample>& samples, bool half = true,
               std::size_t label_count = SIZE_MAX, bool with_keys = true) {
  H5::H5File f(path.string(), H5F_ACC_TRUNC);
  H5::Group spikes = f.createGroup("spikes");
  const hsize_t n = samples.size();
  const H5::DataSpace space(1, &n);
  // Data are handed to HDF5 as native doubles / uint16 and converted to the file types.
  // Half-precision times are rounded here (as numpy does) and stored without HDF5 conversion:
  // HDF5 1.10's double -> half conversion mis-rounds values just below a power of two.
  std::vector<hvl_t> times(n), units(n);
  std::vector<std::vector<std::uint16_t>> halves(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (const double t : samples[i].times) halves[i].push_back(to_half(t));
    times[i] = half ? hvl_t{halves[i].size(), halves[i].data()}
                    : hvl_t{samples[i].times.size(), const_cast<double*>(samples[i].times.data())};
    units[i] = {samples[i].units.size(), const_cast<std::uint16_t*>(samples[i].units.data())};
  }
  const H5::VarLenType file_times = half ? H5::VarLenType(half_type()) : H5::VarLenType(H5::PredType::IEEE_F64LE);
  spikes.createDataSet("times", file_times, space)
      .write(times.data(), half ? file_times : H5::VarLenType(H5::PredType::NATIVE_DOUBLE));
  const H5::VarLenType file_units(H5::PredType::STD_U16LE);
  spikes.createDataSet("units", file_units, space).write(units.data(), H5::VarLenType(H5::PredType::NATIVE_UINT16));
  std::vector<std::uint8_t> labels;
  for (const auto& s : samples) labels.push_back(static_cast<std::uint8_t>(s.label));
  labels.resize(std::min(label_count, labels.size()));
  const hsize_t nl = labels.size();
  f.createDataSet("labels", H5::PredType::STD_U8LE, H5::DataSpace(1, &nl)).write(labels.data(), H5::PredType::NATIVE_UINT8);
  if (with_keys) {
    H5::Group extra = f.createGroup("extra");
    std::vector<const char*> keys;
    std::vector<std::string> names;
    for (int c = 0; c < 20; ++c) names.push_back((c < 10 ? "english " : "german ") + std::to_string(c % 10));
    for (const auto& s : names) keys.push_back(s.c_str());
    const hsize_t nk = 20;
    const H5::StrType str(H5::PredType::C_S1, H5T_VARIABLE);
    extra.createDataSet("keys", str, H5::DataSpace(1, &nk)).write(keys.data(), str);
  }
}

std::string open_error(const std::filesystem::path& root) {
  try {
    const auto d = open_dataset("shd", root, "train");
    for (std::size_t u = 0; u < d->num_units(); ++u) (void)d->load(u);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(ShdTime, SecondsToMicrosecondsAsTonicWithNumpy1) {
  // Checked with numpy 1.24: float16 0.1234 * 1e6 -> float32 123413.086 -> 123413;
  // float32 0.1234567 * 1e6 = 123456.7 -> 123456; float64 1.001 * 1e6 = 1000999.9999999999 -> 1000999.
  EXPECT_EQ(shd_time_us(0.1234130859375, true), 123413);  // the float16 nearest to 0.1234
  EXPECT_EQ(shd_time_us(static_cast<float>(0.1234567), true), 123456);
  EXPECT_EQ(shd_time_us(1.0009765625, true), 1000976);
  EXPECT_EQ(shd_time_us(1.001, false), 1000999);
  EXPECT_EQ(shd_time_us(0.5, false), 500000);
}

TEST(ShdTime, HalfPrecisionRoundsToNearestEvenLikeNumpy) {
  // Values checked with numpy's float64 -> float16.
  EXPECT_EQ(from_half(to_half(0.1234)), 0.1234130859375);
  EXPECT_EQ(from_half(to_half(0.015622)), 0.015625);  // rounds up across a power of two
  EXPECT_EQ(from_half(to_half(0.0155716)), 0.01557159423828125);
  EXPECT_EQ(to_half(1.0), 0x3C00);
  EXPECT_EQ(to_half(1.0 + 1.0 / 2048), 0x3C00);  // a tie rounds to even
  EXPECT_EQ(to_half(1.0 + 3.0 / 2048), 0x3C02);
  EXPECT_EQ(to_half(65520.0), 0x7C00);           // overflows to infinity
  EXPECT_EQ(from_half(to_half(1e-7)), std::ldexp(2.0, -24));  // subnormal
  EXPECT_EQ(to_half(0.0), 0);
}

TEST(ShdReader, ReadsSpikesLabelsAndKeysAndFramesThemAs700Channels) {
  const testing::TempDir dir;
  std::vector<ShdSample> samples(300);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    samples[i].label = static_cast<int>(i % 20);
    for (int k = 0; k < 5; ++k) {
      samples[i].times.push_back(0.0625 * k + 0.125 * static_cast<double>(i % 3));  // exact in float16
      samples[i].units.push_back(static_cast<std::uint16_t>((i * 7 + static_cast<std::size_t>(k) * 131) % 700));
    }
  }
  write_shd(dir / "shd_train.h5", samples);
  const auto data = open_dataset("shd", dir.path, "train");
  EXPECT_EQ(data->sensor(), (SensorSize{700, 1, 1}));
  EXPECT_EQ(data->classes()[13], "german 3");
  ASSERT_EQ(data->num_units(), 2u);  // blocks of 256 samples
  const auto block = data->load(1);
  ASSERT_EQ(block.size(), 44u);
  const Sample& s = block[3];  // sample 259
  EXPECT_EQ(s.label, 259 % 20);
  ASSERT_EQ(s.events.size(), 5u);
  EXPECT_EQ(s.events[2], (Event{125000 + 125000, static_cast<std::uint16_t>((259 * 7 + 262) % 700), 0, 0}));
  // Framing: sensor (700, 1, 1) -> frames [T][1][1][700].
  ConvertOptions o;
  o.to_frame = ToFrame::n_time_bins(4);
  o.time_bins = 4;
  const auto stats = convert_dataset(*data, o, dir / "s.frames.h5");
  EXPECT_EQ(stats.samples, 300u);
  const FrameSet f = read_frames(dir / "s.frames.h5");
  EXPECT_EQ(f.shape, (FrameShape{4, 1, 1, 700}));
  // Sample 0: spikes at 0, 62500, 125000, 187500, 250000 us: w = 62500, one per bin, the last dropped.
  for (int k = 0; k < 4; ++k) EXPECT_EQ(f.sample(0)[static_cast<std::size_t>(k) * 700 + (static_cast<std::size_t>(k) * 131) % 700], 1) << k;
}

TEST(ShdReader, Float64TimesAndMissingKeysFallBackToNumberedClasses) {
  const testing::TempDir dir;
  write_shd(dir / "x.h5", {{{1.001, 2.0}, {0, 699}, 19}}, false, SIZE_MAX, false);
  write_shd(dir / "h.h5", {{{0.0155716, 0.015622}, {1, 2}, 0}});
  EXPECT_EQ(open_dataset("shd", dir / "h.h5", "test")->load(0)[0].events, (Events{{15571, 1, 0, 0}, {15625, 2, 0, 0}}));
  const auto data = open_dataset("shd", dir / "x.h5", "test");  // a file path is used as is
  EXPECT_EQ(data->classes()[19], "19");
  EXPECT_EQ(data->load(0)[0].events, (Events{{1000999, 0, 0, 0}, {2000000, 699, 0, 0}}));
}

TEST(ShdReader, RejectsMissingDatasetsMismatchedLengthsAndBadValues) {
  const testing::TempDir dir;
  const auto file = dir / "shd_train.h5";
  write_shd(file, {{{0.1}, {1}, 0}, {{0.2}, {2}, 1}}, true, 1);
  EXPECT_EQ(open_error(dir.path), file.string() + ": mismatched lengths: /spikes/times has 2 samples, /spikes/units 2, /labels 1");
  write_shd(file, {{{0.1}, {1}, 25}});
  EXPECT_EQ(open_error(dir.path), file.string() + ": /labels[0] = 25 is outside 0..19");
  write_shd(file, {{{0.1, 0.2}, {1}, 2}});
  EXPECT_EQ(open_error(dir.path), file.string() + ": sample 0: /spikes/times has 2 values but /spikes/units has 1");
  write_shd(file, {{{0.1}, {700}, 2}});
  EXPECT_EQ(open_error(dir.path), file.string() + ": sample 0: spike 0 on channel 700 outside 0..699");
  {
    H5::H5File f(file.string(), H5F_ACC_TRUNC);
    f.createGroup("spikes");
  }
  EXPECT_EQ(open_error(dir.path), file.string() + ": dataset /spikes/times missing");
  std::ofstream(file) << "not hdf5";
  EXPECT_EQ(open_error(dir.path), file.string() + ": not an HDF5 file");
  EXPECT_EQ(open_error(dir / "nowhere"), (dir / "nowhere").string() + ": no such file (expected shd_train.h5 or its folder)");
}

}  // namespace
}  // namespace snngx::datasets
