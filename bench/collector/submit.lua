-- wrk script: POST one after-visit form per request, each with its own response id (rid).
--
--   wrk -t2 -c64 -d13s --latency -s submit.lua http://127.0.0.1:PORT/s/after-visit SECONDS TAG STATUS
--
-- SECONDS: how long to send submissions. After that no connection sends a new one
-- (delay() holds it back) and the answers still in flight arrive while wrk runs on,
-- so every submission the server stored was also answered: acknowledged == rows.
-- TAG makes the rids of this run unique; STATUS is the answer that means "stored"
-- (303 for a form post). done() prints one line "BENCH {...json...}" for bench.py.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local clock = ffi.new("bench_timespec")

local function now_us()
   ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
   return tonumber(clock.tv_sec) * 1e6 + tonumber(clock.tv_nsec) / 1e3
end

-- Per thread; bench.py reads them through thread:get() in done().
sent, acknowledged, other, first_us, last_us = 0, 0, 0, 0, 0

local send_us, tag, expected, deadline_us
local is_sending = false -- wrk calls request() once before the run to check it; that one is never sent
local HOLD_MS = 3600 * 1000
-- "Ilgi jāgaida rindā pie kases" (a long wait at the till), as a browser encodes it
local IMPROVE = "Ilgi+j%C4%81gaida+rind%C4%81+pie+kases"
local headers = {
   ["Content-Type"] = "application/x-www-form-urlencoded",
   ["Origin"] = "https://saulite.example",
   ["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
   ["Accept-Language"] = "lv,en;q=0.8",
   ["User-Agent"] = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
}

local threads = {}

function setup(thread)
   thread:set("id", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   send_us = tonumber(args[1]) * 1e6
   tag = args[2]
   expected = tonumber(args[3])
end

function delay()
   is_sending = true
   if deadline_us and now_us() >= deadline_us then
      return HOLD_MS
   end
   return 0
end

function request()
   if not is_sending then
      return wrk.format("POST", nil, headers, "")
   end
   local now = now_us()
   if not deadline_us then
      first_us = now
      deadline_us = now + send_us
   end
   sent = sent + 1
   local score = sent % 11
   local body = string.format(
      "rid=%s-%03d-%09d&lang=lv&location=riga-centre&recommend=%d&satisfaction=%d&greeted=yes"
         .. "&aspects.coffee=5&aspects.speed=%d&expectations=met&effort=6&visit_reason=breakfast&liked=coffee&liked=pastries",
      tag, id, sent, score, sent % 5 + 1, sent % 3 + 3)
   if score < 9 then
      body = body .. "&improve=" .. IMPROVE
   end
   if score <= 6 then -- a detractor leaving an address opens a case (the survey's follow_up)
      body = body .. string.format("&email=guest-%03d-%09d%%40example.com", id, sent)
   end
   return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
   last_us = now_us()
   if status == expected then
      acknowledged = acknowledged + 1
   else
      other = other + 1
   end
end

local function json_object(fields)
   local parts = {}
   for name, value in pairs(fields) do
      parts[#parts + 1] = string.format("%q:%.17g", name, value)
   end
   return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
   local totals = { sent = 0, acknowledged = 0, other = 0, first_us = math.huge, last_us = 0 }
   for _, thread in ipairs(threads) do
      totals.sent = totals.sent + thread:get("sent")
      totals.acknowledged = totals.acknowledged + thread:get("acknowledged")
      totals.other = totals.other + thread:get("other")
      local first, last = thread:get("first_us"), thread:get("last_us")
      if first > 0 and first < totals.first_us then totals.first_us = first end
      if last > totals.last_us then totals.last_us = last end
   end
   local errors = summary.errors
   io.write("BENCH ", json_object({
      sent = totals.sent,
      acknowledged = totals.acknowledged,
      other = totals.other,
      window_s = totals.sent > 0 and (totals.last_us - totals.first_us) / 1e6 or 0,
      completed = summary.requests,
      errors_connect = errors.connect,
      errors_read = errors.read,
      errors_write = errors.write,
      errors_timeout = errors.timeout,
      errors_status = errors.status,
      p50_ms = latency:percentile(50) / 1000,
      p90_ms = latency:percentile(90) / 1000,
      p99_ms = latency:percentile(99) / 1000,
      max_ms = latency.max / 1000,
      mean_ms = latency.mean / 1000,
   }), "\n")
end
