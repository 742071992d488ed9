/// The one error type of Flint: a canonical google.rpc code and a message naming what was wrong.
///
/// Transports map it exactly once each: REST to an HTTP status plus `{"error":{code,message,status}}`,
/// gRPC to its status. `Code` wraps a private enum so codes can be added without breaking callers.
public struct FirestoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Int, Sendable {
            case cancelled = 1, unknown = 2, invalidArgument = 3, deadlineExceeded = 4, notFound = 5
            case alreadyExists = 6, permissionDenied = 7, resourceExhausted = 8, failedPrecondition = 9
            case aborted = 10, outOfRange = 11, unimplemented = 12, `internal` = 13, unavailable = 14
            case dataLoss = 15, unauthenticated = 16
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        public static let cancelled = Code(.cancelled)
        public static let unknown = Code(.unknown)
        public static let invalidArgument = Code(.invalidArgument)
        public static let deadlineExceeded = Code(.deadlineExceeded)
        public static let notFound = Code(.notFound)
        public static let alreadyExists = Code(.alreadyExists)
        public static let permissionDenied = Code(.permissionDenied)
        public static let resourceExhausted = Code(.resourceExhausted)
        public static let failedPrecondition = Code(.failedPrecondition)
        public static let aborted = Code(.aborted)
        public static let outOfRange = Code(.outOfRange)
        public static let unimplemented = Code(.unimplemented)
        public static let `internal` = Code(.internal)
        public static let unavailable = Code(.unavailable)
        public static let dataLoss = Code(.dataLoss)
        public static let unauthenticated = Code(.unauthenticated)

        /// The google.rpc.Code number, which is also the gRPC status code.
        public var rpcCode: Int { wrapped.rawValue }

        /// The canonical name, e.g. `INVALID_ARGUMENT`.
        public var name: String {
            switch wrapped {
            case .cancelled: "CANCELLED"
            case .unknown: "UNKNOWN"
            case .invalidArgument: "INVALID_ARGUMENT"
            case .deadlineExceeded: "DEADLINE_EXCEEDED"
            case .notFound: "NOT_FOUND"
            case .alreadyExists: "ALREADY_EXISTS"
            case .permissionDenied: "PERMISSION_DENIED"
            case .resourceExhausted: "RESOURCE_EXHAUSTED"
            case .failedPrecondition: "FAILED_PRECONDITION"
            case .aborted: "ABORTED"
            case .outOfRange: "OUT_OF_RANGE"
            case .unimplemented: "UNIMPLEMENTED"
            case .internal: "INTERNAL"
            case .unavailable: "UNAVAILABLE"
            case .dataLoss: "DATA_LOSS"
            case .unauthenticated: "UNAUTHENTICATED"
            }
        }

        /// The HTTP status Google's REST surface uses for this code.
        public var httpStatus: Int {
            switch wrapped {
            case .invalidArgument, .failedPrecondition, .outOfRange: 400
            case .unauthenticated: 401
            case .permissionDenied: 403
            case .notFound: 404
            case .alreadyExists, .aborted: 409
            case .resourceExhausted: 429
            case .cancelled: 499
            case .unimplemented: 501
            case .unavailable: 503
            case .deadlineExceeded: 504
            case .unknown, .internal, .dataLoss: 500
            }
        }

        public var description: String { name }
    }

    public var code: Code
    public var message: String
    /// Where the error was raised, for logs only; never sent to clients.
    public var location: String

    public init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.location = "\(file):\(line)"
    }

    public var description: String { "\(code.name): \(message)" }

    public static func == (lhs: FirestoreError, rhs: FirestoreError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }

    public static func invalidArgument(_ message: String, file: String = #fileID, line: Int = #line) -> Self {
        Self(.invalidArgument, message, file: file, line: line)
    }
    public static func notFound(_ message: String, file: String = #fileID, line: Int = #line) -> Self {
        Self(.notFound, message, file: file, line: line)
    }
    public static func failedPrecondition(_ message: String, file: String = #fileID, line: Int = #line) -> Self {
        Self(.failedPrecondition, message, file: file, line: line)
    }
}
