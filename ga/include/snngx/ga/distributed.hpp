#pragma once
// Scale-out of the fitness evaluation over MPI ranks (Boost.MPI). Rank 0 runs the whole genetic
// search (all random draws); each generation it broadcasts the individuals to score, every rank
// scores a contiguous block with its local evaluator, and the accuracies are summed back to rank
// 0. Accuracies are exact, so the key is the same for any number of ranks.
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "snngx/ga/genetic.hpp"

namespace snngx::ga {

/// MPI for the lifetime of the object, initialised only when the process was started by an MPI
/// launcher (mpirun/mpiexec set OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK); otherwise a
/// single-process "world" of size 1 without touching MPI.
class MpiSession {
 public:
  MpiSession();
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  [[nodiscard]] int rank() const;
  [[nodiscard]] int size() const;
  [[nodiscard]] bool active() const;  // MPI initialised
  static bool launched_by_mpi();

 private:
  friend class DistributedEvaluator;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class DistributedEvaluator final : public FitnessEvaluator {
 public:
  DistributedEvaluator(const MpiSession& session, FitnessEvaluator& local, std::size_t space_bits);
  ~DistributedEvaluator() override;
  /// Rank 0 only: scores the individuals over all ranks.
  std::vector<double> accuracies(std::span<const BitVector* const> individuals) override;
  /// Ranks > 0: score blocks until rank 0 calls stop().
  void serve();
  /// Rank 0: releases the serving ranks (also done by the destructor on rank 0).
  void stop();

 private:
  std::vector<double> round(std::size_t count, std::vector<std::uint64_t>& words);
  const MpiSession& session_;
  FitnessEvaluator& local_;
  std::size_t space_bits_;
  bool stopped_ = false;
};

}  // namespace snngx::ga
