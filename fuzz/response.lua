-- Fuzz target: reading a reply. The bytes are a raw HTTP response, as a server could send it,
-- read by session:request through libcurl and the core's header and body callbacks (the
-- header accumulation, the max_body cap, the header table). The first byte picks max_body.
-- Whatever comes back must be a well-formed result or a transport error, and the session must
-- answer the next request as usual.
local data, core, H = ...
local r = H.reader(data)
local KINDS = { network = true, protocol = true, timeout = true, tls = true }

local max_body = r.pick({ false, 0, 1, 2, 16, 100, 4096 })
local s = core.session({ timeout = 2, connect_timeout = 2 })
if max_body then s:configure({ max_body = max_body }) end

local ok, res, err = H.exchange(s, r.rest(), "GET", "http://fuzz.test/reply")
H.check(ok, "request raised: %s", tostring(res))
if res then
  H.check(err == nil, "both a result and an error")
  H.check(math.type(res.status) == "integer" and res.status >= 100 and res.status <= 999, "status %s", res.status)
  H.check(type(res.body) == "string", "body is a %s", type(res.body))
  H.check(not max_body or #res.body <= max_body, "a body of %d bytes passed max_body %s", #res.body, max_body)
  H.check(type(res.url) == "string" and type(res.elapsed) == "number", "url or elapsed missing")
  H.check(res.redirect_url == nil or type(res.redirect_url) == "string", "redirect_url")
  for name, value in pairs(res.headers) do
    H.check(type(name) == "string" and name ~= "" and not name:find("[A-Z:\r\n]"), "header name %q", tostring(name))
    H.check(type(value) == "string", "header %s is a %s", name, type(value))
  end
else
  H.check(type(err) == "table" and KINDS[err.kind], "error kind %s", tostring(err and err.kind))
  H.check(type(err.message) == "string" and err.message ~= "", "error message")
  H.check(tostring(err) == "growatt: " .. err.kind .. ": " .. err.message, "tostring(err) %q", tostring(err))
end
s:configure({ max_body = 8 * 1024 * 1024 })
H.still_works(s)
s:close()
