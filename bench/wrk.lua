-- wrk script for bench/: GETs the URL it is given, or, when WRK_IDS names a file of incident
-- ids, POSTs WRK_BODY to WRK_PATH (a format with one %s) for each id in turn. Prints one JSON
-- line of figures at the end, which bench/harness.py reads. With WRK_KEYED_EVERY=n, every n-th
-- POST carries an Idempotency-Key of its own.

local ids = {}
local counter = 0
local path = os.getenv("WRK_PATH")
local body = os.getenv("WRK_BODY")
local threads = 0
local keyed_every = tonumber(os.getenv("WRK_KEYED_EVERY") or "0")

if os.getenv("WRK_KEY") then
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("WRK_KEY")
end
wrk.headers["Content-Type"] = "application/json"

-- Threads start at different ids, so that they do not queue on one incident's lock.
function setup(thread)
  threads = threads + 1
  thread:set("counter", threads * 7919)
  thread:set("thread_id", threads)
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
  local headers = nil
  if keyed_every > 0 and counter % keyed_every == 0 then
    -- Headers given to wrk.format replace wrk.headers, so they are copied in.
    headers = {["Idempotency-Key"] = string.format("bench-%d-%d-%d", os.time(), thread_id, counter)}
    for name, value in pairs(wrk.headers) do
      headers[name] = value
    end
  end
  return wrk.format("POST", string.format(path, ids[counter % #ids + 1]), headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
