-- POST a new post as a guest (the bench sets createRule to "").
local n = 0

request = function()
  n = n + 1
  local body = string.format(
    '{"title":"bench %d","body":"created by the benchmark","views":%d,"published":true}',
    n, n % 1000)
  return wrk.format("POST", "/api/collections/posts/records",
    {["Content-Type"] = "application/json"}, body)
end
