// Ctrl-C handling shared by every training command: the first SIGINT asks the trainer to stop after the
// current step (it writes a checkpoint first); the process then exits cleanly. SIGUSR1 does the same: under
// mpirun, Ctrl-C makes mpirun end the job at once, but `kill -USR1 <mpirun's PID>` reaches every rank (mpirun
// forwards SIGUSR1), and the ranks agree to stop after the same step.
import Foundation

enum Interrupt {
    nonisolated(unsafe) private(set) static var requested = false

    /// Installs the SIGINT and SIGUSR1 handlers. Call before training starts.
    static func install() {
        signal(SIGINT) { _ in Interrupt.requested = true }
        signal(SIGUSR1) { _ in Interrupt.requested = true }
    }
}
