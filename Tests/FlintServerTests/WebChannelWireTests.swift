import FlintCore
import FlintWebChannel
import Testing

/// The BrowserChannel wire format: chunk framing and forward-channel bodies.
@Suite("WebChannel wire")
struct WebChannelWireTests {
    @Test func chunksAreFramedByTheirLengthInUTF16Units() {
        #expect(WebChannelWire.frame("[1,2,3]") == "7\n[1,2,3]")
        // "é" is one unit, "😀" two (a surrogate pair), as the client's String.length counts them
        #expect(WebChannelWire.frame("\"é😀\"") == "5\n\"é😀\"")
    }

    @Test func aForwardBodyCarriesItsMessagesOffsetAndHeaders() throws {
        let body = try WebChannelWire.ForwardBody(
            form: "headers=Authorization%3ABearer%20owner%0D%0AX-Goog-Api-Client%3Agl-js%0D%0A"
                + "&count=2&ofs=3&req0___data__=%7B%22a%22%3A1%7D&req1___data__=%7B%22b%22%3A+2%7D")
        #expect(body.offset == 3)
        #expect(body.messages == ["{\"a\":1}", "{\"b\": 2}"])
        #expect(body.headers["authorization"] == "Bearer owner")
        #expect(body.headers["x-goog-api-client"] == "gl-js")
    }

    @Test func anEmptyBodyCarriesNoMessages() throws {
        #expect(try WebChannelWire.ForwardBody(form: "").messages.isEmpty)
    }

    @Test func malformedBodiesNameWhatIsWrong() {
        for (form, needle) in [
            ("ofs=0&req0___data__=x", "count"), ("count=x", "count"), ("count=1", "ofs"),
            ("count=2&ofs=0&req0___data__=x", "req1___data__"),
        ] {
            do {
                _ = try WebChannelWire.ForwardBody(form: form)
                Issue.record("\(form) was accepted")
            } catch {
                #expect(error.code == .invalidArgument && error.message.contains(needle), "\(form): \(error)")
            }
        }
    }
}
