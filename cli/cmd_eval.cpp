// facet eval: registers its sub-commands, factors and disentanglement.
#include <memory>

#include "cli/cli_common.h"
#include "cli/cmd_eval.h"
#include "cli/commands.h"

namespace facet::cli {

void add_eval_command(CLI::App& app, Runner* run) {
  CLI::App* eval = app.add_subcommand("eval", "Measure factors: appearance, chroma and structure groups, or sprites disentanglement");
  eval->require_subcommand(1);
  auto f = std::make_shared<EvalFactorsOptions>();
  CLI::App* factors = eval->add_subcommand("factors", "The photo model's factors on a directory of images");
  factors->add_option("DIR", f->directory, "Directory of images (or one image)")->required();
  factors->add_option("--model", f->model, "Model (default: the shipped model)");
  factors->add_option("--baseline-model", f->baseline_model, "Same architecture without factors: BD-rate of the cost");
  factors->add_option("-q,--quality", f->quality, "Quality of the appearance and chroma measurements")->capture_default_str();
  factors->add_option("-e,--effort", f->effort, "Encoder effort of the files measured")
      ->check(CLI::Range(kMinEffort, kMaxEffort))
      ->capture_default_str();
  factors->add_option("--thetas", f->thetas, "Random transforms per image (disentanglement)")->capture_default_str();
  factors->add_option("--seed", f->seed, "Seed of the random transforms")->capture_default_str();
  factors->add_option("--measure", f->measure, "Measurements: edits, disentanglement, chroma, structure, cost")
      ->delimiter(',')
      ->check(CLI::IsMember({"edits", "disentanglement", "chroma", "structure", "cost"}))
      ->capture_default_str();
  factors->add_option("--threads", f->threads, "Threads (default: all cores)");
  factors->callback([f, run] {
    *run = [f] {
      Status s = eval_factors(*f);
      return s.ok() ? int(kExitOk) : report_error(s);
    };
  });
  auto d = std::make_shared<EvalSpritesOptions>();
  CLI::App* dis = eval->add_subcommand("disentanglement", "MIG, SAP, DCI, FactorVAE and the codec of a sprites model");
  dis->add_option("--model", d->model, "Sprites model")->required();
  dis->add_option("--points", d->points, "Samples for MIG, SAP and DCI training (test: half)")->capture_default_str();
  dis->add_option("--held-out", d->held_out, "Held-out sprites for the codec measurement")->capture_default_str();
  dis->add_option("--seed", d->seed, "Seed")->capture_default_str();
  dis->add_option("--threads", d->threads, "Threads (default: all cores)");
  dis->add_flag("--json", d->json, "Print every metric with its variant and settings as JSON (the text goes to stderr)");
  dis->callback([d, run] {
    *run = [d] {
      Status s = eval_disentanglement(*d);
      return s.ok() ? int(kExitOk) : report_error(s);
    };
  });
}

}  // namespace facet::cli
