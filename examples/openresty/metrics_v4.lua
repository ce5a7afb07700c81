-- The Lua side of examples/openresty/nginx-v4.conf: Prometheus metrics of every device of an
-- OpenAPI v4 token, refreshed in the background and served from a shared dict.
--
-- growatt.ngx with `token` is the v4 client (growatt.v4) whose calls run in nginx's thread
-- pool, so no worker ever waits on Growatt; it keeps Growatt's intervals in the shared dict,
-- so no two workers send a request inside one. One refresh runs at a time over all workers,
-- at most one per GROWATT_REFRESH seconds (default 300, queryLastData's interval). The token
-- comes from the environment and is never logged.
local gngx = require("growatt.ngx")
local export = require("growatt.export")

local M = {}

local DICT = "growatt"

local function dict() return ngx.shared[DICT] end

local function interval()
  return tonumber(os.getenv("GROWATT_REFRESH") or "") or 300
end

-- The client holds options only, so one per worker serves every timer.
local api

-- api:readings(): the device list, then queryLastData per device type, 100 serials a request.
local function fetch()
  local d = dict()
  local records, err = api:readings()
  if records then
    d:set("v4:metrics", export.prometheus(records))
    d:set("v4:updated", ngx.now())
    d:incr("v4:refreshes:ok", 1, 0)
  else
    d:incr("v4:refreshes:error", 1, 0)
    ngx.log(ngx.WARN, "v4 metrics refresh failed, serving the last good ones: ", tostring(err))
  end
end

local function refresh(premature)
  if premature then return end
  local d = dict()
  if not d:add("v4:running", ngx.worker.pid(), 600) then return end
  if d:add("v4:due", true, interval()) then
    local ok, err = pcall(fetch)
    if not ok then ngx.log(ngx.ERR, "v4 metrics refresh raised: ", tostring(err)) end
  end
  d:delete("v4:running")
end

--- init_worker: this worker's refresh timer.
function M.start()
  api = gngx.new({
    token = os.getenv("GROWATT_TOKEN") or "demo-token",
    server_url = os.getenv("GROWATT_SERVER") or "https://openapi.growatt.com/",
    shdict = DICT, pool = "growatt", timeout = 30,
  })
  ngx.timer.at(0, refresh)
  ngx.timer.every(math.max(1, math.min(interval(), 10)), refresh)
end

--- GET /metrics: the devices' metrics of the last good refresh, the refreshes by result and
-- the data's age.
function M.metrics()
  local d = dict()
  local updated = d:get("v4:updated")
  ngx.header["Content-Type"] = "text/plain; version=0.0.4; charset=utf-8"
  ngx.print(d:get("v4:metrics") or "",
    "# HELP growatt_refreshes_total Background refreshes of the metrics, by result.\n",
    "# TYPE growatt_refreshes_total counter\n",
    'growatt_refreshes_total{result="ok"} ', d:get("v4:refreshes:ok") or 0, "\n",
    'growatt_refreshes_total{result="error"} ', d:get("v4:refreshes:error") or 0, "\n")
  if updated then
    ngx.print("# HELP growatt_data_age_seconds Age of the served metrics, in seconds.\n",
      "# TYPE growatt_data_age_seconds gauge\n",
      "growatt_data_age_seconds ", string.format("%.3f", math.max(0, ngx.now() - updated)), "\n")
  end
end

return M
