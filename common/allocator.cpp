// Allocator setting: no mmap for large blocks, no trimming of the heap (see allocator.h).
#include "common/allocator.h"

#include <cstdlib>  // defines __GLIBC__ on glibc
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace facet {

void keep_freed_memory_for_reuse() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_MAX, 0);                  // large blocks come from the heap too, and are reused
  mallopt(M_TRIM_THRESHOLD, 0x7fffffff);   // never give the heap's top back to the kernel
  mallopt(M_TOP_PAD, 64 << 20);            // grow the heap in 64 MiB steps
#endif
}

}  // namespace facet
