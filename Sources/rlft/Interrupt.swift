// Ctrl-C handling shared by every training command: the first SIGINT asks the trainer to stop after the
// current step (it writes a checkpoint first); the process then exits cleanly.
import Foundation

enum Interrupt {
    nonisolated(unsafe) private(set) static var requested = false

    /// Installs the SIGINT handler. Call before training starts.
    static func install() {
        signal(SIGINT) { _ in Interrupt.requested = true }
    }
}
