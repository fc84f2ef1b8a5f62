// The CPU convolution registry and its chooser (cuDNN / oneDNN model): the ordered list of the entries
// native/cpu implements (core/conv_algo.h), 'auto' (rules backed by bench/RESULTS-chooser.md), 'find'
// (every supported entry timed, the winner cached) and lookup by name. ConvPlan: dispatch/conv_plan.h.
#pragma once
#include <string>
#include <vector>

#include "core/conv_algo.h"
#include "core/conv_desc.h"

namespace convnets {

const std::vector<ConvAlgo>& convAlgorithms();
// The entry named `name`; throws listing the known names.
const ConvAlgo& convAlgorithm(const std::string& name);
// The heuristic choice ('auto'): always a supported algorithm.
const ConvAlgo& chooseConvAuto(const ConvDesc& d);

// Times every supported algorithm on `d` (random data), fastest first; the winner is cached per
// (desc, threads, ISA). findConvCached returns the cached winner, timing on a miss.
std::vector<ConvTiming> findConv(const ConvDesc& d);
const ConvAlgo& findConvCached(const ConvDesc& d);
void clearConvFindCache();
// 'auto' for a one-shot call (F.conv2d): chooseConvAuto's choice when prepared weights are cached (`cached`
// asks for the cache, dispatch/prepared_cache.h, and it is on); otherwise the preparation is paid on every
// call and counts in the choice.
const ConvAlgo& chooseEagerConv(const ConvDesc& d, bool cached);
// 'auto', 'find' or an algorithm name → the algorithm; a named one that cannot run `d` throws the reason.
const ConvAlgo& resolveConvAlgo(const ConvDesc& d, const std::string& algo);

}  // namespace convnets
