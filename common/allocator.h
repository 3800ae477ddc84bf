// Process-wide allocator setting for the LibTorch programs (facet, facet-train).
#pragma once

namespace facet {

// Keeps freed memory in the process for reuse instead of returning it to the kernel. glibc serves
// every allocation above 128 KiB-32 MiB with a fresh mmap and unmaps it on free, so each
// activation tensor of a training step or a tile (megabytes, allocated and freed hundreds of times
// a step) is page-faulted in and zeroed by the kernel again: that cost a bf16 training step of the
// N=128/M=192 model 0.49 s instead of 0.21 s on a 2-core Zen 5, mostly as system time. The cost is
// that the resident size stays at its high-water mark. A no-op on other C libraries.
void keep_freed_memory_for_reuse();

}  // namespace facet
