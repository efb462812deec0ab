#include "snngx/io/files.hpp"

#include <fstream>
#include <iterator>
#include <stdexcept>

namespace snngx::io {

namespace {

template <class Container>
Container read_whole(const std::filesystem::path& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot open " + std::string(what));
  Container out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error(path.string() + ": read error");
  return out;
}

}  // namespace

std::vector<std::uint8_t> read_file_bytes(const std::filesystem::path& path, std::string_view what) {
  return read_whole<std::vector<std::uint8_t>>(path, what);
}

std::string read_file_text(const std::filesystem::path& path, std::string_view what) {
  return read_whole<std::string>(path, what);
}

}  // namespace snngx::io
