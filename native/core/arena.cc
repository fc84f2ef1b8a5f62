#include "core/arena.h"

#include <algorithm>
#include <cstring>
#include <exception>

#include "core/allocator.h"

namespace convnets {

namespace {
constexpr size_t kAlign = 64;
size_t aligned(size_t bytes) { return (std::max<size_t>(bytes, 1) + kAlign - 1) / kAlign * kAlign; }
}  // namespace

// What the arena knows: the recorded sequence, the plan made from it, and the blocks live in this run.
// Shared with the storages it hands out, so memory stays valid even if one outlives the plan.
class ArenaState {
 public:
  struct Alloc {
    size_t bytes = 0;
    int64_t born = 0, died = -1;  // event positions; died < 0: alive at the end of the recorded run
    int64_t offset = -1;          // planned offset; < 0: not planned (served by the cache)
  };

  std::mutex mu;
  bool recorded = false;
  std::vector<Alloc> allocs;
  CpuBuffer block;
  int64_t planned = 0;
  int64_t fallbacks = 0;
  bool disabled = false;  // a planned block outlived its run: never replay again (its memory may be in use)
  // The run in progress.
  int64_t run = 0;
  int64_t events = 0;
  int next = 0;  // index of the next allocation
  std::vector<int> live;  // planned allocations handed out and not yet released
  bool fellBack = false;
  uint64_t recordSince = 0;  // the allocator's clock when the recording run began

  void beginRun() {
    if (!recorded) recordSince = cpuAllocationTicks();
    run += 1;
    events = 0;
    next = 0;
    live.clear();
    fellBack = false;
  }

  void* allocate(size_t bytes, int& index) {
    std::lock_guard<std::mutex> lock(mu);
    index = next++;
    const int64_t at = events++;
    if (!recorded) {
      allocs.push_back({bytes, at, -1, -1});
      return nullptr;  // the recording run allocates from the cache; positions are what it learns
    }
    if (disabled) return fallback(index);
    if (index >= int(allocs.size()) || allocs[size_t(index)].bytes != bytes) return fallback(index);
    const Alloc& a = allocs[size_t(index)];
    if (a.offset < 0) return nullptr;  // not planned (the output): the cache, as in the recorded run
    const size_t end = size_t(a.offset) + aligned(a.bytes);
    for (int j : live) {
      const Alloc& b = allocs[size_t(j)];
      if (size_t(b.offset) < end && size_t(a.offset) < size_t(b.offset) + aligned(b.bytes)) return fallback(index);
    }
    live.push_back(index);
    char* p = block.as<char>() + a.offset;
    if (poisonAllocations()) std::memset(p, 0xFF, a.bytes);  // as the cache does: unwritten elements show as NaN
    return p;
  }

  void release(int index, int64_t ofRun) {
    std::lock_guard<std::mutex> lock(mu);
    if (ofRun != run) return;  // a storage of an earlier run (the output of one): not in this run's books
    const int64_t at = events++;
    if (!recorded) {
      if (index < int(allocs.size())) allocs[size_t(index)].died = at;
      return;
    }
    auto it = std::find(live.begin(), live.end(), index);
    if (it != live.end()) live.erase(it);
  }

  // True when this run was recorded and planned: the process reached its steady state (see
  // cpuCacheSettled); `since` is then when the run began.
  bool endRun(bool failed, uint64_t& since) {
    std::lock_guard<std::mutex> lock(mu);
    if (fellBack) fallbacks += 1;
    if (!live.empty()) disabled = true;
    run += 1;  // storages released from now on belong to no run
    if (recorded) return false;
    if (failed) {  // a partial sequence: record again on the next run
      allocs.clear();
      return false;
    }
    recorded = true;
    plan();
    since = recordSince;
    return true;
  }

 private:
  void* fallback(int index) {
    fellBack = true;
    (void)index;
    return nullptr;
  }

  // Greedy by size: largest first, each at the lowest offset clear of every placed allocation alive at
  // the same time. Released-within-the-run allocations only.
  void plan() {
    std::vector<int> order;
    for (int i = 0; i < int(allocs.size()); ++i)
      if (allocs[size_t(i)].died >= 0) order.push_back(i);
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return allocs[size_t(a)].bytes > allocs[size_t(b)].bytes; });
    std::vector<int> placed;
    size_t total = 0;
    for (int i : order) {
      Alloc& a = allocs[size_t(i)];
      // Placed neighbours in time, by offset: try the gaps between them from the bottom.
      std::vector<std::pair<size_t, size_t>> busy;
      for (int j : placed) {
        const Alloc& b = allocs[size_t(j)];
        if (b.born < a.died && a.born < b.died) busy.push_back({size_t(b.offset), size_t(b.offset) + aligned(b.bytes)});
      }
      std::sort(busy.begin(), busy.end());
      size_t offset = 0;
      for (const auto& [lo, hi] : busy) {
        if (offset + aligned(a.bytes) <= lo) break;
        offset = std::max(offset, hi);
      }
      a.offset = int64_t(offset);
      total = std::max(total, offset + aligned(a.bytes));
      placed.push_back(i);
    }
    planned = int64_t(placed.size());
    if (total) block = CpuBuffer(total);
  }
};

ActivationArena::ActivationArena() : state_(std::make_shared<ArenaState>()) {}
ActivationArena::~ActivationArena() = default;

int64_t ActivationArena::bytes() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return int64_t(state_->block.bytes());
}
int64_t ActivationArena::plannedAllocations() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->planned;
}
int64_t ActivationArena::fallbacks() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->fallbacks;
}

namespace {
thread_local ArenaState* tArena = nullptr;
thread_local std::shared_ptr<ArenaState>* tArenaOwner = nullptr;
}  // namespace

ArenaScope::ArenaScope(ActivationArena& arena) : arena_(arena) {
  if (tArena || !arena.runMu_.try_lock()) return;  // nested, or another run holds it: the cache
  active_ = true;
  uncaught_ = std::uncaught_exceptions();
  {
    std::lock_guard<std::mutex> lock(arena.state_->mu);
    arena.state_->beginRun();
  }
  tArena = arena.state_.get();
  tArenaOwner = &arena.state_;
}

ArenaScope::~ArenaScope() {
  if (!active_) return;
  tArena = nullptr;
  tArenaOwner = nullptr;
  uint64_t since = 0;
  const bool planned = arena_.state_->endRun(std::uncaught_exceptions() > uncaught_, since);
  arena_.runMu_.unlock();
  // Outside the arena's locks: what loading and compiling left in the allocator's cache goes back now.
  if (planned) cpuCacheSettled(since);
}

void* arenaAllocate(size_t bytes, ArenaLease& lease) {
  if (!tArena) return nullptr;
  int index = -1;
  void* p = tArena->allocate(bytes, index);
  lease.state = *tArenaOwner;
  lease.index = index;
  lease.run = tArena->run;
  return p;
}

void arenaRelease(const ArenaLease& lease) {
  if (lease.state) lease.state->release(lease.index, lease.run);
}

}  // namespace convnets
