// c10d (TCPStore + ProcessGroupGloo) behind DataParallel (data_parallel.h).
#include "train/data_parallel.h"

#include <cstdlib>
#include <string>

#ifdef FACET_DATA_PARALLEL
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace facet {
namespace {

using Clock = std::chrono::steady_clock;

StatusOr<int> int_variable(const char* name, int low, int high) {
  const char* text = std::getenv(name);
  FACET_RETURN_ERROR_IF(!text || !*text, kInvalidArgument,
                        std::string("data-parallel launch: ") + name + " is not set (torchrun sets RANK, "
                        "WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT)");
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  FACET_RETURN_ERROR_IF(*end != '\0' || v < low || v > high, kInvalidArgument,
                        std::string("data-parallel launch: ") + name + "=" + text + " is not an integer in " +
                            std::to_string(low) + ".." + std::to_string(high));
  return int(v);
}

}  // namespace

StatusOr<DistributedEnvironment> distributed_environment_from_env() {
  DistributedEnvironment env;
  const char* world = std::getenv("WORLD_SIZE");
  if (!world || !*world) {
    FACET_RETURN_ERROR_IF(std::getenv("RANK") && *std::getenv("RANK"), kInvalidArgument,
                          "data-parallel launch: RANK is set but WORLD_SIZE is not");
    return env;
  }
  FACET_ASSIGN_OR_RETURN(env.world_size, int_variable("WORLD_SIZE", 1, 65536));
  if (env.world_size == 1 && !std::getenv("RANK")) return env;
  FACET_ASSIGN_OR_RETURN(env.rank, int_variable("RANK", 0, env.world_size - 1));
  env.local_rank = env.rank;
  if (std::getenv("LOCAL_RANK")) {
    FACET_ASSIGN_OR_RETURN(env.local_rank, int_variable("LOCAL_RANK", 0, 65535));
  }
  if (env.world_size > 1) {
    const char* addr = std::getenv("MASTER_ADDR");
    FACET_RETURN_ERROR_IF(!addr || !*addr, kInvalidArgument, "data-parallel launch: MASTER_ADDR is not set");
    env.master_addr = addr;
    FACET_ASSIGN_OR_RETURN(env.master_port, int_variable("MASTER_PORT", 1, 65535));
  }
  return env;
}

#ifdef FACET_DATA_PARALLEL

struct DataParallel::Group {
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
};

DataParallel::DataParallel(DistributedEnvironment env, std::unique_ptr<Group> group)
    : env_(std::move(env)), group_(std::move(group)) {}
DataParallel::~DataParallel() = default;

StatusOr<std::unique_ptr<DataParallel>> DataParallel::connect(const DistributedEnvironment& env,
                                                              std::chrono::seconds timeout) {
  auto group = std::make_unique<Group>();
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = uint16_t(env.master_port);
    store_options.isServer = env.rank == 0;
    store_options.numWorkers = env.world_size;
    store_options.waitWorkers = true;
    store_options.timeout = timeout;
    group->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, store_options);
    auto options = c10d::ProcessGroupGloo::Options::create();
    options->timeout = timeout;
    // The interface that reaches MASTER_ADDR's network: the one this host's name resolves to,
    // or the loopback when the master is this machine.
    const bool local = env.master_addr == "127.0.0.1" || env.master_addr == "localhost";
    options->devices.push_back(local ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                     : c10d::ProcessGroupGloo::createDefaultDevice());
    group->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(group->store, env.rank, env.world_size, options);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kIo, "data-parallel rendezvous at " + env.master_addr + ":" +
                                          std::to_string(env.master_port) + " (rank " + std::to_string(env.rank) +
                                          " of " + std::to_string(env.world_size) + ") failed: " + e.what());
  }
  return std::unique_ptr<DataParallel>(new DataParallel(env, std::move(group)));
}

