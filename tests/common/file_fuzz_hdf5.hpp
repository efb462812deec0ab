#pragma once
// Where the stored bytes of an HDF5 file's datasets lie, for FileMutation::DataBitFlips
// (file_fuzz.hpp): chunks (compressed or not) by H5Dget_chunk_info, contiguous blocks by
// H5Dget_offset.
#include <H5Cpp.h>

#include <filesystem>
#include <string>
#include <vector>

#include "file_fuzz.hpp"
#include "snngx/datasets/h5.hpp"

namespace snngx::testing {

// libhdf5 frees a block bigger than its free-list limits (256 KiB per list by default) back to
// the system, and ASan maps and poisons such a block afresh each time: every file open (the
// metadata cache, ~0.5 MiB) cost a fresh mapping and half of a fuzz test's time. Unlimited free
// lists let libhdf5 reuse its own blocks; the readers under test are unchanged.
inline const bool hdf5_free_lists_unlimited = H5set_free_list_limits(-1, -1, -1, -1, -1, -1) >= 0;

namespace detail {
inline void dataset_ranges(const H5::DataSet& ds, std::vector<ByteRange>& out) {
  const H5::DSetCreatPropList props = ds.getCreatePlist();
  const H5::DataSpace space = ds.getSpace();
  if (props.getLayout() == H5D_CHUNKED) {
    hsize_t chunks = 0;
    if (H5Dget_num_chunks(ds.getId(), space.getId(), &chunks) < 0) return;
    for (hsize_t k = 0; k < chunks; ++k) {
      haddr_t addr = 0;
      hsize_t size = 0;
      unsigned mask = 0;
      if (H5Dget_chunk_info(ds.getId(), space.getId(), k, nullptr, &mask, &addr, &size) >= 0 && size > 0)
        out.push_back({static_cast<std::size_t>(addr), static_cast<std::size_t>(size)});
    }
  } else if (props.getLayout() == H5D_CONTIGUOUS) {
    const haddr_t addr = H5Dget_offset(ds.getId());
    const hsize_t size = ds.getStorageSize();
    if (addr != HADDR_UNDEF && size > 0) out.push_back({static_cast<std::size_t>(addr), static_cast<std::size_t>(size)});
  }  // compact datasets live inside their object header: BitFlips covers them
}

inline void group_ranges(const H5::Group& g, std::vector<ByteRange>& out) {
  for (const std::string& name : h5::link_names(g)) {
    const H5O_type_t type = g.childObjType(name);
    if (type == H5O_TYPE_GROUP) group_ranges(g.openGroup(name), out);
    else if (type == H5O_TYPE_DATASET) dataset_ranges(g.openDataSet(name), out);
  }
}
}  // namespace detail

/// Where the stored bytes of every dataset of an HDF5 file lie (empty for other files).
inline std::vector<ByteRange> dataset_byte_ranges(const std::filesystem::path& path) {
  std::vector<ByteRange> out;
  if (!H5::H5File::isHdf5(path.string())) return out;
  const H5::H5File file(path.string(), H5F_ACC_RDONLY);
  detail::group_ranges(file, out);
  return out;
}

}  // namespace snngx::testing
