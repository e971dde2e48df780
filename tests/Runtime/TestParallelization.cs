// TorchSharp (libtorch's OpenMP pool) and ML.NET's LightGBM (its own OpenMP runtime) crash the test
// host when they run at the same time in one process (seen: the host died while a chained zoo
// model and a predictor round-trip ran in parallel). The suite runs its tests one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
