#include "snngx/ga/flip_detector.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace snngx::ga {

std::string to_string(FlipDetector detector) {
  switch (detector) {
    case FlipDetector::NegativeMagnitude: return "negative-magnitude";
    case FlipDetector::SignTail: return "sign-tail";
    case FlipDetector::ColumnOutlier: return "column-outlier";
  }
  return "?";
}

FlipDetector parse_flip_detector(const std::string& name) {
  for (const auto d : all_flip_detectors())
    if (to_string(d) == name) return d;
  throw std::invalid_argument("unknown flip detector '" + name + "' (negative-magnitude, sign-tail, column-outlier)");
}

const std::vector<FlipDetector>& all_flip_detectors() {
  static const std::vector<FlipDetector> all{FlipDetector::NegativeMagnitude, FlipDetector::SignTail, FlipDetector::ColumnOutlier};
  return all;
}

namespace {

void negative_magnitude(std::span<const int> row, std::span<double> out) {
  double sum_sq = 0.0;
  for (const int m : row) sum_sq += static_cast<double>(m) * m;
  const double rms = std::sqrt(sum_sq / static_cast<double>(row.size()));
  for (std::size_t j = 0; j < row.size(); ++j) out[j] = rms > 0.0 ? -row[j] / rms : 0.0;
}

/// #values in the ascending `sorted` that are >= a.
double count_at_least(const std::vector<int>& sorted, int a) {
  return static_cast<double>(sorted.end() - std::lower_bound(sorted.begin(), sorted.end(), a));
}

void sign_tail(std::span<const int> row, std::span<double> out) {
  std::vector<int> positive, negative;  // magnitudes, ascending
  for (const int m : row) {
    if (m > 0) positive.push_back(m);
    if (m < 0) negative.push_back(-m);
  }
  std::sort(positive.begin(), positive.end());
  std::sort(negative.begin(), negative.end());
  for (std::size_t j = 0; j < row.size(); ++j) {
    const int m = row[j];
    if (m == 0) {
      out[j] = 0.0;
      continue;
    }
    const auto& same = m > 0 ? positive : negative;
    const auto& opposite = m > 0 ? negative : positive;
    const int a = std::abs(m);
    const double same_tail = count_at_least(same, a) / static_cast<double>(same.size());  // >= 1/n: the weight itself
    const double opposite_tail = (count_at_least(opposite, a) + 1.0) / (static_cast<double>(opposite.size()) + 1.0);
    out[j] = std::log(opposite_tail / same_tail);
  }
}

void column_outlier(std::span<const int> m, std::size_t rows, std::size_t cols, std::span<double> out) {
  for (std::size_t c = 0; c < cols; ++c) {
    double sum = 0.0, sum_sq = 0.0;
    for (std::size_t r = 0; r < rows; ++r) {
      const double v = m[r * cols + c];
      sum += v, sum_sq += v * v;
    }
    for (std::size_t r = 0; r < rows; ++r) {
      const double v = m[r * cols + c];
      if (v == 0.0 || rows < 2) {
        out[r * cols + c] = 0.0;
        continue;
      }
      const double n = static_cast<double>(rows - 1);  // the others: leave-one-out
      const double mean = (sum - v) / n;
      const double var = std::max(0.0, (sum_sq - v * v) / n - mean * mean);
      const double sd = var > 0.0 ? std::sqrt(var) : 1.0;
      out[r * cols + c] = -(v - mean) / sd;
    }
  }
}

}  // namespace

std::vector<double> flip_scores(std::span<const int> m, std::size_t rows, std::size_t cols, FlipDetector detector) {
  if (rows * cols != m.size()) throw std::invalid_argument("flip_scores: rows x cols does not match the weights");
  std::vector<double> out(m.size(), 0.0);
  if (detector == FlipDetector::ColumnOutlier) {
    column_outlier(m, rows, cols, out);
    return out;
  }
  for (std::size_t r = 0; r < rows; ++r) {
    const auto row = m.subspan(r * cols, cols);
    const std::span<double> row_out(out.data() + r * cols, cols);
    if (detector == FlipDetector::NegativeMagnitude) negative_magnitude(row, row_out);
    else sign_tail(row, row_out);
  }
  return out;
}

namespace {

void check_labels(std::span<const double> scores, const std::vector<bool>& positive) {
  if (scores.size() != positive.size()) throw std::invalid_argument("ROC: one label per score needed");
  const auto p = static_cast<std::size_t>(std::count(positive.begin(), positive.end(), true));
  if (p == 0 || p == positive.size()) throw std::invalid_argument("ROC: needs both positive and negative samples");
}

/// Indices by decreasing score (ties: lower index first).
std::vector<std::size_t> by_decreasing_score(std::span<const double> scores) {
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  return order;
}

}  // namespace

double roc_auc(std::span<const double> scores, const std::vector<bool>& positive) {
  check_labels(scores, positive);
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  double rank_sum = 0.0, positives = 0.0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double average_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;  // ranks i+1..j
    for (std::size_t k = i; k < j; ++k)
      if (positive[order[k]]) rank_sum += average_rank, positives += 1.0;
    i = j;
  }
  const double negatives = static_cast<double>(scores.size()) - positives;
  return (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives);
}

std::vector<std::pair<double, double>> roc_curve(std::span<const double> scores, const std::vector<bool>& positive) {
  check_labels(scores, positive);
  const auto P = static_cast<double>(std::count(positive.begin(), positive.end(), true));
  const double N = static_cast<double>(scores.size()) - P;
  const auto order = by_decreasing_score(scores);
  std::vector<std::pair<double, double>> curve{{0.0, 0.0}};
  double tp = 0.0, fp = 0.0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    for (; j < order.size() && scores[order[j]] == scores[order[i]]; ++j) (positive[order[j]] ? tp : fp) += 1.0;
    curve.emplace_back(fp / N, tp / P);
    i = j;
  }
  return curve;
}

double tpr_at(const std::vector<std::pair<double, double>>& curve, double fpr) {
  if (curve.empty()) return 0.0;
  // The last point at or before fpr and the first after it (points are sorted by fpr, then tpr).
  const auto after = std::upper_bound(curve.begin(), curve.end(), fpr, [](double f, const auto& p) { return f < p.first; });
  if (after == curve.begin()) return curve.front().second;
  const auto& lo = *(after - 1);
  if (after == curve.end() || lo.first == fpr) return lo.second;
  const auto& hi = *after;
  return lo.second + (hi.second - lo.second) * (fpr - lo.first) / (hi.first - lo.first);
}

std::vector<std::size_t> top_scores(std::span<const double> scores, std::size_t count) {
  auto order = by_decreasing_score(scores);
  order.resize(std::min(count, order.size()));
  return order;
}

}  // namespace snngx::ga
