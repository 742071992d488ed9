-- wrk script for the rules phase (rules.py): one thread per client, each thread one customer on
-- one keep-alive connection, closed loop.  Arguments after `--`: the kind (reads or writes), a
-- run id (document ids stay unique across slices) and a file with one line per client:
-- token <TAB> path <TAB> body.  Reads GET the path; writes POST a new order to it.
-- done() prints one JSON line: requests, duration (µs), answers with status ≥ 400, socket errors,
-- latency percentiles.

local next_client = 0

function setup(thread)
    thread:set("client", next_client)
    next_client = next_client + 1
end

function init(args)
    kind, run = args[1], args[2]
    local i = 0
    for line in io.lines(args[3]) do
        if i == client then
            local token, p, b = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
            headers = {["Authorization"] = "Bearer " .. token}
            path, body = p, b
            if kind == "writes" then headers["Content-Type"] = "application/json" end
        end
        i = i + 1
    end
    if not path then error("no line for client " .. client) end
    seq = 0
end

function request()
    if kind == "writes" then
        seq = seq + 1
        return wrk.format("POST", string.format("%s?documentId=o-%s-%02d-%08d", path, run, client, seq), headers, body)
    end
    return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        '{"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, "p50_ms": %.3f, "p99_ms": %.3f}\n',
        summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
