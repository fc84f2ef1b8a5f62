// Runs before every test file: the native allocator fills each CPU block it hands out with NaNs
// (native/core/allocator.cc), so an output element a kernel never writes fails its comparison.
process.env.CONVNETS_POISON = '1';
