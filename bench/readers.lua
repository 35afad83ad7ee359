-- wrk script: every request from a different reader. Each request carries a browser's
-- User-Agent and an X-Forwarded-For address of its own (the server is started with
-- trusted_proxies = ["127.0.0.1"]), so a view counter sees a new reader every time: the
-- most work counting can cost a page. PATH names the page.
local path = os.getenv("PATH_TO_READ") or "/"
local ua = "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
local threads = 0
function setup(thread)
  thread:set("part", threads)
  threads = threads + 1
end
local n = 0
function init(args)
  n = (part or 0) * 16777216
end
request = function()
  n = n + 1
  local addr = string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  return wrk.format("GET", path, { ["User-Agent"] = ua, ["X-Forwarded-For"] = addr })
end
