import FlintCore
import FlintProto
import FlintStore

extension ListenState {
    /// Turns one commit into responses: per changed document a documentChange (it now belongs to
    /// targets), documentDelete (it is gone) or documentRemove (it left them), then a consistent
    /// point at the commit time. Nothing is sent for commits that change no target.
    mutating func apply(_ record: CommitRecord) async throws -> [ListenResponse] {
        let time = record.commitTime
        var responses: [ListenResponse] = []
        var rerun: [Int32] = []
        let ids = targets.keys.sorted()
        for change in record.changes {
            // Commits can be published out of order; an older change than one already applied is stale.
            let key = DocumentKey(database: change.database, path: change.path)
            if let seen = newest[key], seen >= time { continue }
            newest[key] = time
            var added: [Int32] = []
            var removed: [Int32] = []
            for id in ids {
                guard let target = targets[id], time > target.baseline,
                    target.scope.contains(change.database, change.path)
                else { continue }
                if !target.judgesDocumentsAlone {
                    if !rerun.contains(id) { rerun.append(id) }
                    continue
                }
                let sent = target.versions[change.path]
                // Already sent by a later read (commits may be published out of order).
                if let sent, sent >= time { continue }
                if let after = change.after, target.matches(after) {
                    targets[id]?.versions[change.path] = after.updateTime
                    added.append(id)
                } else if sent != nil {
                    targets[id]?.versions[change.path] = nil
                    removed.append(id)
                }
            }
            responses += documentResponses(change, added: added, removed: removed, readTime: time)
        }
        if !rerun.isEmpty { responses += try await self.rerun(rerun, readTime: time) }
        // Publication order differs only between commits moments apart: older entries can go.
        if newest.count > 10_000 { newest = newest.filter { $0.value > time - 10_000_000 } }
        if responses.isEmpty { return [] }
        readTime = max(readTime, time)
        responses.append(.consistent(at: readTime))
        return responses
    }

    /// One document's responses; targets with different projections get their own documentChange.
    func documentResponses(_ change: DocumentChange, added: [Int32], removed: [Int32], readTime: Int64)
        -> [ListenResponse]
    {
        let name = change.database.name(of: change.path)
        guard let after = change.after, !added.isEmpty else {
            if removed.isEmpty { return [] }
            return [
                change.after == nil
                    ? .delete(name, removed: removed, readTime: readTime) : .remove(name, removed: removed, readTime: readTime)
            ]
        }
        var responses: [ListenResponse] = []
        var pending = added
        var stillRemoved = removed
        while let first = pending.first {
            let mask = targets[first]?.mask
            let group = pending.filter { targets[$0]?.mask == mask }
            pending.removeAll { targets[$0]?.mask == mask }
            responses.append(.change(after, in: change.database, mask: mask, targets: group, removed: stillRemoved))
            stillRemoved = []
        }
        return responses
    }

    /// Runs the queries of targets whose membership depends on other documents (limit, offset)
    /// again, and sends the difference.
    mutating func rerun(_ ids: [Int32], readTime: Int64) async throws -> [ListenResponse] {
        let snapshot = ids.compactMap { targets[$0] }
        let results = try await service.store.read { reader in
            try snapshot.map { target in
                let now = try target.read(reader)
                return (now, try Self.existing(target.versions, leaving: now, target.database, reader))
            }
        }
        var responses: [ListenResponse] = []
        for (target, (now, existing)) in zip(snapshot, results) {
            responses += diff(target, from: target.versions, to: now, existing: existing, readTime: readTime)
            targets[target.id]?.versions = Self.versions(now)
        }
        return responses
    }
}
