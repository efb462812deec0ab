#pragma once
// The outputs file (`infer/simulate/cosim --outputs`: spike_counts [N, classes], predictions [N],
// labels [N], cycles [N], and whatever else it holds at its root): its one writer
// (OutputsWriter), and its arrays written as CSV or NumPy .npy files, one per array, for users
// without h5py.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace snngx::datasets {

/// Writes an outputs file: named arrays of int32, uint8, uint64 or float32 at the file's root,
/// stored little-endian with the shape given (1-D, 2-D or 3-D; samples first). The arrays are
/// held by reference: they must outlive write(). Stage `path` (io::StagedOutputs::write) for an
/// all-or-nothing output.
class OutputsWriter {
 public:
  /// Throws std::logic_error when the shape's element count is not the array's size.
  void add(std::string name, std::span<const std::int32_t> values, std::vector<std::uint64_t> shape);
  void add(std::string name, std::span<const std::uint8_t> values, std::vector<std::uint64_t> shape);
  void add(std::string name, std::span<const std::uint64_t> values, std::vector<std::uint64_t> shape);
  void add(std::string name, std::span<const float> values, std::vector<std::uint64_t> shape);
  void write(const std::filesystem::path& path) const;

 private:
  enum class Element { i32, u8, u64, f32 };
  struct Array {
    std::string name;
    std::vector<std::uint64_t> shape;
    const void* data = nullptr;
    Element element = Element::i32;
  };
  void add_array(std::string name, const void* data, std::size_t count, Element element, std::vector<std::uint64_t> shape);
  std::vector<Array> arrays_;
};

/// One numeric array of an outputs file, its bytes as stored (little-endian, C order).
struct OutputArray {
  std::string name;
  std::vector<std::uint64_t> shape;
  std::string npy_descr;  // "<i4", "<u8", "<f4", ...
  std::size_t item_bytes = 0;
  bool is_float = false, is_signed = false;
  std::vector<std::uint8_t> bytes;
  /// Element i as text ("%d", "%u" or "%.9g").
  [[nodiscard]] std::string element(std::uint64_t i) const;
};

/// Every 1-D or 2-D integer or float dataset at the root of an outputs file, in name order.
/// Errors name the file: no such file, not an outputs file ("is a model file, not an outputs
/// file"), no arrays.
std::vector<OutputArray> read_output_arrays(const std::filesystem::path& path);

/// "sample,<name>" (1-D) or "sample,<name>_0,<name>_1,..." (2-D) and one row per sample.
std::string to_csv(const OutputArray& array);

enum class ExportFormat { csv, npy };

/// Writes <dir>/<name>.csv or .npy for every array, all or none (staged, then committed); the
/// folder is created when missing. Returns the files written.
std::vector<std::filesystem::path> export_outputs(const std::filesystem::path& outputs_file, const std::filesystem::path& dir,
                                                  ExportFormat format);

}  // namespace snngx::datasets
