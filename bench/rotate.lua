-- wrk script: cycles through the request paths listed (one per line) in the file named by
-- the PATHS environment variable. Each of wrk's threads (THREADS of them, default 1) starts in
-- its own part of the list, so no two threads ask for the same page one after the other.
local paths = {}
for line in io.lines(os.getenv("PATHS")) do
  if line ~= "" then paths[#paths + 1] = line end
end

local threads = 0
function setup(thread)
  thread:set("part", threads)
  threads = threads + 1
end

local i = 0
function init(args)
  local n = tonumber(os.getenv("THREADS") or "1")
  i = math.floor(#paths / n) * (part or 0)
end

request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
