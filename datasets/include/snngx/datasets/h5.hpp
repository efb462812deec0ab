#pragma once
// Small helpers over the HDF5 C++ API: typed attributes with errors that name the file and the
// attribute, and atomic file creation (write to a temporary name, rename on success).
#include <H5Cpp.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace snngx::h5 {

/// Runs `write(tmp)` on a temporary file beside `path` and renames it to `path` only if `write`
/// returns normally, so a failed or interrupted run never leaves a half-written output.
void write_atomically(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path& tmp)>& write);

/// Opens an HDF5 file for reading; throws "<file>: no such file", "<file>: is a folder, not a
/// file", "<file>: the file is empty", "<file>: is a key file, not an HDF5 file", "<file>: not an
/// HDF5 file".
H5::H5File open_read(const std::filesystem::path& path);

/// What an snngx HDF5 file holds, for errors: "a model file" (attribute format = snngx-model),
/// "a frame file" (dataset 'frames'), "an outputs file" (dataset 'predictions'), else "".
std::string file_kind(const H5::H5File& file);
/// Throws "<file> is a model file, not a frame file" when the file is a known kind other than
/// `expected` (one of the kinds above); does nothing for unknown contents (the reader names
/// the first problem itself).
void expect_kind(const H5::H5File& file, const std::string& where, const std::string& expected);

bool has_attr(const H5::H5Object& obj, const std::string& name);

void set_attr(H5::H5Object& obj, const std::string& name, std::int64_t value);
void set_attr(H5::H5Object& obj, const std::string& name, double value);
void set_attr_f32(H5::H5Object& obj, const std::string& name, float value);
/// Strings are written fixed-length (null-padded); readers accept variable-length ones too.
void set_attr(H5::H5Object& obj, const std::string& name, const std::string& value);
void set_attr(H5::H5Object& obj, const std::string& name, const std::vector<std::int64_t>& value);
void set_attr(H5::H5Object& obj, const std::string& name, const std::vector<std::string>& value);

// Readers throw std::runtime_error("<where>: attribute '<name>' missing|has wrong type|...").
// `where` is the file name plus object path, e.g. "m.snn.h5:/layers/001".
std::int64_t get_int(const H5::H5Object& obj, const std::string& name, const std::string& where);
double get_double(const H5::H5Object& obj, const std::string& name, const std::string& where);
std::string get_string(const H5::H5Object& obj, const std::string& name, const std::string& where);
std::vector<std::int64_t> get_ints(const H5::H5Object& obj, const std::string& name,
                                   const std::string& where);
std::vector<std::string> get_strings(const H5::H5Object& obj, const std::string& name,
                                     const std::string& where);

/// libhdf5 copies a dataset's bytes trusting its dataspace and chunk layout: a corrupted extent
/// larger than the stored bytes, or a chunk larger than the dataset, made it read past its buffers
/// (SIGSEGV found by fuzzing). It also converts numbers trusting their stored type: a corrupted
/// precision gave different values for different selections. Throws "<where>: dataset '<name>' ..."
/// for any of these (an integer or float type must be a standard HDF5 integer or IEEE float type,
/// field for field; a string type must be one-byte C characters, ASCII or UTF-8: a corrupted
/// character size made libhdf5 zero gigabytes per character); call before a read. The attribute
/// getters check number and string types the same way.
void check_storage(const std::string& where, const H5::DataSet& ds, const std::string& name);

/// libhdf5 1.10 trusts each chunk's filter mask: a deflated chunk whose mask was corrupted into
/// "deflate skipped" is taken for raw data, and a whole raw chunk's worth of bytes is copied out of
/// the shorter stored block (a heap over-read, FrameFileFuzz under ASan; layout 1's chunk index is
/// a v1 B-tree, which has no checksum). Throws H5::DataSetIException("check_chunks", "chunk at row
/// R is stored shorter than its data with no compression applied (corrupt file)") for a chunk
/// holding rows [first, first + count) along the first dimension that is stored shorter than its
/// raw size with no compressing filter applied (shuffle and Fletcher-32 do not compress), and
/// "chunk at row R lies beyond the end of the file (truncated or corrupt)" for one whose stored
/// extent passes the file's end (a corrupted stored size made libhdf5 allocate gigabytes).
/// Unallocated chunks (fill values) pass; so do contiguous and compact datasets. One chunk-index
/// lookup per chunk: readers call it for the rows they read. check_storage calls it for every row
/// of a chunked dataset of at most 1,024 chunks.
void check_chunks(const H5::DataSet& ds, hsize_t first, hsize_t count);

