// .fct writer (FORMAT.md §3-§5).
#include <cstring>

#include "formats/checksum.h"
#include "formats/container.h"
#include "formats/container_fields.h"
#include "formats/container_visitors.h"

namespace facet {

StatusOr<Bytes> write_fct(const FctHeader& header_in, const std::vector<Bytes>& streams) {
  FACET_RETURN_ERROR_IF(streams.size() != header_in.factors.size(), kInvalidArgument,
                        std::to_string(streams.size()) + " streams for " +
                            std::to_string(header_in.factors.size()) + " factors");
  FctHeader header = header_in;
  header.version = kFctVersion;
  uint64_t offset = 0;
  for (size_t i = 0; i < streams.size(); ++i) {
    FactorEntry& f = header.factors[i];
    f.offset = offset;
    f.length = streams[i].size();
    f.checksum = checksum32(streams[i].data(), streams[i].size());
    offset += f.length;
  }
  Status valid = validate_fct_header(header);
  if (!valid.ok()) return make_error(ErrorCode::kInvalidArgument, valid.message());

  FACET_ASSIGN_OR_RETURN(uint64_t header_length, fct_header_size(header));
  FACET_RETURN_ERROR_IF(header_length > kFctMaxHeaderBytes, kInvalidArgument,
                        "header of " + std::to_string(header_length) + " bytes exceeds 1 MiB");
  fct_fields::Preamble preamble;
  preamble.header_length = static_cast<uint32_t>(header_length);
  preamble.payload_length = offset;

  Bytes out;
  out.reserve(header_length + offset);
  out.insert(out.end(), kFctMagic.begin(), kFctMagic.end());
  fct_fields::WriteVisitor writer(&out);
  fct_fields::visit_preamble(writer, preamble);
  fct_fields::visit_header(writer, header);
  FACET_RETURN_IF_ERROR(writer.status());
  ByteWriter(&out).u32(checksum32(out.data(), out.size()));
  if (out.size() != header_length)
    return make_error(ErrorCode::kInternal, "header size and written header disagree");
  for (const Bytes& stream : streams) out.insert(out.end(), stream.begin(), stream.end());
  return out;
}

}  // namespace facet
