#include "io/network_state.h"

#include <cstring>

#include "core/error.h"
#include "method/training_defaults.h"

namespace layerprune::io {

namespace {

void require_sections(const GatedNetwork& net, const Container& in, const char* name) {
  require(in.array_length(name) == static_cast<size_t>(net.sections()), "could not restore the network because record '",
          name, "' holds ", in.array_length(name), " sections, the architecture has ", net.sections());
}

}  // namespace

void save_network_state(GatedNetwork& net, Container& out) {
  const int32_t L = net.sections();
  std::vector<double> theta(L);
  std::vector<int32_t> pruned(L), steps_at_zero(L);
  std::vector<int64_t> pruned_at(L);
  for (int32_t l = 0; l < L; ++l) {
    const GateState& g = net.gate(l);
    theta[l] = g.theta;
    pruned[l] = g.pruned ? 1 : 0;
    pruned_at[l] = g.pruned_at_step;
    steps_at_zero[l] = g.steps_at_zero;
  }
  out.put_f64_array("gate.theta", theta);
  out.put_i32_array("gate.pruned", pruned);
  out.put_i64_array("gate.pruned_at_step", pruned_at);
  out.put_i32_array("gate.steps_at_zero", steps_at_zero);
  std::vector<float> host;
  Backend& be = net.backend();
  for (const StateTensor& t : net.state_tensors()) {
    host.resize(static_cast<size_t>(t.count));
    if (t.count > 0) be.to_host(host.data(), t.data, sizeof(float) * host.size());
    out.put_f32_array("w/" + t.name, host);
  }
}

void restore_gate_states(GatedNetwork& net, const Container& in) {
  for (const char* name : {"gate.theta", "gate.pruned", "gate.pruned_at_step", "gate.steps_at_zero"})
    require_sections(net, in, name);
  const std::vector<double> theta = in.get_f64_array("gate.theta");
  const std::vector<int32_t> pruned = in.get_i32_array("gate.pruned");
  const std::vector<int64_t> pruned_at = in.get_i64_array("gate.pruned_at_step");
  const std::vector<int32_t> steps_at_zero = in.get_i32_array("gate.steps_at_zero");
  for (int32_t l = 0; l < net.sections(); ++l) {
    require(theta[l] >= 0.0 && theta[l] <= 1.0, "could not restore section ", l, " because its theta ", theta[l],
            " is outside [0, 1] (corrupt)");
    GateState& g = net.gate(l);
    require(g.pruned == (pruned[l] != 0), "could not restore section ", l,
            " because its pruned flag does not match the network's");
    g.theta = theta[l];
    g.pruned_at_step = pruned_at[l];
    g.steps_at_zero = steps_at_zero[l];
  }
}

void restore_network_state(GatedNetwork& net, const Container& in,
                           const std::function<std::string(const std::string&)>& record_name) {
  require_sections(net, in, "gate.pruned");
  const std::vector<int32_t> pruned = in.get_i32_array("gate.pruned");
  const std::vector<int64_t> pruned_at = in.get_i64_array("gate.pruned_at_step");
  require_sections(net, in, "gate.pruned_at_step");
  // Prune first: it frees the section's arrays, so the tensor list below is exactly
  // the one the saving network had.
  for (int32_t l = 0; l < net.sections(); ++l)
    if (pruned[l]) net.prune(l, pruned_at[l]);
  restore_gate_states(net, in);
  Backend& be = net.backend();
  std::vector<float> host;
  for (const StateTensor& t : net.state_tensors()) {
    const std::string name = "w/" + (record_name ? record_name(t.name) : t.name);
    require(in.has(name), "could not restore the network because record '", name,
            "' is missing (a checkpoint of another architecture?)");
    const size_t n = in.array_length(name);
    require(n == static_cast<size_t>(t.count), "could not restore the network because record '", name, "' holds ", n,
            " values, the architecture needs ", t.count);
    host.resize(n);
    in.get_f32_array_into(name, host.data(), n);
    if (n > 0) be.to_device(t.data, host.data(), sizeof(float) * n);
  }
}

// Every TrainConfig field, one record each, by name (not as one blob), so a checkpoint
// says what it holds and a missing field is named.
#define LP_CONFIG_DOUBLES(X) \
  X(lambda) X(s2) X(theta0) X(eta_theta) X(theta_min) X(eta_w) X(momentum) X(clip_norm) X(weight_decay) \
  X(step_gamma) X(estimator_fraction) X(theta_step_gamma)
#define LP_CONFIG_INTS(X) \
  X(patience) X(schedule) X(total_steps) X(step_every) X(estimator) X(theta_freeze_steps) X(theta_schedule) \
  X(theta_step_every) X(no_gates) X(augment_pad) X(augment_flip) X(train_size) X(batch_size) X(seed)

void save_train_config(const TrainConfig& c, Container& out) {
#define LP_PUT_D(f) out.put_f64("config." #f, c.f);
#define LP_PUT_I(f) out.put_i64("config." #f, static_cast<int64_t>(c.f));
  LP_CONFIG_DOUBLES(LP_PUT_D)
  LP_CONFIG_INTS(LP_PUT_I)
  LP_PUT_D(estimator_budget) LP_PUT_D(evidence_horizon) LP_PUT_D(evidence_z) LP_PUT_I(pruning_rule)
  LP_PUT_I(prior_scaling) LP_PUT_I(prior_norm) LP_PUT_I(precision)
#undef LP_PUT_D
#undef LP_PUT_I
}

TrainConfig load_train_config(const Container& in) {
  TrainConfig c{};
#define LP_GET_D(f) c.f = in.get_f64("config." #f);
#define LP_GET_I(f) c.f = static_cast<decltype(c.f)>(in.get_i64("config." #f));
  LP_CONFIG_DOUBLES(LP_GET_D)
  LP_CONFIG_INTS(LP_GET_I)
#undef LP_GET_D
#undef LP_GET_I
  // Fields added after format 1's first release: a checkpoint without them was trained
  // with the plain pruning rule and the per-weight prior; the others it does not read.
  const TrainConfig d = default_train_config();
  auto f64_or = [&](const char* name, double fallback) { return in.has(name) ? in.get_f64(name) : fallback; };
  c.estimator_budget = f64_or("config.estimator_budget", d.estimator_budget);
  c.evidence_horizon = f64_or("config.evidence_horizon", d.evidence_horizon);
  c.evidence_z = f64_or("config.evidence_z", d.evidence_z);
  c.pruning_rule = in.has("config.pruning_rule") ? static_cast<int32_t>(in.get_i64("config.pruning_rule"))
                                                 : PRUNING_RULE_PLAIN;
  c.prior_scaling = in.has("config.prior_scaling") ? static_cast<int32_t>(in.get_i64("config.prior_scaling"))
                                                   : PRIOR_PER_WEIGHT;
  // Before the initial-norm prior every run read the weights' current norm.
  c.prior_norm = in.has("config.prior_norm") ? static_cast<int32_t>(in.get_i64("config.prior_norm"))
                                             : PRIOR_NORM_CURRENT;
  // Before mixed precision every run was fp32. Weights are f32 in either case, so a bf16 run's
  // checkpoint resumes (in either precision) and exports like an fp32 one.
  c.precision = in.has("config.precision") ? static_cast<int32_t>(in.get_i64("config.precision")) : PRECISION_FP32;
  return c;
}

}  // namespace layerprune::io
