// rlft-bench: the project's benchmark executable. Run in release mode:
//   swift run -c release rlft-bench [--threads N] [--only NAME]
// Each measurement prints one JSON object per line; see Benchmarks/README.md for the figures.
import Foundation
import TensorCore

enum Benchmarks {
    static let all: [Benchmark] = [
        Benchmark(name: "sgemm", run: CoreBenchmarks.sgemm),
        Benchmark(name: "mlp", run: CoreBenchmarks.mlp),
        Benchmark(name: "rowkernels", run: CoreBenchmarks.rowKernels),
        Benchmark(name: "train", run: ModelBenchmarks.train),
        Benchmark(name: "forward", run: ModelBenchmarks.forward),
        Benchmark(name: "generate", run: ModelBenchmarks.generate),
        Benchmark(name: "ppo", run: PPOBenchmark.run),
        Benchmark(name: "distributed", run: DistributedBenchmark.run),
        Benchmark(name: "gpt2-train-full", run: GPT2Benchmarks.trainFull),
        Benchmark(name: "gpt2-train-lora", run: GPT2Benchmarks.trainLoRA),
        Benchmark(name: "gpt2-generate", run: GPT2Benchmarks.generate),
        Benchmark(name: "gpt2-ppo-lora", run: GPT2Benchmarks.ppoLoRA),
        Benchmark(name: "gpt2-ppo-lora-copied-reference", run: GPT2Benchmarks.ppoLoRACopiedReference),
    ]
}

do {
    let options = try BenchOptions.parse(Array(CommandLine.arguments.dropFirst()))
    Compute.threadCount = options.threads
    if let core = options.blasCore, !BLAS.switchCore(to: core) {
        throw BenchError.usage("this OpenBLAS (\(BLAS.status.library)) cannot switch to the \(core) kernels at run time")
    }
    // The GPT-2 (124M) benchmarks take minutes and want a process each: run them only by name.
    // The distributed benchmark starts mpirun and measures gpt2-mini: it runs only by name too.
    for benchmark in Benchmarks.all where options.only == benchmark.name
            || (options.only == nil && !benchmark.name.hasPrefix("gpt2-") && benchmark.name != "distributed") {
        try benchmark.run(options)
    }
} catch BenchError.help {
    print(BenchOptions.help)
} catch BenchError.usage(let message) {
    FileHandle.standardError.write(Data("rlft-bench: \(message)\n\n\(BenchOptions.help)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("rlft-bench: \(error)\n".utf8))
    exit(1)
}
