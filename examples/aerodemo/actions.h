/* The three actions of aerodemo and the settings they share.
 *
 *   ingest   -> "dataset": train.csv and test.csv, generated deterministically
 *   train    -> "model":   a linear model fitted by gradient descent
 *   evaluate -> "report":  the model's error on the test rows
 */
#ifndef AERODEMO_ACTIONS_H
#define AERODEMO_ACTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include <aeromancy/aeromancy.h>

/* Rows ingest generates, and the seed of its generator. Constants of the
 * project, not flags: changing them is changing the code. */
#define DEMO_ROWS 256
#define DEMO_TEST_ROWS 64
#define DEMO_SEED 42

/* The project's options, as the constructor received them. Owned by the
 * builder; every action borrows it (the host calls the builder's destroy
 * only after every action is done). */
typedef struct demo_settings {
  double learning_rate;
  int64_t epochs;
  bool mae;     /* --loss mae: minimise mean absolute error, not squared */
  bool shuffle; /* visit training rows in a new order every epoch */
  char *notes;  /* owned; "" when not given */
} demo_settings;

/* Action bodies (aero_action_run_fn); `data` is the demo_settings. */
aero_status demo_ingest(void *data, aero_tracker *tracker, aero_error *err);
aero_status demo_train(void *data, aero_tracker *tracker, aero_error *err);
aero_status demo_evaluate(void *data, aero_tracker *tracker, aero_error *err);

#endif /* AERODEMO_ACTIONS_H */