/// Variable-length strings live in HDF5's global heap, which libhdf5 1.10 reads trusting every
/// length and index there (a corrupted one crashed or hung it: FrameFileFuzz, NirFileFuzz). For a
/// contiguous variable-length string dataset, checks each stored string's heap reference against
/// the heap collection it points to (walked with bounds checks) before libhdf5 reads it; throws
/// "<where>: dataset '<name>' has a corrupt variable-length string". Does nothing for other types.
/// Compact and chunked layouts (not written by snngx or h5py's defaults) are not checked.
void check_vlen_strings(const std::string& where, const H5::DataSet& ds, const std::string& name);

/// Creates (truncates) an HDF5 file in the HDF5 1.8 file format, whose superblock and object
/// headers (where the attributes, types and shapes live) carry checksums: a flipped bit there is a
/// read error too. Readable by HDF5 >= 1.8 and h5py. Model, outputs and NIR files use it. Links
/// and attributes stay in the (checksummed) object headers however many there are: libhdf5's
/// "dense" storage keeps them in a fractal heap whose blocks carry no checksum by default.
H5::H5File create_checksummed_file(const std::filesystem::path& path);

/// Creates group `name` in `parent` with the compact link and attribute storage described above;
/// use it for every group of a file made by create_checksummed_file.
H5::Group create_group(H5::Group& parent, const std::string& name);

/// The names of `group`'s links, sorted. Lists them in the storage's own order (H5Literate,
/// native order) rather than by index: libhdf5 1.10's by-index lookup builds a table of every link
/// and, when a corrupted link stops it halfway, frees the table's unset entries (a crash found by
/// fuzzing under ASan). Throws H5::GroupIException when the links cannot be listed.
std::vector<std::string> link_names(const H5::Group& group);

/// Creates dataset `name` in `parent` with HDF5 Fletcher-32 checksums and writes `data` (in
/// `mem_type`, C order) into it, so that a flipped bit in the stored numbers is a read error
/// naming the file rather than a silently different value (outputs files, docs/formats.md).
/// Chunked along the first dimension, at most about 256 KiB a chunk; an empty or scalar dataset is
/// written contiguous (there is nothing to checksum). Readers need nothing special: libhdf5
/// verifies the checksum on every read, and files without one read as before.
H5::DataSet write_checksummed(H5::Group& parent, const std::string& name, const H5::PredType& file_type,
                              const std::vector<hsize_t>& dims, const H5::PredType& mem_type, const void* data);

/// HDF5's Fletcher-32 of `bytes`, as its filter (H5Z_FILTER_FLETCHER32) computes it: big-endian
/// 16-bit words, an odd last byte as the high half of a word. The filter stores it after the
/// filtered bytes, little-endian; a writer of pre-filtered chunks (H5Dwrite_chunk) appends it so.
/// Summed in blocks the compiler vectorizes, bit for bit libhdf5's word-by-word result.
std::uint32_t fletcher32(std::span<const std::uint8_t> bytes);


/// All of `ds` (C order) into `out`, which holds as many `mem_type` values as the dataset. A
/// dataset stored as Fletcher-32 chunks of whole rows in `file_type`, when `mem_type` is that very
/// type on this host (snngx's model weights), is read with pread straight into `out`, each
/// checksum checked as libhdf5 checks it: libhdf5's path allocated, zeroed and copied every chunk
/// and summed it word by word (most of a model load). Any other dataset goes through H5Dread.
/// Throws H5::Exception (naming the chunk for a corrupt one).
void read_whole(const H5::DataSet& ds, const H5::PredType& file_type, const H5::PredType& mem_type, void* out);

/// Dimensions of a dataset.
std::vector<hsize_t> dims(const H5::DataSet& ds);

/// Throws "<where>: <what>" as std::runtime_error.
[[noreturn]] void fail(const std::string& where, const std::string& what);

}  // namespace snngx::h5
