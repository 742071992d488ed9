import FlintCore
import Testing

/// Asserts that `body` throws a FirestoreError with `code`, returning it for message checks.
@discardableResult
public func expectFirestoreError(
    _ code: FirestoreError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> FirestoreError? {
    do {
        try body()
        Issue.record("expected \(code) but nothing was thrown", sourceLocation: sourceLocation)
    } catch {
        return check(error, code, sourceLocation)
    }
    return nil
}

/// Asserts that `body` throws a FirestoreError with `code`, returning it for message checks.
@discardableResult
public func expectFirestoreError(
    _ code: FirestoreError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> FirestoreError? {
    do {
        try await body()
        Issue.record("expected \(code) but nothing was thrown", sourceLocation: sourceLocation)
    } catch {
        return check(error, code, sourceLocation)
    }
    return nil
}

private func check(_ error: any Error, _ code: FirestoreError.Code, _ sourceLocation: SourceLocation) -> FirestoreError? {
    guard let error = error as? FirestoreError else {
        Issue.record("expected FirestoreError \(code), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
    #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    return error
}
