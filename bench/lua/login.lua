-- POST a password login for one of the seeded users in turn: BENCH_PATHS holds the
-- auth-with-password path, BENCH_LOGINS the identities (one a line), BENCH_SECRET the password.
local path = ""
local identities = {}
local secret = ""
local i = 0

init = function(args)
  for line in io.lines(os.getenv("BENCH_PATHS")) do
    path = line
  end
  for line in io.lines(os.getenv("BENCH_LOGINS")) do
    identities[#identities + 1] = line
  end
  secret = os.getenv("BENCH_SECRET")
end

request = function()
  i = i % #identities + 1
  local body = string.format('{"identity":"%s","password":"%s"}', identities[i], secret)
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end
