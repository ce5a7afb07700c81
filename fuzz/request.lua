-- Fuzz target: building and sending a request (request.c, apply.c: the method, URL and query, the
-- form, multipart or raw body, headers, timeout, the session's user agent; encode.c; the reset
-- between requests). The bytes pick every argument of session:request, good or bad. A request
-- that raises must send nothing; one that is sent must be one well-formed HTTP/1.1 request
-- carrying exactly what was asked (no header split by CR or LF, no header that was not asked
-- for or that curl does not add, the body encoded as core.encode does); and the next request
-- on the session must carry nothing of it.
local data, core, H = ...
local r = H.reader(data)

local function value()
  local kind = r.byte() % 8
  if kind == 0 then return r.integer() end
  if kind == 1 then return r.float() end
  if kind == 2 then return r.pick({ true, false, {} }) end
  return r.field()
end

local function pair_list()
  local list = {}
  for i = 1, r.byte() % 6 do list[i] = r.byte() % 16 == 0 and r.field() or { r.field(), value() } end
  return list
end

local method = r.pick({ "GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", false })
method = method or r.field()
-- a path under base_url, or an absolute http:// URL (never https://: there is no TLS here)
local url = r.field():gsub("^[Hh][Tt][Tt][Pp][Ss]", "http")
local opts = {}
local body_kind = r.pick({ "none", "form", "multipart", "body", "none" })
if body_kind == "form" then opts.form = pair_list() end
if body_kind == "multipart" then opts.multipart = pair_list() end
if body_kind == "body" then
  opts.body = r.field()
  if r.byte() % 2 == 0 then opts.content_type = r.field() end
end
if r.byte() % 2 == 0 then opts.query = pair_list() end
if r.byte() % 2 == 0 then
  opts.headers = pair_list()
  for _ = 1, r.byte() % 3 do opts.headers[r.field()] = value() end
end
if r.byte() % 4 == 0 then opts.timeout = r.float() end

-- the user agent comes last, so that the inputs of the seed corpus keep their meaning
local agent = r.more() and r.field() or nil
local made, s = pcall(core.session, { base_url = "http://fuzz.test/api/", timeout = 2, connect_timeout = 2,
  user_agent = agent })
if not made then
  H.check(type(s) == "string" and agent:find("[%z\1-\8\10-\31\127]"), "session raised: %s", tostring(s))
  return
end
-- the headers curl adds itself; any other one on the wire must have been asked for
local asked = { host = true, ["user-agent"] = true, accept = true, ["accept-encoding"] = true,
  ["content-type"] = true, ["content-length"] = true, expect = true, ["transfer-encoding"] = true }
asked.authorization = url:find("@", 1, true) ~= nil -- curl sends a URL's user name as Basic auth
for k, v in pairs(opts.headers or {}) do
  local name = type(k) == "string" and k or type(v) == "table" and v[1]
  if type(name) == "string" then asked[name:lower()] = true end
end
local reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
local ok, res, err, wire = H.exchange(s, reply, method, url, opts)
if not ok then
  H.check(type(res) == "string", "request raised a %s", type(res))
  H.check(wire == "", "request raised (%s) but sent %q", res, wire)
elseif wire ~= "" then
  local head, body = wire:match("^(.-\r\n)\r\n(.*)$")
  H.check(head ~= nil, "no end of headers in %q", wire)
  local line, rest = head:match("^([^\r\n]*)\r\n(.*)$")
  H.check(line:sub(1, #method + 1) == method .. " " and line:match(" HTTP/1%.1$"), "request line %q", line)
  local sent = {}
  for header in rest:gmatch("(.-)\r\n") do
    local name = header:match("^([!#$%%&'*+%-.^_`|~%w]+):")
    H.check(name and not header:find("[\r\n]"), "malformed header line %q", header)
    H.check(asked[name:lower()], "a header that was not asked for: %q", header)
    sent[name:lower()] = header:match("^[^:]+:%s*(.-)%s*$")
  end
  if opts.form and #opts.form > 0 and res then
    H.check(body == core.encode(opts.form), "form body %q, want %q", body, core.encode(opts.form))
  elseif opts.body and res and method ~= "HEAD" then
    H.check(body == opts.body, "body %q, want %q", body, opts.body)
    -- a blank content_type means none at all
    H.check(sent["content-type"] ~= nil or (opts.content_type or "x"):match("^[ \t]*$"),
      "a body without a Content-Type")
  end
  if opts.query and #opts.query > 0 and res then
    local encoded = core.encode(opts.query)
    H.check(line:find(encoded, 1, true), "the query %q is not in %q", encoded, line)
  end
else
  H.check(err ~= nil, "nothing was sent and there is no error")
end
H.still_works(s)
s:close()
