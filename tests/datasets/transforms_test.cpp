// tonic's ToFrame / Downsample / Denoise, value for value: hand-computed cases and a randomized
// comparison with a slow transcription of tonic's searchsorted-based slicers.
#include <gtest/gtest.h>

#include "snngx/io/errors.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "snngx/datasets/events.hpp"
#include "snngx/datasets/reader.hpp"

namespace snngx::datasets {
namespace {

constexpr SensorSize tiny{3, 2, 2};  // W=3, H=2, P=2: a frame is 12 counts, [p][y][x]

Event ev(std::int64_t t, int x = 0, int y = 0, int p = 0) {
  return {t, static_cast<std::uint16_t>(x), static_cast<std::uint16_t>(y), static_cast<std::uint8_t>(p)};
}

// Count at frame f, polarity p, row y, column x of a [F][P][H][W] array.
int at(const std::vector<std::uint16_t>& frames, SensorSize s, int f, int p, int y, int x) {
  return frames.at(static_cast<std::size_t>(f) * s.frame_size() + static_cast<std::size_t>(p) * s.w * s.h +
                   static_cast<std::size_t>(y) * s.w + x);
}

// Sum of the counts of frame f.
int frame_total(const std::vector<std::uint16_t>& frames, SensorSize s, int f) {
  int sum = 0;
  for (std::size_t i = 0; i < s.frame_size(); ++i) sum += frames.at(static_cast<std::size_t>(f) * s.frame_size() + i);
  return sum;
}

TEST(ToFrameTimeBins, BinsAreHalfOpenAndTheRemainderIsDropped) {
  // t0 = 1000, t1 = 1031, T = 3: w = 31 // 3 = 10; bins [1000,1010) [1010,1020) [1020,1030).
  const Events events{ev(1000, 0, 0, 1), ev(1009, 1, 0, 1), ev(1010, 2, 1, 0), ev(1019, 2, 1, 0),
                      ev(1029, 0, 1, 1), ev(1030, 1, 1, 1), ev(1031, 2, 0, 0)};
  const auto f = ToFrame::n_time_bins(3)(events, tiny);
  ASSERT_EQ(f.size(), 3 * tiny.frame_size());
  EXPECT_EQ(at(f, tiny, 0, 1, 0, 0), 1);
  EXPECT_EQ(at(f, tiny, 0, 1, 0, 1), 1);
  EXPECT_EQ(frame_total(f, tiny, 0), 2);
  EXPECT_EQ(at(f, tiny, 1, 0, 1, 2), 2);  // counts add up, t = 1010 starts bin 1
  EXPECT_EQ(frame_total(f, tiny, 1), 2);
  EXPECT_EQ(at(f, tiny, 2, 1, 1, 0), 1);  // t = 1029 is the last instant of bin 2
  EXPECT_EQ(frame_total(f, tiny, 2), 1);  // t = 1030 and 1031 (the last event) are dropped
}

TEST(ToFrameTimeBins, TheLastEventIsAlwaysDropped) {
  // w = (t1 - t0) // T, so t1 >= t0 + T*w: the last event never falls in a bin.
  for (const std::int64_t t1 : {30, 31, 32, 44}) {
    const Events events{ev(0), ev(t1, 1)};
    const auto f = ToFrame::n_time_bins(3)(events, tiny);
    EXPECT_EQ(at(f, tiny, 0, 0, 0, 0), 1) << t1;
    int total = 0;
    for (int b = 0; b < 3; ++b) total += frame_total(f, tiny, b);
    EXPECT_EQ(total, 1) << "t1 = " << t1;
  }
}

TEST(ToFrameTimeBins, EmptyBinsStayZero) {
  // w = 10: nothing in [10, 20).
  const Events events{ev(0), ev(2), ev(25, 2, 1, 1), ev(30)};
  const auto f = ToFrame::n_time_bins(3)(events, tiny);
  EXPECT_EQ(frame_total(f, tiny, 0), 2);
  EXPECT_EQ(frame_total(f, tiny, 1), 0);
  EXPECT_EQ(at(f, tiny, 2, 1, 1, 2), 1);
}

TEST(ToFrameTimeBins, ShorterThanTBinsGivesAllEmptyFrames) {
  // t1 - t0 = 14 < T = 15: w = 0, every bin [t0, t0) is empty.
  const Events events{ev(100), ev(107), ev(114)};
  const auto f = ToFrame::n_time_bins(15)(events, tiny);
  ASSERT_EQ(f.size(), 15 * tiny.frame_size());
  EXPECT_TRUE(std::all_of(f.begin(), f.end(), [](auto v) { return v == 0; }));
}

TEST(ToFrameTimeWindow, NumberOfWindowsUsesPythonFloorDivision) {
  const auto tw = ToFrame::time_window(10);
  EXPECT_EQ(tw.num_frames(Events{ev(0), ev(5)}), 1u);          // floor(-5/10) + 1 = 0 -> max(1, 0)
  EXPECT_EQ(tw.num_frames(Events{ev(0), ev(10)}), 1u);         // floor(0/10) + 1
  EXPECT_EQ(tw.num_frames(Events{ev(0), ev(19)}), 1u);         // floor(9/10) + 1
  EXPECT_EQ(tw.num_frames(Events{ev(0), ev(20)}), 2u);         // floor(10/10) + 1
  EXPECT_EQ(tw.num_frames(Events{ev(7), ev(7 + 35)}), 3u);     // floor(25/10) + 1
}

TEST(ToFrameTimeWindow, IncompleteLastWindowIsExcluded) {
  // t0 = 0, t1 = 25: 2 windows [0,10) [10,20); t = 20 and 25 are dropped.
  const Events events{ev(0), ev(9, 1), ev(10, 2), ev(19, 2), ev(20, 1, 1), ev(25)};
  const auto f = ToFrame::time_window(10)(events, tiny);
  ASSERT_EQ(f.size(), 2 * tiny.frame_size());
  EXPECT_EQ(at(f, tiny, 0, 0, 0, 0), 1);
  EXPECT_EQ(at(f, tiny, 0, 0, 0, 1), 1);
  EXPECT_EQ(at(f, tiny, 1, 0, 0, 2), 2);
  EXPECT_EQ(frame_total(f, tiny, 0) + frame_total(f, tiny, 1), 4);
}

TEST(ToFrameEventCount, FullSlicesOnlyAndShortStreamsGiveOneFrame) {
  // N = 7, K = 3: floor((7-3)/3) + 1 = 2 frames of events [0,3) and [3,6); event 6 is dropped.
  Events events;
  for (int i = 0; i < 7; ++i) events.push_back(ev(i * 5, i % 3, i % 2, i % 2));
  const auto f = ToFrame::event_count(3)(events, tiny);
  ASSERT_EQ(f.size(), 2 * tiny.frame_size());
  EXPECT_EQ(frame_total(f, tiny, 0), 3);
  EXPECT_EQ(frame_total(f, tiny, 1), 3);
  EXPECT_EQ(at(f, tiny, 1, 1, 1, 0), 1);  // event 3: (x=0, y=1, p=1)
  EXPECT_EQ(at(f, tiny, 1, 0, 0, 1), 1);  // event 4: (x=1, y=0, p=0)
  // K > N: event_count = min(K, N) = N, one frame with everything.
  const auto g = ToFrame::event_count(50)(events, tiny);
  ASSERT_EQ(g.size(), tiny.frame_size());
  EXPECT_EQ(frame_total(g, tiny, 0), 7);
}

TEST(ToFrame, OnIsChannelOneAndSinglePolaritySensorsUseChannelZero) {
  const Events events{ev(0, 1, 1, 1), ev(10, 2, 0, 0), ev(20)};
  const auto f = ToFrame::time_window(100)(events, tiny);
  EXPECT_EQ(at(f, tiny, 0, 1, 1, 1), 1);
  EXPECT_EQ(at(f, tiny, 0, 0, 0, 2), 1);
  // SHD-like sensor (700, 1, 1): frames [T][1][700]; polarity ignored.
  const SensorSize audio{700, 1, 1};
  const Events spikes{ev(0, 699, 0, 1), ev(5, 3), ev(6, 3)};
  const auto a = ToFrame::event_count(3)(spikes, audio);
  ASSERT_EQ(a.size(), 700u);
  EXPECT_EQ(a[699], 1);
  EXPECT_EQ(a[3], 2);
}

TEST(ToFrame, AccumulateTruncatesAndZeroPadsToTheStoredFrameCount) {
  Events events;
  for (int i = 0; i < 10; ++i) events.push_back(ev(i));
  std::vector<std::uint16_t> out(4 * tiny.frame_size(), 0);
  ToFrame::event_count(2).accumulate(events, tiny, out, 4);  // 5 frames made, 4 kept
  EXPECT_EQ(std::count(out.begin(), out.end(), 2), 4);
  std::fill(out.begin(), out.end(), 0);
  ToFrame::event_count(5).accumulate(events, tiny, out, 4);  // 2 frames, frames 2 and 3 stay 0
  EXPECT_EQ(out[0], 5);
  EXPECT_EQ(out[tiny.frame_size()], 5);
  EXPECT_EQ(std::accumulate(out.begin(), out.end(), 0), 10);
}

// tonic/slicers.py transcribed literally: float window edges and numpy.searchsorted (left).
std::vector<std::uint16_t> tonic_reference(const Events& events, SensorSize s, const ToFrame& tf) {
  std::vector<double> times;
  for (const Event& e : events) times.push_back(static_cast<double>(e.t));
  const auto searchsorted = [&](double v) {
    return static_cast<std::size_t>(std::lower_bound(times.begin(), times.end(), v) - times.begin());
  };
  std::vector<std::pair<std::size_t, std::size_t>> slices;
  const double t0 = times.front(), t1 = times.back();
  if (tf.mode == ToFrame::Mode::time_bins) {
    const double window = static_cast<double>((events.back().t - events.front().t) / tf.value) * (1 + 0.0);
    for (std::int64_t i = 0; i < tf.value; ++i) {
      const double start = static_cast<double>(i) * window + t0;
      slices.emplace_back(searchsorted(start), searchsorted(start + window));
    }
  } else if (tf.mode == ToFrame::Mode::time_window) {
    const double w = static_cast<double>(tf.value);
    const auto n = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor((t1 - t0 - w) / w) + 1));
    for (std::int64_t i = 0; i < n; ++i) {
      const double start = static_cast<double>(i) * w + t0;
      slices.emplace_back(searchsorted(start), searchsorted(start + w));
    }
  } else {
    const auto n_events = static_cast<std::int64_t>(events.size());
    const std::int64_t k = std::min(tf.value, n_events);
    const auto n = static_cast<std::int64_t>(std::floor(static_cast<double>(n_events - k) / static_cast<double>(k)) + 1);
    for (std::int64_t i = 0; i < n; ++i)
      slices.emplace_back(static_cast<std::size_t>(i * k), static_cast<std::size_t>(i * k + k));
  }
  std::vector<std::uint16_t> frames(slices.size() * s.frame_size(), 0);
  for (std::size_t f = 0; f < slices.size(); ++f)
    for (std::size_t i = slices[f].first; i < slices[f].second; ++i) {
      const Event& e = events[i];
      ++frames[f * s.frame_size() + static_cast<std::size_t>(s.p == 1 ? 0 : e.p) * s.w * s.h +
               static_cast<std::size_t>(e.y) * s.w + e.x];
    }
  return frames;
}

