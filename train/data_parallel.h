// Data-parallel training on LibTorch's c10d: one process per rank, launched as PyTorch's DDP jobs
// are (torchrun, or srun with the same variables): RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR,
// MASTER_PORT. Rank 0 serves the rendezvous (c10d::TCPStore); the collectives run on Gloo. Every
// rank starts from rank 0's weights, computes the gradient of its share of the global batch, and
// the gradients are averaged in buckets before each optimizer step, so the replicas stay bitwise
// equal and a run of W ranks with batch B steps as one process with batch W*B does.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>
#include <torch/torch.h>

#include "common/status.h"

namespace facet {

struct DistributedEnvironment {
  int rank = 0, world_size = 1, local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  bool launched() const { return world_size > 1; }
};

// The torchrun variables. None set: one process (world size 1). Partly set or out of range:
// kInvalidArgument naming the variable.
StatusOr<DistributedEnvironment> distributed_environment_from_env();

class DataParallel {
 public:
  // Joins the group: rank 0 listens on MASTER_PORT, every rank connects within `timeout`, which
  // also bounds every collective afterwards: a rank that dies ends the others at once (the
  // connection closes), one that hangs ends them after `timeout`, each with an error.
  static StatusOr<std::unique_ptr<DataParallel>> connect(const DistributedEnvironment& env,
                                                         std::chrono::seconds timeout);
  ~DataParallel();

  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }

  // Every rank's tensors become rank 0's (in place).
  void broadcast(std::vector<torch::Tensor>& tensors);
  // Averages the parameters' gradients over the ranks, in buckets of at most `bucket_bytes`
  // (flattened, all-reduced concurrently). Adds the seconds spent to all_reduce_seconds().
  void average_gradients(const std::vector<torch::Tensor>& parameters, int64_t bucket_bytes = 32 << 20);
  // The mean over the ranks of a few scalars (the logged loss, bpp and MSE).
  std::vector<double> mean(const std::vector<double>& values);
  // True when every rank holds bitwise the same values (compared as integers: the maximum and the
  // minimum over the ranks of every 32-bit word agree).
  bool replicas_equal(const std::vector<torch::Tensor>& parameters);
  double all_reduce_seconds() const { return all_reduce_seconds_; }

 private:
  struct Group;
  DataParallel(DistributedEnvironment env, std::unique_ptr<Group> group);
  DistributedEnvironment env_;
  std::unique_ptr<Group> group_;
  double all_reduce_seconds_ = 0;
};

}  // namespace facet
