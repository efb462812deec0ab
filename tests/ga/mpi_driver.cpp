// Runs a small whole-model search (tiny CSNN) with the fitness evaluation spread over the MPI
// ranks, and writes the result (key positions, fitness, per-generation best) from rank 0 to
// argv[1]. Without mpirun it runs in one process; the ctest compares both outputs.
#include <fstream>
#include <iostream>

#include "snngx/ga/distributed.hpp"
#include "snngx/ga/fitness.hpp"
#include "test_nets.hpp"

int main(int argc, char** argv) {
  using namespace snngx;
  if (argc != 2) {
    std::cerr << "usage: ga_mpi_driver OUT\n";
    return 2;
  }
  ga::MpiSession session;
  const auto net = testing::tiny_csnn(11);
  const auto frames = testing::frames_for(net, 12, 5);
  ga::SubsetEvaluator local(net, ga::SearchSpace::whole(net), frames, 1);
  ga::DistributedEvaluator evaluator(session, local, local.space().size());
  if (session.rank() != 0) {
    evaluator.serve();
    return 0;
  }
  ga::GaParams p;
  p.epsilon = 4;
  p.population = 20;
  p.generations = 15;
  p.mutation = 0.2;
  p.seed = 3;
  const auto r = ga::run_search(p, local.space().size(), evaluator);
  evaluator.stop();
  std::ofstream out(argv[1]);
  out << "fitness " << r.fitness << " accuracy " << r.accuracy << "\npositions";
  for (const auto i : r.best.positions()) out << ' ' << i;
  out << "\nhistory";
  for (const auto& g : r.history) out << ' ' << g.best_fitness;
  out << '\n';
  return out ? 0 : 1;
}
