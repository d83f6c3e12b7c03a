using BenchmarkDotNet.Running;

// `--filter '*'` runs everything; `--job short` for a quick look; see README "adapters bench".
BenchmarkSwitcher.FromAssembly(typeof(Adapters.MicroBench.SamplingBenchmarks).Assembly).Run(args);
