import FlintCore
import Testing

@Suite("Distance measures")
struct DistanceMeasureTests {
    @Test func euclideanIsTheStraightLineDistance() {
        #expect(DistanceMeasure.euclidean.distance([0, 0], [3, 4]) == 5)
        #expect(DistanceMeasure.euclidean.distance([1, 2, 3], [1, 2, 3]) == 0)
        #expect(DistanceMeasure.euclidean.distance([1, 0], [-1, 0]) == 2)
    }

    @Test func cosineIsOneMinusTheCosineOfTheAngle() {
        #expect(DistanceMeasure.cosine.distance([1, 0], [2, 0]) == 0)
        #expect(DistanceMeasure.cosine.distance([1, 0], [0, 5]) == 1)
        #expect(DistanceMeasure.cosine.distance([1, 0], [-3, 0]) == 2)
        #expect(DistanceMeasure.cosine.distance([1, 0], [3, 4]) == 1 - 0.6)
        // The official emulator's figure for [1, 0] against [1, 1].
        #expect(DistanceMeasure.cosine.distance([1, 0], [1, 1]) == 0.29289321881345254)
    }

    @Test func cosineIgnoresLength() {
        let a = DistanceMeasure.cosine.distance([1, 2, 3], [4, 5, 6])
        let b = DistanceMeasure.cosine.distance([10, 20, 30], [0.4, 0.5, 0.6])
        #expect(abs(a - b) < 1e-15)
    }

    @Test func cosineOfAZeroVectorIsNaN() {
        #expect(DistanceMeasure.cosine.distance([0, 0], [1, 0]).isNaN)
        #expect(DistanceMeasure.cosine.distance([1, 0], [0, 0]).isNaN)
    }

    @Test func dotProductIsTheSumOfProducts() {
        #expect(DistanceMeasure.dotProduct.distance([1, 2, 3], [4, 5, 6]) == 32)
        #expect(DistanceMeasure.dotProduct.distance([1, 0], [0, 1]) == 0)
        #expect(DistanceMeasure.dotProduct.distance([1, 0], [-2, 7]) == -2)
    }

    @Test func euclideanAndCosineRankSmallerDistancesFirst() {
        for measure in [DistanceMeasure.euclidean, .cosine] {
            #expect(measure.compare(0.5, 1) < 0)
            #expect(measure.compare(1, 0.5) > 0)
            #expect(measure.compare(1, 1) == 0)
        }
    }

    @Test func dotProductRanksLargerProductsFirst() {
        #expect(DistanceMeasure.dotProduct.compare(3, 1) < 0)
        #expect(DistanceMeasure.dotProduct.compare(-1, 0) > 0)
        #expect(DistanceMeasure.dotProduct.compare(2, 2) == 0)
    }

    @Test func nanRanksAfterEveryNumberUnderEveryMeasure() {
        for measure in [DistanceMeasure.euclidean, .cosine, .dotProduct] {
            #expect(measure.compare(.nan, .infinity) > 0)
            #expect(measure.compare(-.infinity, .nan) < 0)
            #expect(measure.compare(.nan, .nan) == 0)
        }
    }

    @Test func thresholdsBoundDistancesFromAboveAndDotProductsFromBelow() {
        #expect(DistanceMeasure.euclidean.isWithin(1, threshold: 1))
        #expect(!DistanceMeasure.euclidean.isWithin(1.0000001, threshold: 1))
        #expect(DistanceMeasure.cosine.isWithin(0.2, threshold: 0.3))
        #expect(!DistanceMeasure.cosine.isWithin(0.4, threshold: 0.3))
        #expect(DistanceMeasure.dotProduct.isWithin(1, threshold: 1))
        #expect(DistanceMeasure.dotProduct.isWithin(5, threshold: 1))
        #expect(!DistanceMeasure.dotProduct.isWithin(0.5, threshold: 1))
    }

    @Test func nanIsNeverWithinAThreshold() {
        for measure in [DistanceMeasure.euclidean, .cosine, .dotProduct] {
            #expect(!measure.isWithin(.nan, threshold: 1e300))
            #expect(!measure.isWithin(.nan, threshold: -1e300))
        }
    }
}

@Suite("Nearest neighbours heap")
struct NearestNeighborsTests {
    @Test func keepsTheBestCandidatesWhateverTheOrderTheyCome() {
        var generator = SplitMix64(seed: 7)
        let values = (0..<500).map { _ in Int.random(in: 0..<10_000, using: &generator) }
        for capacity in [1, 2, 10, 499, 500, 800] {
            var heap = NearestNeighbors<Int>(capacity: capacity, ranksBefore: <)
            for v in values { heap.offer(v) }
            #expect(heap.sorted() == Array(values.sorted().prefix(capacity)), "capacity \(capacity)")
        }
    }

    @Test func neverHoldsMoreThanItsCapacity() {
        var heap = NearestNeighbors<Int>(capacity: 3, ranksBefore: <)
        for v in (0..<100).reversed() {
            heap.offer(v)
            #expect(heap.count <= 3)
        }
        #expect(heap.sorted() == [0, 1, 2])
    }

    @Test func aCapacityOfZeroKeepsNothing() {
        var heap = NearestNeighbors<Int>(capacity: 0, ranksBefore: <)
        heap.offer(1)
        #expect(heap.sorted().isEmpty)
        #expect(!heap.admits(0))
    }

    @Test func aNewcomerRankingAfterTheWorstKeptOneIsNotAdmitted() {
        var heap = NearestNeighbors<Int>(capacity: 2, ranksBefore: >)
        heap.offer(5)
        heap.offer(9)
        #expect(!heap.admits(4))
        #expect(heap.admits(6))
        heap.offer(4)
        #expect(heap.sorted() == [9, 5])
    }
}
