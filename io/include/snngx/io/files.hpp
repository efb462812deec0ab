#pragma once
// Reading a whole file, with the one error form: "<path>: cannot open <what>" / "<path>: read error".
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace snngx::io {

[[nodiscard]] std::vector<std::uint8_t> read_file_bytes(const std::filesystem::path& path, std::string_view what = "file");
[[nodiscard]] std::string read_file_text(const std::filesystem::path& path, std::string_view what = "file");

}  // namespace snngx::io
