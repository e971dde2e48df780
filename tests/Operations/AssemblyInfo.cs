// Clusters and TorchSharp each want both cores: one test class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
