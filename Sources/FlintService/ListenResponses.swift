import FlintCore
import FlintProto
import FlintStore

typealias ListenResponse = Google_Firestore_V1_ListenResponse
typealias TargetChangeType = Google_Firestore_V1_TargetChange.TargetChangeType

/// The messages of a Listen stream, shaped as production sends them.
extension Google_Firestore_V1_ListenResponse {
    /// A target change; a read time also carries the resume token for that time.
    static func target(
        _ type: TargetChangeType, _ ids: [Int32], readTime: Int64? = nil, cause: FirestoreError? = nil
    ) -> Self {
        .with {
            $0.targetChange.targetChangeType = type
            $0.targetChange.targetIds = ids
            if let readTime {
                $0.targetChange.readTime = ProtoTimestamp(micros: readTime)
                $0.targetChange.resumeToken = ResumeToken.encode(readTime)
            }
            if let cause {
                $0.targetChange.cause.code = Int32(cause.code.rpcCode)
                $0.targetChange.cause.message = cause.message
            }
        }
    }

    /// Everything before this is consistent as of `readTime` (clients raise snapshots on it).
    static func consistent(at readTime: Int64) -> Self { .target(.noChange, [], readTime: readTime) }

    static func change(_ doc: DocumentSnapshot, in database: DatabaseID, mask: [FieldPath]?, targets: [Int32],
                       removed: [Int32] = []) -> Self {
        .with {
            $0.documentChange.document = doc.proto(in: database, mask: mask)
            $0.documentChange.targetIds = targets
            $0.documentChange.removedTargetIds = removed
        }
    }

    /// The document no longer exists.
    static func delete(_ name: String, removed: [Int32], readTime: Int64) -> Self {
        .with {
            $0.documentDelete.document = name
            $0.documentDelete.removedTargetIds = removed
            $0.documentDelete.readTime = ProtoTimestamp(micros: readTime)
        }
    }

    /// The document still exists but left the targets.
    static func remove(_ name: String, removed: [Int32], readTime: Int64) -> Self {
        .with {
            $0.documentRemove.document = name
            $0.documentRemove.removedTargetIds = removed
            $0.documentRemove.readTime = ProtoTimestamp(micros: readTime)
        }
    }

    /// How many documents a target holds, so a resumed client can check its cache.
    static func existenceFilter(_ id: Int32, count: Int) -> Self {
        .with {
            $0.filter.targetID = id
            $0.filter.count = Int32(clamping: count)
        }
    }
}
