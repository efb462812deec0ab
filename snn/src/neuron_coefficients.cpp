#include "snngx/snn/neuron_coefficients.hpp"

namespace snngx::snn {

NeuronCoefficients neuron_coefficients(const Neuron& n, std::size_t count) {
  NeuronCoefficients c;
  c.spiking = spiking(n.model);
  c.cuba = n.model == NeuronModel::CubaLif;
  c.reset = n.reset;
  const auto at = [](const std::vector<float>& v, std::size_t k, double fallback) {
    return v.empty() ? fallback : static_cast<double>(v[k]);
  };
  for (std::size_t k = 0; k < count; ++k) {
    const double dt = n.dt, r = at(n.r, k, 1.0), leak_v = at(n.v_leak, k, 0.0);
    double decay = 1.0, gain = dt * r, leak = 0.0;
    switch (n.model) {
      case NeuronModel::Lif:
      case NeuronModel::Li:
      case NeuronModel::CubaLif: {
        const double rate = dt / static_cast<double>(n.tau[k]);
        decay = 1.0 - rate, gain = rate * r, leak = rate * leak_v;
        break;
      }
      case NeuronModel::If:
      case NeuronModel::Integrator: break;
      case NeuronModel::Threshold: decay = 0.0, gain = 1.0; break;
    }
    c.decay.push_back(static_cast<float>(decay));
    c.gain.push_back(static_cast<float>(gain));
    c.leak.push_back(static_cast<float>(leak));
    c.threshold.push_back(static_cast<float>(at(n.v_threshold, k, 0.0)));
    c.v_reset.push_back(static_cast<float>(at(n.v_reset, k, 0.0)));
    if (c.cuba) {
      const double rate = dt / static_cast<double>(n.tau_syn[k]);
      c.syn_decay.push_back(static_cast<float>(1.0 - rate));
      c.syn_gain.push_back(static_cast<float>(rate * n.w_in[k]));
    }
  }
  return c;
}

}  // namespace snngx::snn
