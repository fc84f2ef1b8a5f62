// A compiled plan's activation arena: one block, sized once, holding the intermediate tensors of a run at
// offsets planned from their lifetimes, so a run makes no allocator calls for its activations (the size-keyed
// cache's lookups), and its footprint is the planned peak rather than whatever the cache holds.
//
// How (TFLite's arena planner, greedy by size): the first run under an ArenaScope records, on the running
// thread, every CPU tensor allocation (bytes) and when its storage was released, as positions in one
// sequence of events. Allocations still alive when the run ends (the output) are not planned: later runs
// take them from the cache as usual. Planning places the others largest first, each at the lowest offset
// that overlaps no placed allocation whose lifetime intersects its own. Later runs replay: the i-th
// allocation gets its planned block when the size agrees and no block live in the arena overlaps it;
// anything else (another sequence of allocations, a tensor kept longer than planned) falls back to the
// cache, so a surprise costs speed, never correctness. One run uses the arena at a time; a concurrent run
// of the same plan runs on the cache.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace convnets {

class ArenaState;

// Owned by a plan. Thread-safe.
class ActivationArena {
 public:
  ActivationArena();
  ~ActivationArena();
  ActivationArena(const ActivationArena&) = delete;
  ActivationArena& operator=(const ActivationArena&) = delete;
  // Bytes of the planned block (0 until the first run has been recorded).
  int64_t bytes() const;
  // Allocations the plan serves from the arena, and how many runs fell back to the cache for at least one.
  int64_t plannedAllocations() const;
  int64_t fallbacks() const;

 private:
  friend class ArenaScope;
  std::shared_ptr<ArenaState> state_;
  std::mutex runMu_;  // one run at a time records or replays
};

// While alive on this thread, CPU tensor allocations (Storage::allocate) go through the arena: recorded on
// the first run that completes (a run that throws teaches nothing: the next one records afresh), replayed
// afterwards. When another run holds the arena, this scope does nothing.
class ArenaScope {
 public:
  explicit ArenaScope(ActivationArena& arena);
  ~ArenaScope();
  ArenaScope(const ArenaScope&) = delete;
  ArenaScope& operator=(const ArenaScope&) = delete;

 private:
  ActivationArena& arena_;
  bool active_ = false;
  int uncaught_ = 0;  // exceptions in flight when the scope began: more at its end means the run failed
};

// For Storage (core/allocator.cc), while an ArenaScope is active on this thread: a block of the arena, or
// null (take it from the cache). Either way `lease` is set, and the storage reports its death with
// arenaRelease (the recording run learns lifetimes from the cache-served storages too). Without a scope:
// null and an empty lease.
struct ArenaLease {
  std::shared_ptr<ArenaState> state;
  int index = -1;  // the allocation's position in the run's sequence
  int64_t run = 0;  // which run of the arena made it
};
void* arenaAllocate(size_t bytes, ArenaLease& lease);
void arenaRelease(const ArenaLease& lease);

}  // namespace convnets
