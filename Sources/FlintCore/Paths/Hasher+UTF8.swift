extension Hasher {
    /// Hashes a string by its UTF-8 bytes (to pair with byte-wise equality), then a terminator.
    public mutating func combine(utf8 string: String) {
        var copy = string
        copy.withUTF8 { combine(bytes: UnsafeRawBufferPointer($0)) }
        combine(0xFF as UInt8)
    }
}
