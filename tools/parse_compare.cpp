// SPDX-License-Identifier: MIT
// Parser comparison behind docs/replay.md "Parsing": thread CPU time of one full parse of a trace by
// MooncakeTraceReader (hand-written fast path, DOM fallback) vs simdjson 3.0.1 iterate_many (On Demand)
// and parse_many (DOM), each filling the same request fields. Not part of the build; after building kvlab:
//   g++ -O2 -std=c++20 -I. tools/parse_compare.cpp build/core/libkvlab_engine.a -lsimdjson \
//       -labsl_hash -labsl_raw_hash_set -o /tmp/parse_compare
//   /tmp/parse_compare ../shared/data/conversation_trace.jsonl 11     (11 passes; median and best)
#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <vector>

#include "core/trace/mooncake_trace_reader.h"
using namespace simdjson;
static double cpu() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}
struct Req {
  int64_t ts;
  uint32_t in, out;
  std::vector<uint64_t> ids;
};
int main(int argc, char** argv) {
  const char* path = argv[1];
  int passes = argc > 2 ? atoi(argv[2]) : 9;
  uint64_t total = 0;
  std::vector<double> a, b, c;
  for (int pass = 0; pass < passes; ++pass) {
    {
      double t0 = cpu();
      kvlab::MooncakeTraceReader rd(path);
      kvlab::TraceRequest r;
      total = 0;
      while (rd.next(r)) total += r.hashIds.size();
      a.push_back(cpu() - t0);
    }
    {
      double t0 = cpu();
      padded_string json = padded_string::load(path);
      ondemand::parser parser;
      ondemand::document_stream docs;
      if (parser.iterate_many(json, 1 << 20).get(docs)) return 1;
      Req r;
      total = 0;
      for (auto doc : docs) {
        ondemand::object obj;
        if (doc.get_object().get(obj)) return 2;
        r.ids.clear();
        for (auto field : obj) {
          std::string_view key;
          if (field.unescaped_key().get(key)) return 3;
          if (key == "timestamp") {
            uint64_t v;
            if (field.value().get_uint64().get(v)) return 4;
            r.ts = v;
          } else if (key == "input_length") {
            uint64_t v;
            if (field.value().get_uint64().get(v)) return 4;
            r.in = v;
          } else if (key == "output_length") {
            uint64_t v;
            if (field.value().get_uint64().get(v)) return 4;
            r.out = v;
          } else if (key == "hash_ids") {
            ondemand::array arr;
            if (field.value().get_array().get(arr)) return 5;
            for (auto e : arr) {
              uint64_t v;
              if (e.get_uint64().get(v)) return 6;
              r.ids.push_back(v);
            }
          }
        }
        total += r.ids.size();
      }
      b.push_back(cpu() - t0);
    }
    {
      double t0 = cpu();
      padded_string json = padded_string::load(path);
      dom::parser parser;
      dom::document_stream docs;
      if (parser.parse_many(json, 1 << 20).get(docs)) return 1;
      Req r;
      total = 0;
      for (auto doc : docs) {
        dom::object obj;
        if (doc.get_object().get(obj)) return 2;
        r.ids.clear();
        for (auto f : obj) {
          uint64_t v;
          if (f.key == "hash_ids") {
            for (auto e : dom::array(f.value)) {
              if (e.get_uint64().get(v)) return 7;
              r.ids.push_back(v);
            }
          } else if (f.key == "timestamp") {
            if (f.value.get_uint64().get(v)) return 7;
            r.ts = v;
          } else if (f.key == "input_length") {
            if (f.value.get_uint64().get(v)) return 7;
            r.in = v;
          } else if (f.key == "output_length") {
            if (f.value.get_uint64().get(v)) return 7;
            r.out = v;
          }
        }
        total += r.ids.size();
      }
      c.push_back(cpu() - t0);
    }
  }
  auto med = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  auto mn = [](std::vector<double> v) { return *std::min_element(v.begin(), v.end()); };
  printf(
      "%llu blocks; thread CPU ms median/best: current %.1f/%.1f  iterate_many %.1f/%.1f  parse_many "
      "%.1f/%.1f\n",
      (unsigned long long)total, med(a) * 1e3, mn(a) * 1e3, med(b) * 1e3, mn(b) * 1e3, med(c) * 1e3,
      mn(c) * 1e3);
}
