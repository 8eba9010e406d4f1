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
