#include "plot.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "report.hpp"

namespace snngx::app::plot {
namespace fs = std::filesystem;
namespace {

// Tableau's 10 colours: distinct, and distinguishable in greyscale print by their order.
constexpr std::array<const char*, 10> kPalette = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                                  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

// A gnuplot single-quoted string: '' is a literal quote, nothing else is special.
std::string gp_string(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

// A POSIX shell single-quoted word.
std::string shell_quoted(const std::string& s) {
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct CsvOutline {
  std::vector<std::string> header;
  std::size_t rows = 0;  // data rows below the header
};

CsvOutline csv_outline(const fs::path& csv) {
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  CsvOutline o;
  std::stringstream hs(line);
  for (std::string col; std::getline(hs, col, ',');) o.header.push_back(col);
  while (std::getline(in, line)) o.rows += !line.empty();
  return o;
}

std::string column_expr(const Series& s) {
  return s.scale == 1.0 ? std::to_string(s.column) : fmt::format("(${}*{:g})", s.column, s.scale);
}

std::string range(const std::optional<std::pair<double, double>>& r) {
  return r ? fmt::format("[{:g}:{:g}]", r->first, r->second) : "[*:*]";
}

void panel_settings(std::ostream& gp, const Panel& p, std::size_t rows) {
  const bool right = std::any_of(p.series.begin(), p.series.end(), [](const Series& s) { return s.axis == Axis::Right; });
  gp << "set title " << gp_string(p.title) << "\nset xlabel " << gp_string(p.xlabel) << "\nset ylabel " << gp_string(p.ylabel) << "\n"
     << "unset logscale\n";
  if (p.logx) gp << "set logscale x 10\n";
  if (p.logy) gp << "set logscale y 10\n";
  gp << "set yrange " << range(p.yrange) << "\nset format x '%g'\nset format y '%g'\n";
  // Whole-number ticks for counts: an interval of 1 for short runs (never "epoch 1.5"); gnuplot's
  // choice, whole numbers for ranges over 20, otherwise.
  gp << (p.integer_x && rows <= 20 ? "set xtics 1\n" : "set xtics autofreq\n");
  if (right) {
    gp << "set y2label " << gp_string(p.y2label) << "\nset y2tics\nset ytics nomirror\nset format y2 '%g'\nset y2range "
       << range(p.y2range) << "\n";
    if (p.logy2) gp << "set logscale y2 10\n";
  } else {
    gp << "unset y2label\nunset y2tics\nset ytics mirror\n";
  }
  switch (p.style) {
    case Style::LinesPoints: gp << "set style data linespoints\n"; break;
    case Style::Boxes: gp << "set style fill solid 0.7 border -1\nset boxwidth 0.8 relative\nset style data boxes\n"; break;
    case Style::StackedHistogram:
    case Style::ClusteredHistogram:
      gp << "set style data histograms\nset style histogram "
         << (p.style == Style::StackedHistogram ? "rowstacked" : "clustered gap 1") << "\nset style fill solid 0.8 border -1\n"
         << "set boxwidth 0.7\n";
      break;
  }
}

void panel_plot(std::ostream& gp, const Panel& p, const fs::path& csv, const std::vector<std::string>& header) {
  const bool histogram = p.style == Style::StackedHistogram || p.style == Style::ClusteredHistogram;
  gp << "plot ";
  for (std::size_t i = 0; i < p.series.size(); ++i) {
    const Series& s = p.series[i];
    std::string title = s.title;
    if (title.empty()) title = s.column >= 1 && static_cast<std::size_t>(s.column) <= header.size() ? header[static_cast<std::size_t>(s.column - 1)] : "y";
    std::string columns = column_expr(s);
    if (histogram || p.xcol == 0) columns += ":xtic(1)";
    if (!histogram) columns = (p.xcol == 0 ? std::string("0") : column_expr(Series{p.xcol, {}, Axis::Left, p.xscale})) + ":" + columns;
    gp << (i ? ", \\\n     " : "") << gp_string(csv.string()) << " skip 1 using " << columns << " axes x1"
       << (s.axis == Axis::Right ? "y2" : "y1") << " title " << gp_string(title);
    if (!histogram) gp << (p.style == Style::Boxes ? " with boxes" : " with linespoints pt 7 ps 0.5 lw 2");
    gp << " lc rgb '" << kPalette[i % kPalette.size()] << "'";
  }
  gp << "\n";
}

}  // namespace

Series percent(int column, std::string title, Axis axis) { return Series{column, std::move(title), axis, 100.0}; }

std::string script(const Figure& f, const fs::path& svg) {
  const auto csv = csv_outline(f.csv);
  const int panels = static_cast<int>(std::max<std::size_t>(1, f.panels.size()));
  std::ostringstream gp;
  gp << "set terminal svg size " << f.width << "," << f.panel_height * panels << " dynamic background rgb 'white' font 'Helvetica,13'\n"
     << "set termoption noenhanced\n"  // names like key_store or best_fitness: no subscripts
     << "set output " << gp_string(svg.string()) << "\n"
     << "set datafile separator ','\nset key outside right top vertical\nset grid\n";
  if (panels > 1) gp << "set multiplot layout " << panels << ",1\n";
  for (const Panel& p : f.panels) {
    panel_settings(gp, p, csv.rows);
    panel_plot(gp, p, f.csv, csv.header);
  }
  if (panels > 1) gp << "unset multiplot\n";
  return gp.str();
}

void render(const Figure& f, const fs::path& svg) {
  fs::path gp = svg;
  gp += ".gp";
  write_text_atomically(gp, script(f, svg));
  const std::string cmd = "gnuplot " + shell_quoted(gp.string()) + " 2>/dev/null";
  if (std::system(cmd.c_str()) != 0)
    std::fprintf(stderr, "snngx: warning: gnuplot failed or is not installed; plot script kept at %s\n", gp.c_str());
}

}  // namespace snngx::app::plot
