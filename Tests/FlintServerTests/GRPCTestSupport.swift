import FlintCore
import FlintGRPC
import FlintProto
import GRPCCore
import GRPCNIOTransportHTTP2Posix

typealias FirestoreClient = Google_Firestore_V1_Firestore.Client<HTTP2ClientTransport.Posix>

extension TestServer {
    /// A gRPC client of this server for the length of `body`.
    func withFirestore<T: Sendable>(_ body: @Sendable (FirestoreClient) async throws -> T) async throws -> T {
        try await withGRPCClient(
            transport: .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
        ) { client in try await body(FirestoreClient(wrapping: client)) }
    }
}

func putWrite(_ project: String, _ path: String, _ fields: [String: Int64]) -> Google_Firestore_V1_Write {
    .with {
        $0.update.name = name(project, path)
        for (k, v) in fields { $0.update.fields[k] = .with { $0.integerValue = v } }
    }
}

func deleteWrite(_ project: String, _ path: String) -> Google_Firestore_V1_Write {
    .with { $0.delete = name(project, path) }
}

/// Commits writes and returns the commit time in microseconds.
@discardableResult
func commit(_ firestore: FirestoreClient, _ project: String, _ writes: Google_Firestore_V1_Write...) async throws -> Int64 {
    let response = try await firestore.commit(.with {
        $0.database = "projects/\(project)/databases/(default)"
        $0.writes = writes
    })
    return response.commitTime.micros
}

func query(_ collection: String, allDescendants: Bool = false) -> Google_Firestore_V1_StructuredQuery {
    .with { $0.from = [.with { $0.collectionID = collection; $0.allDescendants = allDescendants }] }
}

extension Google_Firestore_V1_StructuredQuery {
    func whereField(_ field: String, _ op: Google_Firestore_V1_StructuredQuery.FieldFilter.Operator, _ value: Int64) -> Self {
        var q = self
        q.where.fieldFilter = .with {
            $0.field.fieldPath = field
            $0.op = op
            $0.value.integerValue = value
        }
        return q
    }

    func ordered(by field: String, limit: Int32? = nil) -> Self {
        var q = self
        q.orderBy.append(.with { $0.field.fieldPath = field; $0.direction = .ascending })
        if let limit { q.limit = .with { $0.value = limit } }
        return q
    }
}
