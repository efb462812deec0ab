#pragma once
// Every plot snngx draws, built in one place: a Figure of one or more panels over the columns of
// one CSV file, turned into a gnuplot script that renders an SVG. The script's rules hold for
// every plot: plain text (no enhanced-text subscripts from names like key_store), one distinct
// colour per series of a panel, axis labels carrying their unit, fractions shown as percent when
// the CLI prints percent, and log axes where the values span decades.
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace snngx::app::plot {

enum class Axis { Left, Right };
enum class Style { LinesPoints, Boxes, StackedHistogram, ClusteredHistogram };

/// One line (or bar series) from a CSV column.
struct Series {
  int column = 2;          // 1-based CSV column
  std::string title;       // legend text; empty = the column's CSV header
  Axis axis = Axis::Left;  // Right: drawn against the panel's second y axis
  double scale = 1.0;      // 100 shows a 0..1 fraction as percent
  Series(int column_, std::string title_ = {}, Axis axis_ = Axis::Left, double scale_ = 1.0)
      : column(column_), title(std::move(title_)), axis(axis_), scale(scale_) {}
};

struct Panel {
  std::string title, xlabel, ylabel, y2label;  // labels name their unit, e.g. "test accuracy (%)"
  std::vector<Series> series;
  Style style = Style::LinesPoints;
  int xcol = 1;            // 1-based; 0 = evenly spaced rows labelled with column 1 (text values, histograms)
  double xscale = 1.0;     // 100 shows a 0..1 fraction on the x axis as percent
  bool logx = false, logy = false, logy2 = false;
  bool integer_x = false;  // x is a count (epochs, generations): ticks on whole numbers only
  std::optional<std::pair<double, double>> yrange, y2range;
};

struct Figure {
  std::filesystem::path csv;
  std::vector<Panel> panels;  // stacked top to bottom
  int width = 860, panel_height = 420;
  Figure(std::filesystem::path csv_, std::vector<Panel> panels_) : csv(std::move(csv_)), panels(std::move(panels_)) {}
};

/// Percent of a fraction column: Series{column, title, axis, 100}.
Series percent(int column, std::string title = {}, Axis axis = Axis::Left);

/// The gnuplot script that renders `figure` to `svg`.
std::string script(const Figure& figure, const std::filesystem::path& svg);

/// Writes `<svg>.gp` and runs gnuplot on it; if gnuplot is missing or fails, warns on stderr and
/// keeps the script.
void render(const Figure& figure, const std::filesystem::path& svg);

/// A single-panel figure (the common case).
inline void render(const std::filesystem::path& csv, const std::filesystem::path& svg, Panel panel) {
  render(Figure{csv, {std::move(panel)}}, svg);
}

}  // namespace snngx::app::plot
