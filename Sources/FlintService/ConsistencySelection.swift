import FlintCore
import FlintProto
import Foundation

/// How a read request chose to read: in a transaction, in a new one, or at a past time.
struct ConsistencySelection {
    var transaction: Data?
    var newTransaction: Google_Firestore_V1_TransactionOptions?
    var readTime: ProtoTimestamp?
}

/// Read requests whose `consistency_selector` oneof picks a transaction or a read time.
protocol SelectsConsistency {
    var selection: ConsistencySelection { get }
}

extension Google_Firestore_V1_GetDocumentRequest: SelectsConsistency {
    var selection: ConsistencySelection {
        switch consistencySelector {
        case .transaction(let t)?: .init(transaction: t)
        case .readTime(let t)?: .init(readTime: t)
        case nil: .init()
        }
    }
}

extension Google_Firestore_V1_ListDocumentsRequest: SelectsConsistency {
    var selection: ConsistencySelection {
        switch consistencySelector {
        case .transaction(let t)?: .init(transaction: t)
        case .readTime(let t)?: .init(readTime: t)
        case nil: .init()
        }
    }
}

extension Google_Firestore_V1_BatchGetDocumentsRequest: SelectsConsistency {
    var selection: ConsistencySelection {
        switch consistencySelector {
        case .transaction(let t)?: .init(transaction: t)
        case .newTransaction(let o)?: .init(newTransaction: o)
        case .readTime(let t)?: .init(readTime: t)
        case nil: .init()
        }
    }
}

extension Google_Firestore_V1_RunQueryRequest: SelectsConsistency {
    var selection: ConsistencySelection {
        switch consistencySelector {
        case .transaction(let t)?: .init(transaction: t)
        case .newTransaction(let o)?: .init(newTransaction: o)
        case .readTime(let t)?: .init(readTime: t)
        case nil: .init()
        }
    }
}

extension Google_Firestore_V1_RunAggregationQueryRequest: SelectsConsistency {
    var selection: ConsistencySelection {
        switch consistencySelector {
        case .transaction(let t)?: .init(transaction: t)
        case .newTransaction(let o)?: .init(newTransaction: o)
        case .readTime(let t)?: .init(readTime: t)
        case nil: .init()
        }
    }
}

extension Google_Firestore_V1_PartitionQueryRequest: SelectsConsistency {
    var selection: ConsistencySelection {
        switch consistencySelector {
        case .readTime(let t)?: .init(readTime: t)
        case nil: .init()
        }
    }
}
