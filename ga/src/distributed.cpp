#include "snngx/ga/distributed.hpp"

#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <optional>
#include <stdexcept>

namespace snngx::ga {

struct MpiSession::Impl {
  std::optional<boost::mpi::environment> env;
  std::optional<boost::mpi::communicator> world;
};

bool MpiSession::launched_by_mpi() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE") || std::getenv("PMIX_RANK");
}

MpiSession::MpiSession() : impl_(std::make_unique<Impl>()) {
  if (!launched_by_mpi()) return;
  impl_->env.emplace();
  impl_->world.emplace();
}
MpiSession::~MpiSession() = default;
int MpiSession::rank() const { return impl_->world ? impl_->world->rank() : 0; }
int MpiSession::size() const { return impl_->world ? impl_->world->size() : 1; }
bool MpiSession::active() const { return impl_->world.has_value(); }

DistributedEvaluator::DistributedEvaluator(const MpiSession& session, FitnessEvaluator& local, std::size_t space_bits)
    : session_(session), local_(local), space_bits_(space_bits) {}

DistributedEvaluator::~DistributedEvaluator() {
  if (session_.rank() == 0 && !stopped_) {
    try {
      stop();
    } catch (...) {  // never throw from a destructor; MPI_Finalize will report a broken world
    }
  }
}

// One round: the individuals' words are broadcast from rank 0; rank r scores the block
// [r*count/size, (r+1)*count/size); the per-individual accuracies (zero outside a rank's block)
// are summed on rank 0 (x + 0 == x exactly).
std::vector<double> DistributedEvaluator::round(std::size_t count, std::vector<std::uint64_t>& words) {
  const auto& world = *session_.impl_->world;
  const std::size_t per = (space_bits_ + 63) / 64;
  words.resize(count * per);
  if (!words.empty()) boost::mpi::broadcast(world, words.data(), static_cast<int>(words.size()), 0);
  const auto size = static_cast<std::size_t>(world.size()), rank = static_cast<std::size_t>(world.rank());
  const std::size_t first = rank * count / size, last = (rank + 1) * count / size;
  std::vector<BitVector> mine;
  for (std::size_t i = first; i < last; ++i) {
    BitVector b(space_bits_);
    std::copy_n(words.begin() + static_cast<std::ptrdiff_t>(i * per), per, b.words().begin());
    mine.push_back(std::move(b));
  }
  std::vector<const BitVector*> ptrs;
  for (const auto& b : mine) ptrs.push_back(&b);
  std::vector<double> local(count, 0.0);
  if (!ptrs.empty()) {
    const auto acc = local_.accuracies(ptrs);
    std::copy(acc.begin(), acc.end(), local.begin() + static_cast<std::ptrdiff_t>(first));
  }
  std::vector<double> total(count, 0.0);
  if (count) boost::mpi::reduce(world, local.data(), static_cast<int>(count), total.data(), std::plus<double>(), 0);
  return total;
}

std::vector<double> DistributedEvaluator::accuracies(std::span<const BitVector* const> individuals) {
  if (!session_.active() || session_.size() == 1) return local_.accuracies(individuals);
  if (individuals.empty()) return {};  // count 0 is the stop message
  if (session_.rank() != 0) throw std::logic_error("DistributedEvaluator::accuracies called on a rank other than 0");
  std::uint64_t count = individuals.size();
  boost::mpi::broadcast(*session_.impl_->world, count, 0);
  const std::size_t per = (space_bits_ + 63) / 64;
  std::vector<std::uint64_t> words;
  words.reserve(count * per);
  for (const auto* b : individuals) {
    if (b->size() != space_bits_) throw std::invalid_argument("individual does not match the search space");
    words.insert(words.end(), b->words().begin(), b->words().end());
  }
  return round(count, words);
}

void DistributedEvaluator::serve() {
  if (!session_.active() || session_.rank() == 0) return;
  std::vector<std::uint64_t> words;
  for (;;) {
    std::uint64_t count = 0;
    boost::mpi::broadcast(*session_.impl_->world, count, 0);
    if (count == 0) return;  // stop
    round(count, words);
  }
}

void DistributedEvaluator::stop() {
  stopped_ = true;
  if (!session_.active() || session_.size() == 1 || session_.rank() != 0) return;
  std::uint64_t zero = 0;
  boost::mpi::broadcast(*session_.impl_->world, zero, 0);
}

}  // namespace snngx::ga
