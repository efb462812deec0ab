// DVS128 Gesture as an EventDataset: one unit per recording (IBM release, cut by its labels CSV)
// or per .npy sample (tonic's preprocessed release).
#include <algorithm>
#include <fstream>
#include <sstream>

#include "readers_detail.hpp"
#include "snngx/datasets/dvsgesture.hpp"
#include "snngx/datasets/nmnist.hpp"

namespace snngx::datasets::detail {
namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& path) {
  const auto bytes = read_file_bytes(path);
  return {bytes.begin(), bytes.end()};
}

// IBM's release: the trial list names the recordings of the split.
class AedatGestureDataset final : public EventDataset {
 public:
  AedatGestureDataset(const fs::path& root, const fs::path& list) : root_(root), list_(list) {
    const auto names = parse_trial_list(read_text(list));
    for (std::size_t i = 0; i < names.size(); ++i) {
      const fs::path file = root / names[i];
      if (file.extension() != ".aedat")
        throw std::runtime_error(list.string() + ": line " + std::to_string(i + 1) + ": '" + names[i] +
                                 "' is not an .aedat file name");
      if (!fs::is_regular_file(file))
        throw std::runtime_error(list.string() + ": line " + std::to_string(i + 1) + ": " + file.string() + " not found");
      fs::path labels = file;
      labels.replace_extension();
      labels += "_labels.csv";
      if (!fs::is_regular_file(labels))
        throw std::runtime_error(file.string() + ": its labels file " + labels.filename().string() + " is missing");
      recordings_.push_back(file);
    }
    if (recordings_.empty()) throw std::runtime_error(list.string() + ": lists no recordings");
  }
  std::string format() const override { return "dvsgesture"; }
  std::string description() const override { return "dvsgesture:" + list_.string(); }
  SensorSize sensor() const override { return dvsgesture_sensor; }
  std::vector<std::string> classes() const override { return gesture_classes(); }
  std::size_t num_units() const override { return recordings_.size(); }
  std::string unit_name(std::size_t unit) const override { return recordings_.at(unit).string(); }
  std::vector<Sample> load(std::size_t unit) const override {
    const fs::path& file = recordings_.at(unit);
    fs::path labels_path = file;
    labels_path.replace_extension();
    labels_path += "_labels.csv";
    const auto labels = parse_gesture_labels(read_text(labels_path), labels_path.string());
    const Events events = decode_aedat31(read_file_bytes(file), file.string());
    return cut_gesture_samples(events, labels, file.filename().string(), labels_path.string());
  }

 private:
  fs::path root_, list_;
  std::vector<fs::path> recordings_;
};

// tonic's preprocessed release: ibmGestureTrain|Test/userNN_<lighting>/<label>.npy.
class NpyGestureDataset final : public EventDataset {
 public:
  explicit NpyGestureDataset(const fs::path& dir) : dir_(dir) {
    std::vector<fs::path> users;
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.is_directory()) users.push_back(entry.path());
    std::sort(users.begin(), users.end());
    for (const auto& user : users) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(user))
        if (entry.is_regular_file() && entry.path().extension() == ".npy") files.push_back(entry.path());
      std::sort(files.begin(), files.end());
      for (auto& f : files) {
        // tonic: label = int(file name without ".npy").
        const std::string stem = f.stem().string();
        std::int32_t label = -1;
        try {
          std::size_t used = 0;
          label = std::stoi(stem, &used);
          if (used != stem.size()) label = -1;
        } catch (const std::exception&) {
        }
        if (label < 0 || label >= static_cast<std::int32_t>(gesture_classes().size()))
          throw std::runtime_error(f.string() + ": the file name is not a label 0..10");
        files_.push_back({std::move(f), label});
      }
    }
    if (files_.empty()) throw std::runtime_error(dir.string() + ": no userNN_<lighting>/<label>.npy files found");
  }
  std::string format() const override { return "dvsgesture"; }
  std::string description() const override { return "dvsgesture-npy:" + dir_.string(); }
  SensorSize sensor() const override { return dvsgesture_sensor; }
  std::vector<std::string> classes() const override { return gesture_classes(); }
  std::size_t num_units() const override { return files_.size(); }
  std::string unit_name(std::size_t unit) const override { return files_.at(unit).path.string(); }
  std::vector<Sample> load(std::size_t unit) const override {
    const auto& f = files_.at(unit);
    std::vector<Sample> out(1);
    out[0].events = decode_gesture_npy(read_file_bytes(f.path), f.path.string());
    out[0].label = f.label;
    out[0].id = f.path.string();
    return out;
  }

 private:
  fs::path dir_;
  std::vector<LabelledFile> files_;
};

}  // namespace

std::unique_ptr<EventDataset> open_dvsgesture(const fs::path& root, const std::string& split) {
  const std::string list_name = "trials_to_" + split + ".txt";
  for (const fs::path& dir : {root, root / "DvsGesture"})
    if (fs::is_regular_file(dir / list_name)) return std::make_unique<AedatGestureDataset>(dir, dir / list_name);
  const fs::path npy = root / (split == "train" ? "ibmGestureTrain" : "ibmGestureTest");
  if (fs::is_directory(npy)) return std::make_unique<NpyGestureDataset>(npy);
  throw std::runtime_error(root.string() + ": not a DVS128 Gesture root (expected " + list_name +
                           " with the .aedat recordings, or " + npy.filename().string() + "/)");
}

}  // namespace snngx::datasets::detail
