-- wrk script: every connection posts the dev requests in turn (BODIES: a file with one JSON body per line),
-- and the summary counts answers that were not 200.
local bodies = {}
for line in io.lines(os.getenv("BODIES")) do bodies[#bodies + 1] = line end
local counter = 0

request = function()
  counter = counter + 1
  return wrk.format("POST", "/ec/correct", {["Content-Type"] = "application/json"},
                    bodies[(counter % #bodies) + 1])
end

local not_ok = 0
response = function(status, headers, body)
  if status ~= 200 then not_ok = not_ok + 1 end
end

done = function(summary, latency, requests)
  io.write(string.format("requests: %d, req/s: %.1f, p50: %.1f ms, p95: %.1f ms, p99: %.1f ms, errors: %d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status
      + summary.errors.timeout))
end