TEST(ToFrame, RandomStreamsMatchTonicsSlicers) {
  std::mt19937_64 rng(20261123);
  const SensorSize s{5, 4, 2};
  for (int trial = 0; trial < 3000; ++trial) {
    const int n = 1 + static_cast<int>(rng() % 60);
    Events events;
    std::int64_t t = static_cast<std::int64_t>(rng() % 1'000'000);
    for (int i = 0; i < n; ++i) {
      t += static_cast<std::int64_t>(rng() % 4 == 0 ? 0 : rng() % 50);  // ties included
      events.push_back(ev(t, static_cast<int>(rng() % 5), static_cast<int>(rng() % 4), static_cast<int>(rng() % 2)));
    }
    const std::int64_t value = 1 + static_cast<std::int64_t>(rng() % 40);
    for (const ToFrame& tf : {ToFrame::n_time_bins(value), ToFrame::time_window(value), ToFrame::event_count(value)})
      ASSERT_EQ(tf(events, s), tonic_reference(events, s, tf)) << tf.describe() << " trial " << trial;
  }
}

TEST(Downsample, TruncatesTheFloatProductLikeNumpy) {
  Events events{ev(0, 127, 127), ev(0, 3, 4), ev(0, 100, 1)};
  downsample(events, 0.25);
  EXPECT_EQ(events[0].x, 31);  // 31.75
  EXPECT_EQ(events[0].y, 31);
  EXPECT_EQ(events[1].x, 0);   // 0.75
  EXPECT_EQ(events[1].y, 1);
  EXPECT_EQ(events[2].x, 25);
  Events rounding{ev(0, 100, 0)};
  downsample(rounding, 0.57);  // 100 * 0.57 = 56.99999999999999 in binary64: numpy gives 56
  EXPECT_EQ(rounding[0].x, 56);
  EXPECT_EQ(downsample(SensorSize{128, 128, 2}, 0.25), (SensorSize{32, 32, 2}));
  EXPECT_EQ(downsample(SensorSize{34, 34, 2}, 0.3), (SensorSize{10, 10, 2}));  // int(10.2)
}

