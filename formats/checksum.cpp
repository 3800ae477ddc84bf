// XXH3 from Debian's libxxhash, inlined so no library is linked.
#include "formats/checksum.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace facet {

uint32_t checksum32(const uint8_t* data, size_t size) {
  return static_cast<uint32_t>(XXH3_64bits(data, size));
}

uint64_t hash64(const uint8_t* data, size_t size) { return XXH3_64bits(data, size); }

}  // namespace facet
