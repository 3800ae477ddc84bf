// facet rd's stored-file variants: each maps an encoded .fct file to the bytes a user would keep.
#include "eval/variants.h"

#include <algorithm>
#include <cstdlib>

#include "formats/container.h"

namespace facet {
namespace {

constexpr const char* kStructurePrefix = "structure.";

// The group index of "structure.N", or -1 for any other name.
int structure_index(const std::string& name) {
  const std::string prefix = kStructurePrefix;
  if (name.compare(0, prefix.size(), prefix) != 0 || name.size() == prefix.size()) return -1;
  int index = 0;
  for (size_t i = prefix.size(); i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9' || index > 100000) return -1;
    index = index * 10 + (name[i] - '0');
  }
  return index;
}

}  // namespace

const std::vector<VariantSyntax>& variant_syntaxes() {
  static const std::vector<VariantSyntax> syntaxes = {
      {"full", "the file as encoded"},
      {"drop:structure:K", "the K finest structure groups removed from the stored file"},
  };
  return syntaxes;
}

StatusOr<Bytes> drop_finest_structure_groups(const Bytes& fct, int count) {
  FACET_ASSIGN_OR_RETURN(FctFile file, read_fct(fct.data(), fct.size()));
  std::vector<std::pair<int, size_t>> groups;  // (group index, factor position)
  for (size_t i = 0; i < file.header.factors.size(); ++i) {
    const int index = structure_index(file.header.factors[i].name);
    if (index >= 0) groups.push_back({index, i});
  }
  FACET_RETURN_ERROR_IF(count < 0 || size_t(count) > groups.size(), kInvalidArgument,
                        "cannot drop " + std::to_string(count) + " structure groups: the file has " +
                            std::to_string(groups.size()));
  std::sort(groups.begin(), groups.end());
  std::vector<bool> drop(file.header.factors.size(), false);
  for (size_t k = groups.size() - size_t(count); k < groups.size(); ++k) drop[groups[k].second] = true;
  FctHeader header = file.header;
  header.factors.clear();
  std::vector<Bytes> streams;
  for (size_t i = 0; i < file.header.factors.size(); ++i) {
    if (drop[i]) continue;
    header.factors.push_back(file.header.factors[i]);
    streams.push_back(std::move(file.streams[i]));
  }
  return write_fct(header, streams);
}

StatusOr<RdVariant> make_variant(const std::string& spec) {
  if (spec == "full") return RdVariant{"full", {}};
  const std::string drop_structure = "drop:structure:";
  if (spec.compare(0, drop_structure.size(), drop_structure) == 0) {
    const std::string digits = spec.substr(drop_structure.size());
    char* end = nullptr;
    const long count = std::strtol(digits.c_str(), &end, 10);
    FACET_RETURN_ERROR_IF(digits.empty() || *end != '\0' || count < 1 || count > 255, kInvalidArgument,
                          "bad variant '" + spec + "': K in drop:structure:K is a count of groups, 1..255");
    const int groups = int(count);
    return RdVariant{spec, [groups](const Bytes& fct) { return drop_finest_structure_groups(fct, groups); }};
  }
  std::string known;
  for (const VariantSyntax& s : variant_syntaxes()) known += (known.empty() ? "" : ", ") + s.syntax;
  return make_error(ErrorCode::kInvalidArgument, "unknown variant '" + spec + "' (known: " + known + ")");
}

}  // namespace facet