TEST(Denoise, KeepsEventsWithARecentNeighbourIncludingTonicsStartUpAndBorderRules) {
  // filter_time = 10; the memory covers x 0..2, y 0..1 (the largest coordinates present) and
  // starts at filter_time, so every event before t = 10 passes.
  const Events events{
      ev(3, 0, 0),    // start-up: a neighbour's memory (10) > 3: kept
      ev(100, 1, 1),  // neighbours (0,1), (2,1), (1,0) all still 10: dropped
      ev(105, 2, 1),  // (1,1) fired at 100: 110 > 105: kept
      ev(200, 2, 1),  // (1,1) 110, (2,0) 10; (3,1) and (2,2) are outside the memory: dropped
      ev(205, 0, 1),  // (1,1) 110 and (0,0) 13: dropped
      ev(210, 1, 1),  // (0,1) fired at 205: 215 > 210: kept
      ev(210, 1, 1),  // its own pixel does not count; (0,1) still 215 > 210: kept
  };
  const Events kept = denoise(events, 10);
  ASSERT_EQ(kept.size(), 4u);
  EXPECT_EQ(kept[0], events[0]);
  EXPECT_EQ(kept[1], events[2]);
  EXPECT_EQ(kept[2], events[5]);
  EXPECT_EQ(kept[3], events[6]);
}

