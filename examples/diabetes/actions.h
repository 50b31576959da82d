/* The actions of the diabetes project and the settings they share.
 *
 *   ingest   -> "diabetes-data":   train.csv and test.csv, a seeded split of
 *                                  scikit-learn's diabetes data set
 *   fit      -> "diabetes-model":  linear regression coefficients
 *   evaluate -> "diabetes-report": R^2 and errors on both splits
 */
#ifndef DIABETES_ACTIONS_H
#define DIABETES_ACTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include <aeromancy/aeromancy.h>

/* Where Debian's python3-sklearn installs its data sets. */
#define DIABETES_SYSTEM_DATA                                                   \
  "/usr/lib/python3/dist-packages/sklearn/datasets/data"

/* The project's options, as the constructor received them. Owned by the
 * builder; every action borrows it. */
typedef struct diabetes_settings {
  char *data_dir;       /* owned; absolute */
  int64_t seed;         /* of the train/test split */
  int64_t test_percent; /* rows held out, in percent */
  bool normal;          /* --solver normal: solve the normal equations */
  double learning_rate; /* gradient descent step */
  int64_t epochs;       /* gradient descent epochs */
  double l2;            /* ridge penalty; 0 for ordinary least squares */
} diabetes_settings;

aero_status diabetes_ingest(void *data, aero_tracker *tracker, aero_error *err);
aero_status diabetes_fit(void *data, aero_tracker *tracker, aero_error *err);
aero_status diabetes_evaluate(void *data, aero_tracker *tracker,
                              aero_error *err);

#endif /* DIABETES_ACTIONS_H */
