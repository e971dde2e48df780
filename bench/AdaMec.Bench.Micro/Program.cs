using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(AdaMec.Bench.Micro.PlannerMicroBenchmarks).Assembly).Run(args);
