// The communicator of one process, shards, launcher detection and the weighted gradient all-reduce.
import Distributed
import NeuralNetworks
import TensorCore
import XCTest

final class CommunicatorTests: XCTestCase {
    func testOneProcessIsRankZeroOfOneAndCollectivesReturnTheirInput() throws {
        let communicator = SingleProcessCommunicator()
        XCTAssertEqual(communicator.rank, 0)
        XCTAssertEqual(communicator.size, 1)
        XCTAssertTrue(communicator.isRoot)
        XCTAssertEqual(try communicator.allReduceSum([1.5, -2.0] as [Double]), [1.5, -2.0])
        XCTAssertEqual(try communicator.allReduceSum([3, 4] as [Int]), [3, 4])
        var values: [Float] = [1, 2, 3]
        try communicator.broadcast(&values)
        XCTAssertEqual(values, [1, 2, 3])
        XCTAssertEqual(try communicator.broadcast(Data([7, 8])), Data([7, 8]))
        XCTAssertFalse(try communicator.any(false))
        XCTAssertTrue(try communicator.any(true))
        try communicator.barrier()
        XCTAssertEqual(communicator.shard(of: 5), 0..<5)
    }

    func testShardsAreContiguousCoverEveryItemOnceAndDifferByAtMostOne() {
        for size in 1...5 {
            for count in 0...11 {
                let shards = (0..<size).map { Communicators.shard(of: count, rank: $0, size: size) }
                XCTAssertEqual(shards.flatMap { Array($0) }, Array(0..<count), "size \(size), count \(count)")
                let sizes = shards.map(\.count)
                XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1)
            }
        }
    }

    func testTheLauncherEnvironmentIsDetected() throws {
        XCTAssertNil(Communicators.launchedSize(environment: [:]))
        XCTAssertEqual(Communicators.launchedSize(environment: ["OMPI_COMM_WORLD_SIZE": "4"]), 4)
        XCTAssertEqual(Communicators.launchedSize(environment: ["PMI_SIZE": "3"]), 3)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        XCTAssertEqual(Communicators.threadsPerRank(environment: [:]), cores)
        XCTAssertEqual(Communicators.threadsPerRank(environment: ["OMPI_COMM_WORLD_LOCAL_SIZE": "\(cores * 4)"]), 1)
        // Not launched by mpirun: one process, whatever the build.
        XCTAssertEqual(try Communicators.world(environment: [:]).size, 1)
        if !Communicators.mpiAvailable {
            XCTAssertThrowsError(try Communicators.world(environment: ["OMPI_COMM_WORLD_SIZE": "2"])) { error in
                XCTAssertEqual(error as? DistributedError, .notBuiltWithMPI(processes: 2))
                XCTAssertTrue("\(error)".contains("--traits MPI"))
            }
        }
    }

    func testARowsDropoutMaskDependsOnlyOnItsOwnGeneratorNotOnItsBatchOrPadding() {
        func generators(_ rows: Range<Int>) -> RowwiseGenerator {
            RowwiseGenerator(rows: rows.map { SeededGenerator(seed: 5, step: 3, example: $0) }, shared: SeededGenerator(seed: 9))
        }
        // Rows 0–2 of a batch padded to 6 positions, and rows 1–2 alone padded to 4: the same masks where both exist.
        var whole = generators(0..<3), part = generators(1..<3)
        for _ in 0..<3 {  // successive masks (a model's dropout layers)
            let a = Tensor.dropoutMask([3, 6, 4], probability: 0.3, using: &whole).scalars
            let b = Tensor.dropoutMask([2, 4, 4], probability: 0.3, using: &part).scalars
            for row in 0..<2 {
                XCTAssertEqual(Array(a[((row + 1) * 24)..<((row + 1) * 24 + 16)]), Array(b[(row * 16)..<(row * 16 + 16)]))
            }
        }
        XCTAssertEqual(SeededGenerator(seed: 5, step: 3, example: 1), SeededGenerator(seed: 5, step: 3, example: 1))
        XCTAssertNotEqual(SeededGenerator(seed: 5, step: 3, example: 1), SeededGenerator(seed: 5, step: 4, example: 1))
    }

    func testTheGradientAllReduceOfOneProcessScalesByTheWeightAndLeavesMissingGradientsMissing() throws {
        var rng = SeededGenerator(seed: 3)
        let layer = Linear(inFeatures: 3, outFeatures: 2, using: &rng)
        layer.weight.grad = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let communicator = SingleProcessCommunicator()
        XCTAssertEqual(try communicator.allReduceGradients(layer.parameters(), weight: 0.5, bucketScalars: 4), 0)
        XCTAssertEqual(layer.weight.grad?.scalars, [0.5, 1, 1.5, 2, 2.5, 3])
        XCTAssertNil(layer.bias?.grad)
        XCTAssertThrowsError(try communicator.allReduceGradients(layer.parameters(), weight: 1, bucketScalars: 0)) { error in
            XCTAssertTrue("\(error)".contains("at least one"))
        }
    }
}
