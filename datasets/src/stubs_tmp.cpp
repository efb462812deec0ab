#include <stdexcept>
#include "readers_detail.hpp"
namespace snngx::datasets::detail {
std::unique_ptr<EventDataset> open_dvsgesture(const std::filesystem::path&, const std::string&) { throw std::runtime_error("dvsgesture: not yet"); }
std::unique_ptr<EventDataset> open_shd(const std::filesystem::path&, const std::string&) { throw std::runtime_error("shd: not yet"); }
}
