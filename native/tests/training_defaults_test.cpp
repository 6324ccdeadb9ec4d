// The one validation of TrainConfig (method/training_defaults.cpp): every field's problem is named
// first, by the field's name as in TrainConfig, because Java's TrainConfig.Builder translates that
// name to its own spelling and reports the rest of the core's message unchanged.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "method/training_defaults.h"

namespace layerprune {
namespace {

struct Mutation {
  const char* field;
  std::function<void(TrainConfig&)> change;
};

std::vector<Mutation> one_bad_value_per_check() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  return {
      {"lambda", [](TrainConfig& c) { c.lambda = -0.5; }},
      {"lambda", [=](TrainConfig& c) { c.lambda = inf; }},
      {"s2", [](TrainConfig& c) { c.s2 = 0; }},
      {"theta0", [](TrainConfig& c) { c.theta0 = 1.5; }},
      {"eta_theta", [=](TrainConfig& c) { c.eta_theta = nan; }},
      {"patience", [](TrainConfig& c) { c.patience = 0; }},
      {"theta_min", [](TrainConfig& c) { c.theta_min = -0.1; }},
      {"eta_w", [](TrainConfig& c) { c.eta_w = 0; }},
      {"eta_w", [=](TrainConfig& c) { c.eta_w = nan; }},
      {"momentum", [](TrainConfig& c) { c.momentum = 1.0; }},
      {"clip_norm", [](TrainConfig& c) { c.clip_norm = -1; }},
      {"weight_decay", [](TrainConfig& c) { c.weight_decay = -1e-4; }},
      {"schedule", [](TrainConfig& c) { c.schedule = 7; }},
      {"total_steps", [](TrainConfig& c) { c.total_steps = -1; }},
      {"step_every", [](TrainConfig& c) { c.step_every = -1; }},
      {"step_every", [](TrainConfig& c) { c.schedule = SCHEDULE_STEP; c.step_every = 0; }},
      {"step_gamma", [](TrainConfig& c) { c.step_gamma = 0; }},
      {"estimator", [](TrainConfig& c) { c.estimator = 9; }},
      {"estimator_fraction", [](TrainConfig& c) { c.estimator_fraction = 0; }},
      {"estimator_fraction", [](TrainConfig& c) { c.estimator_fraction = 1.5; }},
      {"estimator_budget", [](TrainConfig& c) { c.estimator_budget = 0; }},
      {"pruning_rule", [](TrainConfig& c) { c.pruning_rule = 5; }},
      {"evidence_horizon", [](TrainConfig& c) { c.evidence_horizon = 0.5; }},
      {"evidence_z", [](TrainConfig& c) { c.evidence_z = -1; }},
      {"prior_scaling", [](TrainConfig& c) { c.prior_scaling = 3; }},
      {"theta_schedule", [](TrainConfig& c) { c.theta_schedule = SCHEDULE_COSINE; }},
      {"theta_step_every", [](TrainConfig& c) { c.theta_step_every = -2; }},
      {"theta_step_every", [](TrainConfig& c) { c.theta_schedule = SCHEDULE_STEP; c.theta_step_every = 0; }},
      {"theta_step_gamma", [=](TrainConfig& c) { c.theta_step_gamma = nan; }},
      {"augment_pad", [](TrainConfig& c) { c.augment_pad = 65; }},
      {"theta_freeze_steps", [](TrainConfig& c) { c.theta_freeze_steps = -1; }},
      {"augment_flip", [](TrainConfig& c) { c.augment_flip = 2; }},
      {"no_gates", [](TrainConfig& c) { c.no_gates = -1; }},
      {"train_size", [](TrainConfig& c) { c.train_size = -1; }},
      {"batch_size", [](TrainConfig& c) { c.batch_size = 0; }},
      {"precision", [](TrainConfig& c) { c.precision = 2; }},
  };
}

TEST(TrainConfigValidation, EveryFamilysDefaultsAreValid) {
  for (int32_t family : {FAMILY_MLP, FAMILY_RESNET, FAMILY_VGG, FAMILY_LENET}) {
    EXPECT_EQ(config_problem(default_train_config(family)), "") << "family " << family;
    EXPECT_NO_THROW(validate(default_train_config(family)));
  }
}

TEST(TrainConfigValidation, EveryProblemNamesItsFieldFirst) {
  for (const Mutation& m : one_bad_value_per_check()) {
    TrainConfig c = default_train_config();
    m.change(c);
    const std::string problem = config_problem(c);
    EXPECT_EQ(problem.rfind(std::string(m.field) + " must ", 0), 0u) << m.field << ": \"" << problem << "\"";
    EXPECT_NE(problem.find(", got "), std::string::npos) << "the value is missing: " << problem;
    try {
      validate(c);
      ADD_FAILURE() << "validate accepted a bad " << m.field;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), "invalid training configuration: " + problem);
    }
  }
}

TEST(TrainConfigValidation, TheFirstBadFieldIsReported) {
  TrainConfig c = default_train_config();
  c.eta_w = -1;
  c.batch_size = 0;  // checked later: eta_w is named
  EXPECT_EQ(config_problem(c).rfind("eta_w ", 0), 0u) << config_problem(c);
}

}  // namespace
}  // namespace layerprune
