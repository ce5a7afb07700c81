-- HTTP for the sandbox, inside nginx (LuaJIT, Lua 5.1 API): the request as the sandbox
-- records it, and the replies it sends.
--
-- A request record: method, path (no leading /), op (op or action, from the query or the
-- body), query, form and multipart as ordered {name, value} pairs exactly as sent (a
-- duplicate stays a duplicate), body, content_type, headers (lower-case names), user_agent,
-- cookie, time. A reply is { status = n, body = string, headers = { name = value } }.
local data = require("growatt.sandbox.data")
local json = require("growatt.sandbox.json")

local M = {}

M.JSON_TYPE = "application/json;charset=UTF-8"
M.HTML_TYPE = "text/html;charset=UTF-8"

---------------------------------------------------------------------------
-- Replies

local reply_mt = {}

-- body: a table (sent as JSON) or a string (sent as is, JSON content type unless headers say otherwise).
function M.reply(status, body, headers)
  headers = headers or {}
  if type(body) == "table" then body = json.encode(body) end
  if not headers["Content-Type"] then headers["Content-Type"] = M.JSON_TYPE end
  return setmetatable({ status = status or 200, body = body or "", headers = headers }, reply_mt)
end

function M.is_reply(value) return getmetatable(value) == reply_mt end

function M.escape_html(s)
  return (s:gsub("[<>&\"]", { ["<"] = "&lt;", [">"] = "&gt;", ["&"] = "&amp;", ['"'] = "&quot;" }))
end

-- An HTML page as it is (Growatt's own pages).
function M.page(status, page) return M.reply(status, page, { ["Content-Type"] = M.HTML_TYPE }) end

-- A small HTML page; text is HTML, so escape what comes from the request.
function M.html(status, title, text)
  return M.page(status, "<!DOCTYPE html><html><head><title>" .. title .. "</title></head><body><h1>" ..
    title .. "</h1><p>" .. (text or "") .. "</p></body></html>\n")
end

-- Sends a reply; returns true when the connection must then be closed (a truncated reply).
function M.send(res)
  ngx.status = res.status
  for name, value in pairs(res.headers) do ngx.header[name] = value end
  ngx.header["Content-Length"] = #res.body -- lets clients apply a size cap before reading
  if res.truncate then
    ngx.print(res.body:sub(1, res.truncate))
    ngx.flush(true)
    return true
  end
  if res.drip then
    for i = 1, #res.body do
      if i > 1 then ngx.sleep(res.drip) end
      ngx.print(res.body:sub(i, i))
      if not ngx.flush(true) then return true end -- the client has gone
    end
    return
  end
  ngx.print(res.body)
end

---------------------------------------------------------------------------
-- Requests. Query and bodies are parsed here, not with ngx.req.get_uri_args, to keep the
-- order and the duplicates exactly as the client sent them.

local function unescape(s)
  s = s:gsub("+", " ")
  return (s:gsub("%%(%x%x)", function(hex) return string.char(tonumber(hex, 16)) end))
end

-- "a=1&b=x%20y&a=2" -> { {"a","1"}, {"b","x y"}, {"a","2"} }; "flag" alone -> {"flag",""}.
local function parse_urlencoded(s)
  local pairs_ = data.array()
  for piece in (s or ""):gmatch("[^&]+") do
    local name, value = piece:match("^([^=]*)=(.*)$")
    pairs_[#pairs_ + 1] = { unescape(name or piece), unescape(value or "") }
  end
  return pairs_
end

-- multipart/form-data -> { {name, value}, ... } or { name, value, filename } for file parts.
local function parse_multipart(body, boundary)
  local parts = data.array()
  local delimiter = "--" .. boundary
  local pos = body:find(delimiter, 1, true)
  while pos do
    local head_start = pos + #delimiter
    if body:sub(head_start, head_start + 1) == "--" then break end -- the closing delimiter
    local head_end = body:find("\r\n\r\n", head_start, true)
    local next_pos = head_end and body:find("\r\n" .. delimiter, head_end + 4, true)
    if not next_pos then break end
    local head = body:sub(head_start, head_end - 1)
    local name = head:match(';%s*[Nn][Aa][Mm][Ee]="([^"]*)"')
    if name then
      parts[#parts + 1] = { name, body:sub(head_end + 4, next_pos - 1), head:match(';%s*filename="([^"]*)"') }
    end
    pos = next_pos + 2
  end
  return parts
end

function M.read_body()
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if body then return body end
  local file = ngx.req.get_body_file() -- only if the body outgrew client_body_buffer_size
  if not file then return "" end
  local f = io.open(file, "rb")
  body = f and f:read("*a") or ""
  if f then f:close() end
  return body
end

local function request_headers()
  local headers = {}
  for name, value in pairs(ngx.req.get_headers(200)) do
    headers[name] = type(value) == "table" and table.concat(value, ", ") or value
  end
  return headers
end

-- The record of the request being answered, for the path given (see the top of this file).
function M.request(path)
  local headers = request_headers()
  local content_type = headers["content-type"] or ""
  local body = M.read_body()
  local req = {
    method = ngx.req.get_method(),
    path = path,
    query = parse_urlencoded(ngx.var.args),
    form = data.array(),
    multipart = data.array(),
    body = body,
    content_type = headers["content-type"],
    headers = headers,
    user_agent = headers["user-agent"],
    cookie = headers["cookie"],
    time = ngx.now(),
  }
  local lower = content_type:lower()
  if lower:find("application/x-www-form-urlencoded", 1, true) then
    req.form = parse_urlencoded(body)
  elseif lower:find("multipart/form-data", 1, true) then
    local boundary = content_type:match('[Bb]oundary="([^"]+)"') or content_type:match("[Bb]oundary=([^;%s]+)")
    if boundary then req.multipart = parse_multipart(body, boundary) end
  end
  -- A servlet reads a parameter from the query or the body alike, so the op may be in either.
  local params = M.params(req)
  req.op = params.op or params.action
  return req
end

-- name -> first value, from the query, then the form, then the multipart body.
function M.params(req)
  local params = {}
  for _, list in ipairs({ req.query, req.form, req.multipart }) do
    for _, p in ipairs(list) do
      if params[p[1]] == nil then params[p[1]] = p[2] end
    end
  end
  return params
end

return M
