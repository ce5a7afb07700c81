-- The Lua side of examples/openresty/nginx-v4.conf: Prometheus metrics of every device of an
-- OpenAPI v4 token (growatt.v4), refreshed in the background and served from a shared dict.
--
-- growatt.ngx wraps the password client (growatt.new) only, so this runs the v4 client in
-- nginx's thread pool itself: `collect` runs in a thread VM (ngx.run_worker_thread), where
-- blocking in libcurl stalls no event loop, and returns the metrics as text. The client keeps
-- Growatt's intervals in the shared dict (growatt.store_shdict), so no two workers or threads
-- send a request inside one; one refresh runs at a time over all workers, at most one per
-- GROWATT_REFRESH seconds (default 300, queryLastData's interval). The token is read from the
-- environment in the worker and crosses into the thread as an argument; it is never logged.
local M = {}

local DICT = "growatt"

local function dict() return ngx.shared[DICT] end

local function interval()
  return tonumber(os.getenv("GROWATT_REFRESH") or "") or 300
end

---------------------------------------------------------------------------
-- The thread side

--- Runs in a thread VM: every device's reading over the v4, as Prometheus text
-- (growatt.export); or nil and the error's message.
function M.collect(server_url, token)
  local growatt = require("growatt")
  local export = require("growatt.export")
  local store = require("growatt.store_shdict").new(DICT, "metrics-v4")
  local api = growatt.v4({ server_url = server_url, token = token, store = store, timeout = 30 })
  local records, err = api:readings()
  api:close()
  if not records then return nil, tostring(err) end
  return export.prometheus(records)
end

---------------------------------------------------------------------------
-- The event loop side

local function refresh(premature)
  if premature then return end
  local d = dict()
  if not d:add("v4:running", ngx.worker.pid(), 600) then return end
  if d:add("v4:due", true, interval()) then
    local ok, text, err = ngx.run_worker_thread("growatt", "metrics_v4", "collect",
      os.getenv("GROWATT_SERVER") or "https://openapi.growatt.com/", os.getenv("GROWATT_TOKEN") or "demo-token")
    if ok and text then
      d:set("v4:metrics", text)
      d:set("v4:updated", ngx.now())
      d:incr("v4:refreshes:ok", 1, 0)
    else
      d:incr("v4:refreshes:error", 1, 0)
      ngx.log(ngx.WARN, "v4 metrics refresh failed, serving the last good ones: ", tostring(ok and err or text))
    end
  end
  d:delete("v4:running")
end

--- init_worker: this worker's refresh timer.
function M.start()
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
