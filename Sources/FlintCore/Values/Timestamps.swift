import Foundation

/// Wall-clock helpers in Firestore's precisions: microseconds for commits, milliseconds for REQUEST_TIME.
public enum Timestamps {
    /// A duration in whole microseconds.
    public static func micros(_ d: Duration) -> Int64 {
        d.components.seconds * 1_000_000 + d.components.attoseconds / 1_000_000_000_000
    }

    public static func nowMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }

    /// RFC 3339 in UTC with six fraction digits, e.g. `2024-01-02T03:04:05.123456Z`.
    public static func format(micros: Int64) -> String {
        var seconds = micros / 1_000_000
        var fraction = micros % 1_000_000
        if fraction < 0 {
            seconds -= 1
            fraction += 1_000_000
        }
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        let date = String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
        return date + String(format: ".%06dZ", Int(fraction))
    }
}
