import FlintCore

extension ListenState {
    /// The store was replaced (a snapshot restored): each target is read again and the stream
    /// gets what differs from what it was sent, at the restore's time, so listeners see the
    /// restored state as if one commit had made it.
    mutating func replaced(at time: Int64) async throws -> [ListenResponse] {
        let ids = targets.keys.sorted()
        if ids.isEmpty { return [] }
        var responses = try await rerun(ids, readTime: time)
        for id in ids {
            if let baseline = targets[id]?.baseline, baseline < time { targets[id]?.baseline = time }
        }
        readTime = max(readTime, time)
        responses.append(.consistent(at: readTime))
        return responses
    }
}
