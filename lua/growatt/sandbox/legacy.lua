-- ShinePhone (legacy app API) endpoints of the sandbox: login, the login error page, the
-- plant list and every read of plants and devices. Shapes follow protocol.md §1.3 and §2.2:
-- values are mostly strings with units.
-- Runs inside nginx (LuaJIT); registered by server.init via register(server).
-- The reads of plants and devices are legacy/reads.lua's.
local data = require("growatt.sandbox.data")
local format = require("growatt.sandbox.legacy.format")
local reads = require("growatt.sandbox.legacy.reads")

local power_text, energy_text, money_text = format.power_text, format.energy_text, format.money_text
local CO2_KG_PER_KWH = format.CO2_KG_PER_KWH

local M = {}

-- Growatt's password hash (protocol.md §1.2): lowercase MD5 hex, then every '0' at an even
-- 0-based index (an odd 1-based position) becomes 'c'.
function M.hash_password(password)
  return (ngx.md5(password):gsub("()0", function(pos)
    if pos % 2 == 1 then return "c" end
  end))
end

---------------------------------------------------------------------------
-- Login

local function refuse(code, message, extra)
  local back = { success = false, msg = code, error = message }
  for k, v in pairs(extra or {}) do back[k] = v end
  return { back = back }
end

local function login_back(state, account, hash)
  local plants, device_count = data.array(), 0
  for i, plant in ipairs(data.plants_of(state, account)) do
    plants[i] = { plantId = plant.id, plantName = plant.name }
    device_count = device_count + #plant.devices
  end
  return {
    success = true, msg = "", data = plants,
    service = "0", quality = "0", isOpenSmartFamily = false, app_code = "",
    deviceCount = tostring(device_count), totalData = {},
    user = {
      id = account.id, accountName = account.name, password = hash,
      rightlevel = account.rightlevel, timeZone = account.timezone,
      userLanguage = account.language, email = account.email, serverUrl = "",
      token = account.token, inverterList = data.array(), dataAcqList = data.array(),
      enabled = true, country = account.country, counrty = account.country, -- sic: both spellings are seen
      lastLoginTime = account.last_login,
    },
  }
end

-- POST newTwoLoginAPI.do, form userName + password (the hash). Codes: 501 no such user,
-- 502 wrong password, 507 locked (checked first: a locked account refuses any password).
local function login(_, ctx)
  local server, params = ctx.server, ctx.params
  server.count("logins")
  local account = ctx.state.accounts[params.userName or ""]
  local hash = account and M.hash_password(account.password)
  local hours = account and server.lock_of(account)
  local refusal
  if not account then
    refusal = refuse("501", "User does not exist")
  elseif hours then
    refusal = refuse("507", "Current account has been locked for 24 hours", { lockDuration = hours })
  elseif params.password ~= hash then
    server.login_failed(account)
    refusal = refuse("502", "Password is incorrect")
  end
  if refusal then
    server.count("login_failed")
    return refusal
  end
  server.login_succeeded(account)
  server.count("login_ok")
  local session = server.new_session(account.id)
  return { back = login_back(ctx.state, account, hash) }, 200, { ["Set-Cookie"] = server.session_cookie(session) }
end

-- Where Growatt redirects requests without a live session.
local function error_page(_, ctx)
  local server = ctx.server
  return server.html(200, "Growatt", "Error: " .. server.escape_html(ctx.params.errorMess or "error"))
end

---------------------------------------------------------------------------
-- Plant list

local function storage_devices(state, plant)
  local list = {}
  for _, device in ipairs(data.devices_of(state, plant)) do
    if device.battery and (device.type == "mix" or device.type == "storage") then list[#list + 1] = device end
  end
  return list
end

local function plant_row(plant, has_storage)
  return {
    plantId = plant.id, plantName = plant.name,
    currentPower = power_text(plant.current_power),
    todayEnergy = energy_text(plant.today_energy),
    totalEnergy = energy_text(plant.total_energy),
    plantMoneyText = money_text(plant.today_energy * plant.price, plant.currency),
    isHaveStorage = tostring(has_storage),
  }
end

-- GET PlantListAPI.do?userId=<id>. Asking for another user's plants (or sending no userId)
-- is refused with success=false rather than answered with empty data: a client that sends
-- a wrong id (e.g. "1234567.0") should see that at once.
local function plant_list(_, ctx)
  local account = ctx.account
  if not account then return ctx.server.not_logged_in() end -- the session's account was removed
  if ctx.params.userId ~= tostring(account.id) then
    return refuse("no permission", "userId is not the logged-in user")
  end
  local rows = data.array()
  local power, today, total, money = 0, 0, 0, 0
  local batteries = {}
  local currency = ""
  for i, plant in ipairs(data.plants_of(ctx.state, account)) do
    local storage = storage_devices(ctx.state, plant)
    rows[i] = plant_row(plant, #storage > 0)
    power, today, total = power + plant.current_power, today + plant.today_energy, total + plant.total_energy
    money, currency = money + plant.total_energy * plant.price, plant.currency
    for _, device in ipairs(storage) do batteries[#batteries + 1] = device.battery end
  end
  local totals = {
    currentPowerSum = power_text(power),
    todayEnergySum = energy_text(today),
    totalEnergySum = energy_text(total),
    CO2Sum = string.format("%.1f T", total * CO2_KG_PER_KWH / 1000),
    eTotalMoneyText = money_text(money, currency),
    isHaveStorage = tostring(#batteries > 0),
  }
  if #batteries > 0 then
    local charge, discharge, to_user, stored, capacity = 0, 0, 0, 0, 0
    for _, b in ipairs(batteries) do
      charge, discharge, to_user = charge + b.charge, discharge + b.discharge, to_user + b.to_user
      stored, capacity = stored + b.soc * b.capacity, capacity + b.capacity
    end
    totals.storagePCharge = power_text(charge)
    totals.storagePDisCharge = power_text(discharge)
    totals.storagePacToUser = power_text(to_user)
    totals.storageCapacity = string.format("%d%%", math.floor(stored / capacity + 0.5)) -- state of charge
  end
  return { back = { success = true, data = rows, totalData = totals } }
end

function M.register(server)
  server.route("newTwoLoginAPI.do", nil, login)
  server.route("error.do", nil, error_page)
  server.route("PlantListAPI.do", nil, plant_list, { session = true })
  reads.register(server)
end

return M
