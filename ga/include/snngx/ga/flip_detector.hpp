#pragma once
// Weight-statistics attack on an SNNGX key (issue 19, point 4): without the key and without any
// data, score every weight of the encrypted layer for "its sign was flipped", from the stored
// weights alone. The searches flip the sign bits that matter most, i.e. large weights pushing
// their neuron the useful way; once flipped such a weight is a large weight of the "wrong" sign,
// which the trained layer's statistics may give away. Three cheap detectors, each a score per
// weight (higher = more likely flipped), on the layer viewed as a matrix [out][fan-in] (Linear:
// [out, in]; Conv2d: [out, in*kh*kw], a row is one output channel's kernel):
//
// - NegativeMagnitude: -m / rms(row), m the signed magnitude. "Large negatives are suspect."
// - SignTail: the row's sign-conditional magnitude tails: log of
//   ((#opposite-sign weights with |m'| >= |m|) + 1) / (#opposite + 1)  over
//   (#same-sign weights with |m'| >= |m|) / #same   (the weight itself counted in "same").
//   High when the weight is larger than is usual for its sign but usual for the other sign.
// - ColumnOutlier: -(m - mean) / sd over the same column (the same input feeding the other
//   outputs, leave-one-out): a weight far below its column's others.
// Weights of magnitude 0 score 0 with every detector (their sign bit changes nothing).
//
// Evaluation against the true key (the attacker never sees it): ROC AUC and the accuracy after
// flipping back the top-L scores.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace snngx::ga {

enum class FlipDetector { NegativeMagnitude, SignTail, ColumnOutlier };
std::string to_string(FlipDetector detector);                 // "negative-magnitude" | "sign-tail" | "column-outlier"
FlipDetector parse_flip_detector(const std::string& name);    // throws std::invalid_argument
const std::vector<FlipDetector>& all_flip_detectors();

/// Scores of the `rows` x `cols` signed magnitudes `m` (row-major), one per weight.
std::vector<double> flip_scores(std::span<const int> m, std::size_t rows, std::size_t cols, FlipDetector detector);

/// Area under the ROC curve of `scores` for the `positive` labels: P(score of a positive > score
/// of a negative) with ties counted 1/2 (Mann-Whitney U / (P*N), average ranks). Throws when
/// either class is empty.
double roc_auc(std::span<const double> scores, const std::vector<bool>& positive);

/// The ROC curve as (false positive rate, true positive rate) points, one per distinct score
/// threshold from the highest down, starting at (0, 0) and ending at (1, 1); tied scores move
/// along the diagonal of their block in one step.
std::vector<std::pair<double, double>> roc_curve(std::span<const double> scores, const std::vector<bool>& positive);

/// The true positive rate of a ROC curve at `fpr` (linear between its points).
double tpr_at(const std::vector<std::pair<double, double>>& curve, double fpr);

/// Indices of the `count` highest scores (ties: lower index first), in decreasing score order.
std::vector<std::size_t> top_scores(std::span<const double> scores, std::size_t count);

}  // namespace snngx::ga
