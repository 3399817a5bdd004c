-- wrk script for bench/wrk.ts: counts answers that are not a 200 with the expected body (the first script
-- argument), and prints one JSON line with the totals and the latency percentiles, in microseconds.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  expected = args[1]
  wrong = 0
end

function response(status, headers, body)
  if status ~= 200 or body ~= expected then
    wrong = wrong + 1
  end
end

function done(summary, latency, requests)
  local wrongTotal = 0
  for _, thread in ipairs(threads) do
    wrongTotal = wrongTotal + thread:get("wrong")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"responses":%d,"durationUs":%d,"wrong":%d,"connectErrors":%d,"readErrors":%d,' ..
    '"writeErrors":%d,"statusErrors":%d,"timeouts":%d,"p50Us":%d,"p99Us":%d}\n',
    summary.requests, summary.duration, wrongTotal, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
