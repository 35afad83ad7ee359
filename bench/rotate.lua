-- wrk script: cycles through the request paths listed (one per line) in the file named by
-- the PATHS environment variable.
local paths = {}
local i = 0
for line in io.lines(os.getenv("PATHS")) do
  if line ~= "" then paths[#paths + 1] = line end
end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
