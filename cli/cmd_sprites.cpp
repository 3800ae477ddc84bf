// placeholder (being written): facet sprites generate
#include "cli/commands.h"
namespace facet::cli {
void add_sprites_command(CLI::App& app, Runner* run) { (void)app; (void)run; }
}  // namespace facet::cli
