-- wrk script for bench/: GETs the URL it is given, or, when WRK_IDS names a file of incident
-- ids, POSTs WRK_BODY to WRK_PATH (a format with one %s) for each id in turn. Prints one JSON
-- line of figures at the end, which bench/harness.py reads.

local ids = {}
local counter = 0
local path = os.getenv("WRK_PATH")
local body = os.getenv("WRK_BODY")
local threads = 0

if os.getenv("WRK_KEY") then
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("WRK_KEY")
end
wrk.headers["Content-Type"] = "application/json"

-- Threads start at different ids, so that they do not queue on one incident's lock.
function setup(thread)
  threads = threads + 1
  thread:set("counter", threads * 7919)
end

function init(args)
  local file = os.getenv("WRK_IDS")
  if file then
    for line in io.lines(file) do
      ids[#ids + 1] = line
    end
  end
end

function request()
  if #ids == 0 then
    return wrk.format(nil)
  end
  counter = counter + 1
  return wrk.format("POST", string.format(path, ids[counter % #ids + 1]), nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
