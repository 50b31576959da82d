// cxxdemo: two actions written in C++. `sample` writes points of a noisy
// curve; `fit` fits a polynomial of --degree to them by least squares
// (normal equations, Gaussian elimination) and logs the residual error.
// The C++ standard library is used freely inside the plugin; only C types
// cross the ABI, and no exception may leave a callback: each callback
// catches and turns it into an aero_status.
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <aeromancy/aeromancy.h>

namespace {

// X(TYPE, name, short letter or 0, default, help), as in C.
#define CXXDEMO_OPTIONS(X)                                                     \
  X(INT, degree, 'd', 2, "Degree of the fitted polynomial")                    \
  X(INT, points, 0, 200, "Points sampled from the curve")                      \
  X(CHOICE, curve, 0, ("sine", "cubic"), "The curve sampled")

struct Settings {
  int degree;
  int points;
  std::string curve;
};

std::string work_path(aero_tracker *t, const char *name) {
  return std::string(aero_workdir(t)) + "/" + name;
}

// Declares the one file at `path` as the output `name`. C++ has no compound
// literals: the descriptor starts from aero_output_init().
aero_status declare_file(aero_tracker *t, const char *name,
                         const std::string &path, const char *type,
                         aero_error *err) {
  const char *files[] = {path.c_str()};
  aero_output_desc o = aero_output_init();
  o.name = name;
  o.files = files;
  o.file_count = 1;
  o.artifact_type = type;
  return aero_declare_output(t, &o, err);
}

// Solves A x = b in place (A is n x n, row-major) by Gaussian elimination
// with partial pivoting; false when A is singular.
bool solve(std::vector<double> &a, std::vector<double> &b, size_t n) {
  for (size_t col = 0; col < n; col++) {
    size_t pivot = col;
    for (size_t r = col + 1; r < n; r++)
      if (std::fabs(a[r * n + col]) > std::fabs(a[pivot * n + col]))
        pivot = r;
    if (std::fabs(a[pivot * n + col]) < 1e-12)
      return false;
    for (size_t c = 0; c < n; c++)
      std::swap(a[col * n + c], a[pivot * n + c]);
    std::swap(b[col], b[pivot]);
    for (size_t r = 0; r < n; r++) {
      if (r == col)
        continue;
      double f = a[r * n + col] / a[col * n + col];
      for (size_t c = col; c < n; c++)
        a[r * n + c] -= f * a[col * n + c];
      b[r] -= f * b[col];
    }
  }
  for (size_t i = 0; i < n; i++)
    b[i] /= a[i * n + i];
  return true;
}

aero_status sample(void *data, aero_tracker *t, aero_error *err) noexcept {
  try {
    const auto &s = *static_cast<const Settings *>(data);
    std::string path = work_path(t, "points.txt");
    std::ofstream out(path);
    for (int i = 0; i < s.points; i++) {
      double x = -1.0 + 2.0 * i / (s.points - 1);
      double y = s.curve == "sine" ? std::sin(3 * x) : x * x * x - x;
      out << x << ' ' << y + 0.01 * std::sin(97.0 * i) << '\n';
    }
    out.close();
    if (!out)
      return aero_fail(err, AERO_E_IO, "cannot write %s", path.c_str());
    return declare_file(t, "points", path, "dataset", err);
  } catch (const std::exception &e) {
    return aero_fail(err, AERO_E_ACTION, "sample: %s", e.what());
  }
}

aero_status fit(void *data, aero_tracker *t, aero_error *err) noexcept {
  try {
    const auto &s = *static_cast<const Settings *>(data);
    aero_input in;
    if (aero_declare_input(t, "points", &in, err) != AERO_OK)
      return AERO_E_ACTION;
    std::ifstream file(in.paths[0]);
    std::vector<double> xs, ys;
    for (double x, y; file >> x >> y;) {
      xs.push_back(x);
      ys.push_back(y);
    }
    const size_t n = static_cast<size_t>(s.degree) + 1;
    if (xs.size() < n)
      return aero_fail(err, AERO_E_INVALID, "%zu points cannot fit degree %d",
                       xs.size(), s.degree);
    // Normal equations: (V^T V) c = V^T y, V the Vandermonde matrix.
    std::vector<double> a(n * n, 0.0), b(n, 0.0);
    for (size_t k = 0; k < xs.size(); k++) {
      std::vector<double> p(2 * n, 1.0);
      for (size_t j = 1; j < 2 * n; j++)
        p[j] = p[j - 1] * xs[k];
      for (size_t i = 0; i < n; i++) {
        b[i] += p[i] * ys[k];
        for (size_t j = 0; j < n; j++)
          a[i * n + j] += p[i + j];
      }
    }
    if (!solve(a, b, n))
      return aero_fail(err, AERO_E_INVALID, "singular system");
    double sse = 0;
    for (size_t k = 0; k < xs.size(); k++) {
      double y = 0;
      for (size_t i = n; i-- > 0;)
        y = y * xs[k] + b[i];
      sse += (y - ys[k]) * (y - ys[k]);
    }
    double rmse = std::sqrt(sse / static_cast<double>(xs.size()));
    if (aero_log_metric(t, "rmse", rmse, AERO_NO_STEP, err) != AERO_OK)
      return AERO_E_ACTION;
    aero_logf(t, AERO_LOG_INFO, "degree %d: rmse %.5f", s.degree, rmse);
    std::string path = work_path(t, "coefficients.txt");
    std::ofstream out(path);
    for (double c : b)
      out << c << '\n';
    out.close();
    if (!out)
      return aero_fail(err, AERO_E_IO, "cannot write %s", path.c_str());
    return declare_file(t, "polynomial", path, "model", err);
  } catch (const std::exception &e) {
    return aero_fail(err, AERO_E_ACTION, "fit: %s", e.what());
  }
}

// The constructor's parameters are checked against CXXDEMO_OPTIONS at
// compile time (static_assert): an int for an INT option does not compile.
aero_status make(void **self, int64_t degree, int64_t points,
                 const char *curve, aero_error *err) noexcept {
  if (degree < 0 || degree > 12)
    return aero_fail(err, AERO_E_INVALID, "--degree must be 0..12, got %lld",
                     static_cast<long long>(degree));
  if (points < 2 || points > 1000000)
    return aero_fail(err, AERO_E_INVALID, "--points must be 2..1000000");
  try {
    *self = new Settings{static_cast<int>(degree), static_cast<int>(points),
                         curve};
    return AERO_OK;
  } catch (const std::bad_alloc &) {
    return aero_fail(err, AERO_E_NOMEM, "out of memory");
  }
}

void destroy(void *self) noexcept { delete static_cast<Settings *>(self); }

aero_status build(void *self, aero_graph *graph, aero_error *err) noexcept {
  auto *s = static_cast<Settings *>(self);
  static const char *const points[] = {"points"};
  static const char *const polynomial[] = {"polynomial"};
  aero_action_desc a = aero_action_init();
  a.job_type = "sample";
  a.outputs = points;
  a.output_count = 1;
  a.run = sample;
  a.data = s;
  aero_status st = aero_graph_add(graph, &a, err);
  if (st != AERO_OK)
    return st;
  const aero_kv config[] = {AERO_KV_INT("degree", s->degree),
                            AERO_KV_STRING("curve", s->curve.c_str())};
  aero_action_desc f = aero_action_init();
  f.job_type = "fit";
  f.outputs = polynomial;
  f.output_count = 1;
  f.parents = points;
  f.parent_count = 1;
  f.config = config;
  f.config_count = AERO_COUNT(config);
  f.run = fit;
  f.data = s;
  return aero_graph_add(graph, &f, err);
}

AERO_BUILDER(builder, "cxxdemo", "Sample a curve, fit a polynomial",
             CXXDEMO_OPTIONS, make, build, destroy);

aero_status init(aero_registrar *reg, aero_error *err) {
  return aero_register_builder(reg, &builder, err);
}

} // namespace

AERO_PLUGIN(AERO_PLUGIN_PROJECT, "cxxdemo", "1.0.0", init)
