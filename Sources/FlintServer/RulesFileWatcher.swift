import FlintCore
import FlintRules
import FlintService
import Foundation
import Logging
import ServiceLifecycle

/// Keeps `flint start --rules PATH` in force: loads the file at start, and again whenever it
/// changes; a file that no longer compiles is logged with line and column and the rules in force stay.
struct RulesFileWatcher: Service {
    let path: String
    let service: FirestoreService
    let logger: Logger
    var interval: Duration = .milliseconds(500)

    /// Loads the file once; a compile error fails the start with its position.
    static func loadAtStart(_ path: String, into service: FirestoreService, logger: Logger) throws {
        let source: String
        do {
            source = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw FirestoreError.invalidArgument("Cannot read the rules file \(path): \(error.localizedDescription)")
        }
        do {
            let ruleset = try Ruleset(source: source)
            service.setRules(ruleset)
            for w in ruleset.file.warnings { logger.warning("\(path):\(w.position.line):\(w.position.column): \(w.message)") }
        } catch {
            throw FirestoreError.invalidArgument("\(path):\(error.position.line):\(error.position.column): \(error.message)")
        }
    }

    static func signature(_ path: String) -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        let date = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let size = (attributes[.size] as? NSNumber)?.intValue ?? -1
        return "\(date)/\(size)"
    }

    func run() async throws {
        var last = Self.signature(path)
        var lastSource = try? String(contentsOfFile: path, encoding: .utf8)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: interval)
            let now = Self.signature(path)
            guard now != last else { continue }
            last = now
            guard let source = try? String(contentsOfFile: path, encoding: .utf8) else {
                logger.error("Cannot read the rules file \(path); the rules in force stay.")
                continue
            }
            guard source != lastSource else { continue }
            lastSource = source
            do {
                let ruleset = try Ruleset(source: source)
                service.setRules(ruleset)
                logger.info("Reloaded security rules from \(path).")
                for w in ruleset.file.warnings { logger.warning("\(path):\(w.position.line):\(w.position.column): \(w.message)") }
            } catch {
                logger.error(
                    "\(path):\(error.position.line):\(error.position.column): \(error.message) — the previous rules stay in force.")
            }
        }
    }
}
