import FlintCore
import FlintService
import Foundation
import Hummingbird

/// Puts the Firestore REST API in front of the router: `/v1/…` requests go to the API, every other
/// request on to the router's routes.
public struct FirestoreAPIMiddleware<Context: RequestContext>: RouterMiddleware {
    let api: FirestoreRESTResponder

    public init(service: FirestoreService) { api = FirestoreRESTResponder(service: service) }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard FirestoreRESTResponder.serves(request) else { return try await next(request, context) }
        return try await api.respond(to: request)
    }
}

/// Every error becomes a google.rpc.Status body, a request no route serves included.
public struct RESTErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return RESTError.response(FirestoreError(.notFound, "No route for \(request.method) \(request.uri.path)."))
        } catch let error as HTTPError where error.status == .methodNotAllowed {
            return RESTError.response(
                FirestoreError(.notFound, "No route for \(request.method) \(request.uri.path)."))
        } catch {
            return RESTError.response(for: error)
        }
    }
}
