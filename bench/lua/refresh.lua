-- POST auth-refresh with the token in BENCH_TOKEN, to the path in BENCH_PATHS.
local path = ""
local headers = {}

init = function(args)
  for line in io.lines(os.getenv("BENCH_PATHS")) do
    path = line
  end
  headers["Authorization"] = os.getenv("BENCH_TOKEN")
end

request = function()
  return wrk.format("POST", path, headers)
end
