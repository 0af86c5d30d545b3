-- wrk script: each request POSTs a new user. A username is the round's prefix, the
-- thread's number and a counter, so none repeats; done() prints the round as one JSON line.
-- Arguments (after --): prefix, path.

local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_number", thread_count)
end

function init(args)
  prefix = args[1]
  path = args[2]
  counter = 0
  headers = { ["Content-Type"] = "application/json" }
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"username":"%s-%d-%d","country_code":"BE","created_at":"2021-01-01 00:00:00"}',
    prefix, thread_number, counter)
  return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,'
      .. '"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
