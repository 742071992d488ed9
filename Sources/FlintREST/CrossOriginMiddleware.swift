import FlintCore
import Hummingbird

/// Cross-origin access for browsers (the JS SDK's REST and WebChannel transports), as the official
/// emulator grants it: any origin, every method the API uses, credentials, and whatever request
/// headers the preflight asks for.
///
/// Hummingbird's `CORSMiddleware` answers a preflight with a fixed header list; the SDKs send a
/// growing set (`x-goog-api-client`, `x-firebase-gmpid`, `x-goog-request-params`, …), so the list
/// is echoed from `Access-Control-Request-Headers` instead. It sits outermost so every answer,
/// errors included, carries the headers.
public struct CrossOriginMiddleware<Context: RequestContext>: RouterMiddleware {
    static var allowedMethods: String { "DELETE,GET,HEAD,PATCH,POST,PUT" }

    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if request.method == .options {
            var response = Response(status: .ok, headers: [.contentLength: "0"])
            Self.addHeaders(for: request, to: &response.headers)
            if let asked = request.headers[.accessControlRequestHeaders] {
                response.headers[.accessControlAllowHeaders] = asked
            }
            return response
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = RESTError.response(for: error)
        }
        Self.addHeaders(for: request, to: &response.headers)
        return response
    }

    /// The headers of every answer to a request that names its origin.
    static func addHeaders(for request: Request, to headers: inout HTTPFields) {
        guard let origin = request.headers[.origin] else { return }
        headers[.accessControlAllowOrigin] = origin
        headers[.accessControlAllowMethods] = allowedMethods
        headers[.accessControlAllowCredentials] = "true"
        headers[values: .vary].append("Origin")
    }
}
