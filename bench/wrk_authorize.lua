-- wrk script for POST /api/v1/authorizations: unique transaction ids and a realistic mix of payments.
--
--   wrk -t1 -c16 -d20s -s bench/wrk_authorize.lua http://127.0.0.1:18765 -- <run id> [var/bench] [path]
--
-- The path defaults to /api/v1/authorizations; the floors (bench/floors.py) take the same bodies.
--
-- Reads var/bench/{api_key,accounts.csv,risky.csv} written by bench/setup_data.py. The mix (the same as
-- bench/load.py, which the batch benchmark uses):
--   channel: pos 35 %, quick_pay 20 %, card_not_present 12 %, online_transfer 12 %, contactless 10 %,
--            atm 6 %, cross_border 5 %
--   country: cross_border → abroad; otherwise CN 95 % (60 % of those with a province), abroad 5 %
--   amount:  log-uniform between 1 and about 16,000 yuan (100 .. 1,600,000 fen)
--   account: by id 90 %, by number 10 %, uniformly over all bench accounts
--   payee:   every online_transfer and 10 % of quick_pay carry a counterparty account, 3 % of them risk-listed,
--            the rest drawn from 200,000 payees so that some are already known
-- At the end it prints one JSON line with the request count and latency percentiles (µs).

local dir = "var/bench"
local run = "r"
local path = "/api/v1/authorizations"
local accounts, numbers, currencies, risky = {}, {}, {}, {}
local counter = 0

local key = ""

local channels = {
  {"pos", 35}, {"quick_pay", 20}, {"card_not_present", 12}, {"online_transfer", 12},
  {"contactless", 10}, {"atm", 6}, {"cross_border", 5},
}
local channel_table = {}
for _, entry in ipairs(channels) do
  for _ = 1, entry[2] do channel_table[#channel_table + 1] = entry[1] end
end
local abroad = {"US", "HK", "JP", "GB", "SG", "TH", "KR", "FR"}
local provinces = {"CN-BJ", "CN-SH", "CN-GD", "CN-ZJ", "CN-JS", "CN-AH", "CN-SC", "CN-HB", "CN-FJ", "CN-HN"}
local mccs = {"5411", "5812", "5999", "4111", "5732", "7011", "5311", "5541", "5912", "4814"}

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("thread_id", next_id)
  threads[#threads + 1] = thread
end

local function read_lines(path)
  local lines = {}
  local file = assert(io.open(path, "r"), "missing " .. path .. ": run bench/setup_data.py first")
  for line in file:lines() do lines[#lines + 1] = line end
  file:close()
  return lines
end

function init(args)
  run = args[1] or tostring(os.time())
  dir = args[2] or dir
  path = args[3] or path
  key = read_lines(dir .. "/api_key")[1]
  for _, line in ipairs(read_lines(dir .. "/accounts.csv")) do
    local id, number, currency = line:match("^(%d+),(%w+),(%u+)$")
    accounts[#accounts + 1] = id
    numbers[#numbers + 1] = number
    currencies[#currencies + 1] = currency
  end
  risky = read_lines(dir .. "/risky.csv")
  math.randomseed(os.time() * 1000 + (thread_id or 0))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "ApiKey " .. key
end

local function payee()
  if math.random() < 0.03 then return risky[math.random(#risky)] end
  return string.format("6228%015d", math.random(200000))
end

function request()
  counter = counter + 1
  local i = math.random(#accounts)
  local channel = channel_table[math.random(#channel_table)]
  local country, subdivision = "CN", nil
  if channel == "cross_border" or math.random() < 0.05 then
    country = abroad[math.random(#abroad)]
  elseif math.random() < 0.6 then
    subdivision = provinces[math.random(#provinces)]
  end
  local amount = math.floor(10 ^ (2 + math.random() * 4.2))
  local parts = {
    '{"transaction_id":"', run, "-", thread_id, "-", counter, '"',
  }
  if math.random() < 0.9 then
    parts[#parts + 1] = ',"account_id":' .. accounts[i]
  else
    parts[#parts + 1] = ',"account_number":"' .. numbers[i] .. '"'
  end
  parts[#parts + 1] = ',"amount":' .. amount .. ',"currency":"' .. currencies[i] .. '","channel":"' .. channel .. '"'
  parts[#parts + 1] = ',"country":"' .. country .. '"'
  if subdivision then parts[#parts + 1] = ',"subdivision":"' .. subdivision .. '"' end
  if channel == "online_transfer" or (channel == "quick_pay" and math.random() < 0.1) then
    parts[#parts + 1] = ',"counterparty_account":"' .. payee() .. '"'
  elseif channel ~= "atm" then
    parts[#parts + 1] = ',"mcc":"' .. mccs[math.random(#mccs)] .. '"'
  end
  parts[#parts + 1] = ',"initiated_at":"' .. os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() - math.random(0, 3)) .. '"}'
  return wrk.format(nil, path, nil, table.concat(parts))
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,' ..
    '"mean_us":%.1f,"max_us":%d,"non_2xx":%d,"socket_errors":%d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.mean, latency.max, errors.status, errors.connect + errors.read + errors.write + errors.timeout
  ))
end
