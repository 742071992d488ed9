import FlintCore

extension FirestoreError {
    /// A damaged, partial or missing export, naming the file (and record) at fault.
    static func badExport(_ file: String, _ reason: String) -> FirestoreError {
        FirestoreError(.invalidArgument, "Cannot import \(file): \(reason). Nothing was imported.")
    }
}
