// Tensor-core benchmarks: sgemm through the tensor API versus raw cblas_sgemm, an MLP's forward+backward,
// and the bandwidth of softmax and layer norm.
import Foundation
import TensorCore

enum CoreBenchmarks {
    /// Square sizes, then the GEMMs of one linear layer of the `small` configuration (Benchmarks/README.md)
    /// (B·T = 2048 rows, C = 256): qkv, attention out, MLP up, MLP down, vocabulary projection.
    static let sgemmShapes: [(m: Int, n: Int, k: Int, label: String)] = [
        (256, 256, 256, "square"), (512, 512, 512, "square"), (1024, 1024, 1024, "square"), (2048, 2048, 2048, "square"),
        (2048, 768, 256, "small.qkv"), (2048, 256, 256, "small.attn_proj"), (2048, 1024, 256, "small.mlp_up"),
        (2048, 256, 1024, "small.mlp_down"), (2048, 4096, 256, "small.lm_head"),
    ]

    static func sgemm(_ options: BenchOptions) {
        var rng = SeededGenerator(seed: 1)
        for shape in sgemmShapes {
            let a = Tensor.randomNormal([shape.m, shape.k], using: &rng)
            let b = Tensor.randomNormal([shape.k, shape.n], using: &rng)
            let flops = 2.0 * Double(shape.m * shape.n * shape.k)
            let repeats = max(3, min(options.repeats * 3, Int(4e10 / flops)))
            let tensorTime = medianSeconds(repeats: repeats) { _ = a.matmul(b) }
            var c = Tensor(zeros: [shape.m, shape.n])
            let rawTime: Double = a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        medianSeconds(repeats: repeats) {
                            BLAS.openBLASSgemm(threads: options.threads, transposeA: false, transposeB: false,
                                               m: shape.m, n: shape.n, k: shape.k, alpha: 1,
                                               a: pa.baseAddress!, lda: shape.k, b: pb.baseAddress!, ldb: shape.n,
                                               beta: 0, c: pc.baseAddress!, ldc: shape.n)
                        }
                    }
                }
            }
            let tensorGF = flops / tensorTime / 1e9, rawGF = flops / rawTime / 1e9
            emit(["bench": "sgemm", "shape": shape.label, "threads": options.threads, "m": shape.m, "n": shape.n, "k": shape.k,
                  "gflops_tensor": tensorGF, "gflops_raw": rawGF, "ratio": tensorGF / rawGF,
                  // The raw call runs OpenBLAS's own threads; every other GEMM runs on the library's.
                  "raw_blas_threads": options.threads])
        }
    }

    /// A 3-layer MLP (512 → 2048 → 2048 → 512, GELU) on a batch of 1024: forward, backward of a mean-squared
    /// loss, and no optimizer, reported as samples per second and achieved GFLOP/s.
    static func mlp(_ options: BenchOptions) throws {
        var rng = SeededGenerator(seed: 2)
        let batch = 1024, widths = [512, 2048, 2048, 512]
        var weights: [Variable] = [], biases: [Variable] = []
        for (i, o) in zip(widths, widths.dropFirst()) {
            weights.append(Variable(Tensor.randomNormal([o, i], standardDeviation: 0.02, using: &rng), requiresGrad: true))
            biases.append(Variable(Tensor(zeros: [o]), requiresGrad: true))
        }
        let x = Variable(Tensor.randomNormal([batch, widths[0]], using: &rng))
        let target = Variable(Tensor.randomNormal([batch, widths.last!], using: &rng))
        let seconds = try medianSeconds(repeats: options.repeats) {
            var h = x
            for l in 0..<weights.count {
                h = h.linear(weight: weights[l], bias: biases[l])
                if l < weights.count - 1 { h = h.gelu() }
            }
            let diff = h - target
            try (diff * diff).mean().backward()
            for p in weights + biases { p.zeroGradient() }
        }
        let macs = zip(widths, widths.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 }
        let flops = 6.0 * Double(batch * macs)  // forward 2, backward 4 flops per multiply-add
        emit(["bench": "mlp", "threads": options.threads, "batch": batch, "widths": widths.map(String.init).joined(separator: "-"),
              "ms_per_step": seconds * 1000, "samples_per_second": Double(batch) / seconds, "gflops": flops / seconds / 1e9])
    }

    /// Softmax and layer norm over a [2048, 4096] tensor, with the effective memory bandwidth (one read and
    /// one write of the tensor) and a copy of the same tensor as the bandwidth reference.
    static func rowKernels(_ options: BenchOptions) {
        var rng = SeededGenerator(seed: 3)
        let rows = 2048, columns = 4096
        let x = Tensor.randomNormal([rows, columns], using: &rng)
        let w = Tensor(shape: [columns], repeating: 1), b = Tensor(zeros: [columns])
        let bytes = 2.0 * Double(rows * columns * 4)
        // A plain copy (copy-on-write triggered by a mutable access) is the bandwidth reference.
        let copy = medianSeconds(repeats: options.repeats) { var y = x; y.withUnsafeMutableBufferPointer { _ in } }
        let softmax = medianSeconds(repeats: options.repeats) { _ = x.softmax() }
        let layerNorm = medianSeconds(repeats: options.repeats) { _ = x.layerNorm(weight: w, bias: b) }
        for (name, seconds) in [("softmax", softmax), ("layernorm", layerNorm)] {
            emit(["bench": name, "threads": options.threads, "rows": rows, "columns": columns, "ms": seconds * 1000,
                  "gb_per_second": bytes / seconds / 1e9, "copy_gb_per_second": bytes / copy / 1e9,
                  "slowdown_vs_copy": seconds / copy])
        }
    }
}
