// What `rlft --version` and every `rlft-bench` line report about the BLAS in use.

/// The BLAS library in use, the kernel family it runs, its thread count and how the family was chosen.
public struct BLASStatus: Sendable, Equatable {
    /// How the kernel family was chosen, settled before the first GEMM.
    public struct Selection: Sendable, Equatable {
        /// The family OpenBLAS picked at load time from its own CPU tables.
        public var chosenByOpenBLAS: String
        /// The family this library switched to from CPUID features, or nil when OpenBLAS's choice stood.
        public var forced: String?
        /// The user's `OPENBLAS_CORETYPE`, which always wins, or nil.
        public var userCoreType: String?
        /// The warning printed when an SSE-era kernel remains on a CPU with AVX2, or nil.
        public var warning: String?
    }

    /// OpenBLAS's build description (`openblas_get_config()`), e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH … Cooperlake".
    public var library: String
    /// The kernel family in use (`openblas_get_corename()`), e.g. "Cooperlake".
    public var core: String
    /// OpenBLAS's own thread count: 1, because the library splits GEMMs across `Compute.threadCount` itself.
    public var threads: Int
    public var selection: Selection

    /// One line saying how the kernel was chosen.
    public var howChosen: String {
        if let forced = selection.forced {
            return "\(forced), chosen from CPUID (OpenBLAS's own choice was \(selection.chosenByOpenBLAS))"
        }
        if let user = selection.userCoreType { return "\(core), from OPENBLAS_CORETYPE=\(user)" }
        return "\(core), chosen by OpenBLAS"
    }
}
