// Timing, JSON-line output and memory readings shared by all benchmarks.
import Foundation
import TensorCore

/// Parsed command-line options of `rlft-bench`.
struct BenchOptions {
    var threads = 2
    var only: String? = nil
    var repeats = 10
    /// One model configuration of Benchmarks/README.md (`tiny`, `small`, `gpt2-mini`), or nil for all.
    var config: String? = nil
    /// An OpenBLAS kernel family to run instead of the library's choice, to compare kernels in one sitting.
    var blasCore: String? = nil

    static let help = """
    rlft-bench: release-mode benchmarks, one JSON object per line.

    Usage: swift run -c release rlft-bench [--threads N] [--only NAME] [--repeats N] [--config NAME]
      --threads N   threads for the library's kernels and for raw OpenBLAS (default 2)
      --only NAME   run one benchmark: \(Benchmarks.all.map(\.name).joined(separator: ", "))
      --repeats N   timed repetitions per measurement after warm-up (default 10; the median is reported)
      --config NAME model benchmarks (train, forward, generate) at one configuration: \(ModelBenchmarks.configurations.map(\.name).joined(separator: ", "))
      --blas-core NAME  run OpenBLAS's NAME kernels (e.g. Prescott, Haswell, SkylakeX) instead of the library's
                    choice, to compare kernels; NAME must be one this CPU executes
    """

    static func parse(_ arguments: [String]) throws -> BenchOptions {
        var options = BenchOptions()
        var i = 0
        func value(_ name: String) throws -> String {
            if let eq = arguments[i].firstIndex(of: "=") { return String(arguments[i][arguments[i].index(after: eq)...]) }
            i += 1
            guard i < arguments.count else { throw BenchError.usage("\(name) needs a value") }
            return arguments[i]
        }
        while i < arguments.count {
            let arg = arguments[i]
            let key = arg.split(separator: "=", maxSplits: 1).first.map(String.init) ?? arg
            switch key {
            case "--threads":
                guard let n = Int(try value(key)), n >= 1 else { throw BenchError.usage("--threads must be a positive integer") }
                options.threads = n
            case "--only":
                let name = try value(key)
                guard Benchmarks.all.contains(where: { $0.name == name }) else {
                    throw BenchError.usage("unknown benchmark '\(name)'; choose one of \(Benchmarks.all.map(\.name).joined(separator: ", "))")
                }
                options.only = name
            case "--repeats":
                guard let n = Int(try value(key)), n >= 1 else { throw BenchError.usage("--repeats must be a positive integer") }
                options.repeats = n
            case "--config":
                let name = try value(key)
                guard ModelBenchmarks.configurations.contains(where: { $0.name == name }) else {
                    throw BenchError.usage("unknown configuration '\(name)'; choose one of \(ModelBenchmarks.configurations.map(\.name).joined(separator: ", "))")
                }
                options.config = name
            case "--blas-core":
                let name = try value(key)
                let cpuTier = OpenBLASCore.best(for: CPUFeatures.current).flatMap(OpenBLASCore.tier) ?? 0
                guard let tier = OpenBLASCore.tier(name), tier <= cpuTier else {
                    throw BenchError.usage("--blas-core \(name) is not an OpenBLAS kernel family this CPU executes "
                        + "(\(CPUFeatures.current.summary)); try Prescott, Sandybridge, Haswell, Zen, SkylakeX or Cooperlake")
                }
                options.blasCore = name
            case "--help", "-h":
                throw BenchError.help
            default:
                throw BenchError.usage("unknown option '\(arg)'")
            }
            i += 1
        }
        return options
    }
}

enum BenchError: Error {
    case usage(String)
    case help
}

/// A named benchmark.
struct Benchmark {
    let name: String
    let run: (BenchOptions) throws -> Void
}

/// Seconds since an arbitrary origin, monotonic.
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// Runs `body` `warmup` times, then `repeats` times, and returns the median duration in seconds.
func medianSeconds(warmup: Int = 2, repeats: Int, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<warmup { try body() }
    var times: [Double] = []
    for _ in 0..<repeats {
        let start = now()
        try body()
        times.append(now() - start)
    }
    times.sort()
    return times[times.count / 2]
}

/// The peak resident set size of this process so far (VmHWM), in bytes.
func peakResidentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kb * 1024
    }
    return 0
}

/// Prints one JSON object on one line, keys sorted. Every line names the BLAS kernel family and OpenBLAS's own
/// thread count, because a figure means little without them (an SSE-era kernel is several times slower).
func emit(_ fields: [String: Any]) {
    var rounded = fields
    for (k, v) in fields {
        if let d = v as? Double { rounded[k] = (d * 1000).rounded() / 1000 }
    }
    let blas = BLAS.status
    rounded["blas_core"] = blas.core
    rounded["blas_threads"] = blas.threads
    let data = try! JSONSerialization.data(withJSONObject: rounded, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
    fflush(stdout)
}
