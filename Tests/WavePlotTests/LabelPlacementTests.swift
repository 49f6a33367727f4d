import WavePlot
import XCTest

/// Reference labels go where no data line, marker or other label is.
final class LabelPlacementTests: XCTestCase {
    let candidates = LabelPlacement.candidates(lineY: 100, width: 60, height: 10, left: 0, right: 300, top: 0, bottom: 200, gap: 2)

    func testTheFirstFreeBoxIsTakenAndCrossedBoxesAreNot() {
        XCTAssertEqual(candidates[0], LabelPlacement.Box(x: 240, y: 88, w: 60, h: 10), "by default: right end, above the line")
        // a line through the right end's boxes, above and below, and a marker on the left above the line
        let segments: [LabelPlacement.Segment] = [((230, 60), (310, 140))]
        let chosen = LabelPlacement.choose(candidates, segments: segments, markers: [(20, 92)], markerRadius: 2, taken: [])
        XCTAssertFalse(LabelPlacement.crosses(segments[0], chosen))
        XCTAssertFalse(chosen.x <= 20 && 20 <= chosen.x + chosen.w && chosen.y <= 92 && 92 <= chosen.y + chosen.h)
        XCTAssertEqual(chosen, LabelPlacement.Box(x: 120, y: 88, w: 60, h: 10), "the middle, above the line (the left end has the marker)")
        // a second label does not land on the first
        let second = LabelPlacement.choose(candidates, segments: segments, markers: [(20, 92)], markerRadius: 2, taken: [chosen])
        XCTAssertNotEqual(second, chosen)
        XCTAssertFalse(LabelPlacement.crosses(segments[0], second))
    }

    func testASegmentThroughABoxCrossesItEvenWithBothEndsOutside() {
        let box = LabelPlacement.Box(x: 10, y: 10, w: 20, h: 5)
        XCTAssertTrue(LabelPlacement.crosses(((0, 12), (40, 13)), box))
        XCTAssertTrue(LabelPlacement.crosses(((15, 0), (25, 30)), box))
        XCTAssertFalse(LabelPlacement.crosses(((0, 0), (40, 5)), box))
        XCTAssertFalse(LabelPlacement.crosses(((0, 20), (40, 40)), box))
    }

    func testWhenEveryBoxIsCrossedTheLeastCrossedIsChosen() {
        let dense: [LabelPlacement.Segment] = stride(from: 0.0, to: 300, by: 20).map { x in ((x, 0), (x, 200)) }
        let chosen = LabelPlacement.choose(candidates, segments: dense, markers: [], markerRadius: 2, taken: [])
        let fewest = candidates.map { box in dense.filter { LabelPlacement.crosses($0, box) }.count }.min()!
        XCTAssertEqual(dense.filter { LabelPlacement.crosses($0, chosen) }.count, fewest)
    }
}
