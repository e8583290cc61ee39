-- wrk script of bench.http: every request asks for a path drawn at random from a file
-- (one path a line, given after `--`), so that every request names another device.
-- It counts the answers outside 2xx (wrk itself only counts those over 399, and a
-- redirection to /login would pass for a success), and prints one machine-readable
-- line at the end: what bench/request_path/wrk.py parses.

local threads = {}

function setup(thread)
  thread:set("number", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  math.randomseed(os.time() * 100 + number)
  failed = 0
  failed_status = 0
end

function request()
  return wrk.format(nil, paths[math.random(#paths)])
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    failed = failed + 1
    failed_status = status
  end
end

function done(summary, latency, requests)
  local failed_total, status = 0, 0
  for _, thread in ipairs(threads) do
    failed_total = failed_total + thread:get("failed")
    if thread:get("failed_status") ~= 0 then
      status = thread:get("failed_status")
    end
  end
  local errors = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d non2xx=%d status=%d connect=%d read=%d write=%d " ..
    "timeout=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, failed_total, status, errors.connect, errors.read,
    errors.write, errors.timeout, latency:percentile(50), latency:percentile(99)))
end
