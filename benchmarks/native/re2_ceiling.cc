// What a compiled scanner core could reach: the same one pass (an RE2 Set of the scanner's entries) and
// per-pattern span searches over the same 20,000 notes, in C++ with no Python in the loop and no validators,
// context words or overlap resolution. An upper bound for sizing a compiled core, not a product.
//
//   apt-get install libre2-dev g++
//   python -m benchmarks.native.export /tmp/ceiling
//   g++ -O2 -std=c++17 benchmarks/native/re2_ceiling.cc -o /tmp/ceiling/run -lre2 && (cd /tmp/ceiling && ./run)
#include <re2/re2.h>
#include <re2/set.h>
#include <memory>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>
#include <ctime>
#include <cstdint>
static std::vector<std::string> read_list(std::ifstream& in) {
  uint32_t n; in.read((char*)&n, 4); std::vector<std::string> out(n);
  for (auto& s : out) { uint32_t len; in.read((char*)&len, 4); s.resize(len); in.read(&s[0], len); }
  return out;
}
int main() {
  std::ifstream pf("pats.bin", std::ios::binary);
  auto one_pass = read_list(pf); auto spans = read_list(pf);
  std::ifstream nf("notes.bin", std::ios::binary);
  std::vector<std::string> notes; size_t bytes = 0;
  while (true) { uint32_t len; if (!nf.read((char*)&len, 4)) break; std::string s(len, 0); nf.read(&s[0], len); bytes += len; notes.push_back(std::move(s)); }
  RE2::Options opt; opt.set_max_mem(256 << 20); opt.set_log_errors(false);
  RE2::Set set(opt, RE2::UNANCHORED);
  for (auto& p : one_pass) { std::string err; if (set.Add(p, &err) < 0) { fprintf(stderr, "add failed: %s\n", err.c_str()); return 1; } }
  if (!set.Compile()) { fprintf(stderr, "compile failed\n"); return 1; }
  std::vector<std::unique_ptr<RE2>> res;
  RE2::Options o2 = opt; o2.set_never_capture(true);
  for (auto& p : spans) res.emplace_back(new RE2(p, o2));
  size_t matched_notes = 0, spans_found = 0;
  double best = 1e9;
  for (int round = 0; round < 7; ++round) {
    matched_notes = spans_found = 0;
    clock_t t0 = clock();
    std::vector<int> hits;
    for (auto& note : notes) {
      hits.clear();
      if (!set.Match(note, &hits)) continue;
      ++matched_notes;
      for (int i : hits) {
        if (!res[i]->ok()) continue;
        re2::StringPiece text(note), m;
        size_t pos = 0;
        while (pos <= note.size() && res[i]->Match(text, pos, note.size(), RE2::UNANCHORED, &m, 1)) {
          ++spans_found;
          size_t end = m.data() - note.data() + m.size();
          pos = end > pos ? end : pos + 1;
        }
      }
    }
    double s = double(clock() - t0) / CLOCKS_PER_SEC;
    if (s < best) best = s;
  }
  printf("%zu notes, %.2f MB: %.0f notes/s, %.1f MB/s (set + span searches, no validators); %zu matched, %zu spans\n",
         notes.size(), bytes / 1e6, notes.size() / best, bytes / best / 1e6, matched_notes, spans_found);
}
