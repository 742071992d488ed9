/// How findNearest measures the distance between two vectors of the same dimension, and which
/// distances count as nearer.
public enum DistanceMeasure: Sendable, Equatable {
    /// √Σ(aᵢ − bᵢ)²; smaller is nearer.
    case euclidean
    /// 1 − a·b / (|a| |b|), from 0 (same direction) to 2 (opposite); smaller is nearer. A zero
    /// vector has no direction: its distance is NaN.
    case cosine
    /// a·b, a similarity: larger is nearer.
    case dotProduct

    public func distance(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "vectors of different dimensions")
        switch self {
        case .euclidean:
            var sum = 0.0
            for i in a.indices {
                let d = a[i] - b[i]
                sum += d * d
            }
            return sum.squareRoot()
        case .cosine:
            var dot = 0.0
            var normA = 0.0
            var normB = 0.0
            for i in a.indices {
                dot += a[i] * b[i]
                normA += a[i] * a[i]
                normB += b[i] * b[i]
            }
            return 1 - dot / (normA.squareRoot() * normB.squareRoot())
        case .dotProduct:
            var dot = 0.0
            for i in a.indices { dot += a[i] * b[i] }
            return dot
        }
    }

    /// Orders two distances nearest first: negative when `a` is nearer, positive when `b` is, 0
    /// on a tie. NaN is farther than every number (and ties with NaN).
    public func compare(_ a: Double, _ b: Double) -> Int {
        if a.isNaN || b.isNaN { return a.isNaN == b.isNaN ? 0 : (a.isNaN ? 1 : -1) }
        if a == b { return 0 }
        switch self {
        case .euclidean, .cosine: return a < b ? -1 : 1
        case .dotProduct: return a > b ? -1 : 1
        }
    }

    /// Whether a distance is within a threshold: at most it for distances, at least it for the
    /// dot product (a similarity). NaN is never within.
    public func isWithin(_ distance: Double, threshold: Double) -> Bool {
        switch self {
        case .euclidean, .cosine: distance <= threshold
        case .dotProduct: distance >= threshold
        }
    }
}
