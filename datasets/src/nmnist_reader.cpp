// The N-MNIST tree as an EventDataset: one sample per .bin file.
#include <fstream>

#include "readers_detail.hpp"
#include "snngx/datasets/nmnist.hpp"

namespace snngx::datasets::detail {
namespace fs = std::filesystem;

namespace {

class NmnistDataset final : public EventDataset {
 public:
  NmnistDataset(const fs::path& root, const std::string& split, const ReaderOptions& options)
      : root_(root), split_(split), options_(options), files_(list_nmnist(root, split)) {
    // A tree made by `dataset make-default` names its classes in classes.txt (N-Fashion-MNIST).
    std::ifstream names(root / "classes.txt");
    for (std::string line; std::getline(names, line);)
      if (!line.empty()) classes_.push_back(line);
    if (classes_.size() != 10)
      classes_ = {"0 - zero", "1 - one", "2 - two",   "3 - three", "4 - four",
                  "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"};
  }
  std::string format() const override { return "nmnist"; }
  std::string description() const override {
    return "nmnist:" + (root_ / (split_ == "train" ? "Train" : "Test")).string() +
           (options_.first_saccade_only ? " (first saccade)" : "");
  }
  SensorSize sensor() const override { return nmnist_sensor; }
  std::vector<std::string> classes() const override { return classes_; }
  std::size_t num_units() const override { return files_.size(); }
  std::string unit_name(std::size_t unit) const override { return files_.at(unit).path.string(); }
  std::vector<Sample> load(std::size_t unit) const override {
    const auto& f = files_.at(unit);
    std::vector<Sample> out(1);
    out[0].events = read_nmnist_file(f.path, options_.first_saccade_only);
    out[0].label = f.label;
    out[0].id = f.path.string();
    return out;
  }

 private:
  fs::path root_;
  std::string split_;
  ReaderOptions options_;
  std::vector<LabelledFile> files_;
  std::vector<std::string> classes_;
};

}  // namespace

std::unique_ptr<EventDataset> open_nmnist(const fs::path& root, const std::string& split, const ReaderOptions& options) {
  return std::make_unique<NmnistDataset>(root, split, options);
}

}  // namespace snngx::datasets::detail
