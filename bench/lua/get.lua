-- GET one of many paths, in turn: BENCH_PATHS is a file with one path per line.
-- BENCH_TOKEN, when set, is sent as the Authorization header.
local paths = {}
local i = 0
local headers = {}

init = function(args)
  for line in io.lines(os.getenv("BENCH_PATHS")) do
    paths[#paths + 1] = line
  end
  local token = os.getenv("BENCH_TOKEN")
  if token ~= nil and token ~= "" then
    headers["Authorization"] = token
  end
end

request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], headers)
end
