/// The best `capacity` candidates seen so far, kept in a bounded heap so a search over any number
/// of documents holds at most `capacity` of them: offering one costs O(log capacity).
///
/// "Best" is given by `ranksBefore`, a strict total order over candidates (nearest first, ties
/// broken by the query's order); the root of the heap is the worst candidate kept, the one a
/// better newcomer replaces.
public struct NearestNeighbors<Candidate> {
    public let capacity: Int
    private let ranksBefore: (Candidate, Candidate) -> Bool
    private var heap: [Candidate] = []

    public init(capacity: Int, ranksBefore: @escaping (Candidate, Candidate) -> Bool) {
        precondition(capacity >= 0)
        self.capacity = capacity
        self.ranksBefore = ranksBefore
        heap.reserveCapacity(min(capacity, 1024))
    }

    public var count: Int { heap.count }

    /// Whether the heap holds `capacity` candidates (a newcomer must then beat `worst`).
    public var isFull: Bool { heap.count >= capacity }

    /// The worst candidate kept, the first to go.
    public var worst: Candidate? { heap.first }

    /// Whether a candidate would be kept, without building it: true when there is room or it
    /// ranks before the worst kept one.
    public func admits(_ candidate: Candidate) -> Bool {
        heap.count < capacity || (capacity > 0 && ranksBefore(candidate, heap[0]))
    }

    /// Keeps `candidate` if it is among the best `capacity` seen so far.
    public mutating func offer(_ candidate: Candidate) {
        if heap.count < capacity {
            heap.append(candidate)
            siftUp(heap.count - 1)
        } else if capacity > 0, ranksBefore(candidate, heap[0]) {
            heap[0] = candidate
            siftDown(0)
        }
    }

    /// The kept candidates, best first.
    public func sorted() -> [Candidate] {
        heap.sorted(by: ranksBefore)
    }

    /// In the heap a parent ranks after (is worse than) its children.
    private func worse(_ i: Int, _ j: Int) -> Bool { ranksBefore(heap[j], heap[i]) }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard worse(child, parent) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var worst = parent
            if left < heap.count, worse(left, worst) { worst = left }
            if right < heap.count, worse(right, worst) { worst = right }
            if worst == parent { return }
            heap.swapAt(parent, worst)
            parent = worst
        }
    }
}
