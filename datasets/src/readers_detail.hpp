#pragma once
// Factories of the concrete readers (one .cpp each), used by open_dataset().
#include <filesystem>
#include <memory>
#include <string>

#include "snngx/datasets/reader.hpp"

namespace snngx::datasets::detail {
std::unique_ptr<EventDataset> open_nmnist(const std::filesystem::path& root, const std::string& split,
                                          const ReaderOptions& options);
std::unique_ptr<EventDataset> open_dvsgesture(const std::filesystem::path& root, const std::string& split);
std::unique_ptr<EventDataset> open_shd(const std::filesystem::path& root, const std::string& split);
}  // namespace snngx::datasets::detail
