-- haproxy_count_200.lua - wrk script of test_haproxy.py: counts the responses whose status is not 200
-- (wrk itself counts only those outside 2xx and 3xx) and prints one line at the end.
local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    not_200 = 0
end

function response(status, headers, body)
    if status ~= 200 then
        not_200 = not_200 + 1
    end
end

function done(summary, latency, requests)
    local total = 0
    for _, thread in ipairs(threads) do
        total = total + thread:get("not_200")
    end
    local errors = summary.errors
    io.write(string.format("responses: %d, not 200: %d, socket errors: %d\n", summary.requests, total,
                           errors.connect + errors.read + errors.write + errors.timeout))
end