TEST(FrameSample, RefusesDecreasingTimeUnlessAskedToSort) {
  Events events{ev(0), ev(20, 1), ev(10, 2), ev(30)};
  ConvertOptions o;
  o.to_frame = ToFrame::n_time_bins(3);
  o.time_bins = 3;
  std::vector<std::uint16_t> out(3 * tiny.frame_size());
  try {
    (void)frame_sample(events, tiny, o, "rec.aedat#4", out);
    FAIL() << "no error";
  } catch (const io::ParameterError& e) {  // in the library's terms; the CLI renders {sort} as --sort
    EXPECT_STREQ(e.what(), "rec.aedat#4: timestamp decreases at event 2 (20 -> 10 us); use sort to sort events by time");
    EXPECT_EQ(e.parameters(), std::vector<std::string>{"sort"});
  }
  o.sort = true;
  EXPECT_EQ(frame_sample(events, tiny, o, "x", out), 3u);
  EXPECT_EQ(out[0], 1);                      // t = 0
  EXPECT_EQ(out[tiny.frame_size() + 2], 1);  // t = 10 -> bin 1, x = 2
  EXPECT_EQ(out[2 * tiny.frame_size() + 1], 1);  // t = 20 -> bin 2, x = 1
}

TEST(FrameSample, DownsamplesBeforeFramingAsTheReferenceDvsGesturePipeline) {
  // 128x128 -> 32x32; x = 127 -> 31, y = 5 -> 1; T = 15 over t in [0, 150]: w = 10.
  Events events{ev(0, 127, 5, 1), ev(150, 0, 0, 0)};
  ConvertOptions o;
  o.downsample = 0.25;
  const SensorSize sensor{128, 128, 2};
  std::vector<std::uint16_t> out(15 * 2 * 32 * 32);
  (void)frame_sample(events, sensor, o, "x", out);
  EXPECT_EQ(out[1 * 32 * 32 + 1 * 32 + 31], 1);
  EXPECT_EQ(std::accumulate(out.begin(), out.end(), 0), 1);
  EXPECT_EQ(describe_transform(o), "ToFrame(n_time_bins=15)|Downsample(0.25)");
  EXPECT_EQ(default_downsample("dvsgesture"), 0.25);
  EXPECT_EQ(default_downsample("nmnist"), 1.0);
}

}  // namespace
}  // namespace snngx::datasets