void DataParallel::broadcast(std::vector<torch::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  for (auto& t : tensors) {
    std::vector<at::Tensor> one = {t.is_contiguous() ? t : t.contiguous()};
    c10d::BroadcastOptions options;
    options.rootRank = 0;
    group_->gloo->broadcast(one, options)->wait();
    if (!one[0].is_same(t)) t.copy_(one[0]);
  }
}

void DataParallel::average_gradients(const std::vector<torch::Tensor>& parameters, int64_t bucket_bytes) {
  torch::NoGradGuard no_grad;
  const auto start = Clock::now();
  std::vector<std::vector<torch::Tensor>> buckets;
  int64_t bytes = 0;
  for (const auto& p : parameters) {
    if (!p.grad().defined()) continue;
    const int64_t b = p.grad().numel() * int64_t(p.grad().element_size());
    if (buckets.empty() || bytes + b > bucket_bytes) {
      buckets.emplace_back();
      bytes = 0;
    }
    buckets.back().push_back(p.grad());
    bytes += b;
  }
  std::vector<std::vector<at::Tensor>> flat;
  std::vector<c10::intrusive_ptr<c10d::Work>> work;
  for (const auto& bucket : buckets) {
    std::vector<torch::Tensor> pieces;
    for (const auto& g : bucket) pieces.push_back(g.reshape({-1}));
    flat.push_back({torch::cat(pieces)});
    work.push_back(group_->gloo->allreduce(flat.back()));
  }
  for (size_t i = 0; i < work.size(); ++i) {
    work[i]->wait();
    flat[i][0].div_(double(env_.world_size));
  }
  for (size_t i = 0; i < buckets.size(); ++i) {
    int64_t at = 0;
    for (const auto& g : buckets[i]) {
      g.copy_(flat[i][0].narrow(0, at, g.numel()).view_as(g));
      at += g.numel();
    }
  }
  all_reduce_seconds_ += std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<double> DataParallel::mean(const std::vector<double>& values) {
  std::vector<at::Tensor> t = {torch::tensor(values, torch::TensorOptions(torch::kFloat64))};
  group_->gloo->allreduce(t)->wait();
  std::vector<double> out(values.size());
  for (size_t i = 0; i < values.size(); ++i) out[i] = t[0][int64_t(i)].item<double>() / env_.world_size;
  return out;
}

bool DataParallel::replicas_equal(const std::vector<torch::Tensor>& parameters) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> words;
  for (const auto& p : parameters)
    words.push_back(p.detach().to(torch::kCPU, torch::kFloat32).contiguous().view(torch::kInt32).reshape({-1}));
  auto all = torch::cat(words);
  std::vector<at::Tensor> high = {all.clone()}, low = {all.clone()};
  c10d::AllreduceOptions max_options, min_options;
  max_options.reduceOp = c10d::ReduceOp::MAX;
  min_options.reduceOp = c10d::ReduceOp::MIN;
  group_->gloo->allreduce(high, max_options)->wait();
  group_->gloo->allreduce(low, min_options)->wait();
  return torch::equal(high[0], low[0]);
}

#else  // built without Gloo's headers

struct DataParallel::Group {};
DataParallel::DataParallel(DistributedEnvironment env, std::unique_ptr<Group> group)
    : env_(std::move(env)), group_(std::move(group)) {}
DataParallel::~DataParallel() = default;
StatusOr<std::unique_ptr<DataParallel>> DataParallel::connect(const DistributedEnvironment&, std::chrono::seconds) {
  return make_error(ErrorCode::kUnsupported,
                    "this facet-train was built without Gloo (c10d): install libgloo-dev and rebuild to train on "
                    "several processes");
}
void DataParallel::broadcast(std::vector<torch::Tensor>&) {}
void DataParallel::average_gradients(const std::vector<torch::Tensor>&, int64_t) {}
std::vector<double> DataParallel::mean(const std::vector<double>& values) { return values; }
bool DataParallel::replicas_equal(const std::vector<torch::Tensor>&) { return true; }

#endif

}  // namespace facet
