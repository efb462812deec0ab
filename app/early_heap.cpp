// The snngx executable's start-up library (libsnngx_early_heap.so, linked with -z initfirst):
// its constructor runs before any other library's, so that even SystemC's static initialiser
// (a zero-filled 3 MB pool) lands in the huge-page heap (io::use_huge_page_heap; README, "Whole
// command vs engine alone": page faults were ~40 % of a short command's CPU time on the shared VM).
#include "snngx/io/memory.hpp"

namespace {
[[gnu::constructor]] void huge_page_heap_before_everything() { (void)snngx::io::use_huge_page_heap(); }
}  // namespace
