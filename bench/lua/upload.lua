-- POST a record with one file of BENCH_UPLOAD_BYTES bytes as multipart/form-data to the
-- path in BENCH_PATHS (first line); the body is built once.
local path = ""
local body = ""
local boundary = "benchboundary7a1f"
local headers = {}

init = function(args)
  for line in io.lines(os.getenv("BENCH_PATHS")) do
    path = line
    break
  end
  local size = tonumber(os.getenv("BENCH_UPLOAD_BYTES"))
  local chunk = "0123456789abcdef"
  local data = string.rep(chunk, math.floor(size / #chunk))
  body = "--" .. boundary .. "\r\n"
    .. 'Content-Disposition: form-data; name="title"\r\n\r\nbench\r\n'
    .. "--" .. boundary .. "\r\n"
    .. 'Content-Disposition: form-data; name="doc"; filename="bench.bin"\r\n'
    .. "Content-Type: application/octet-stream\r\n\r\n"
    .. data .. "\r\n--" .. boundary .. "--\r\n"
  headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
end

request = function()
  return wrk.format("POST", path, headers, body)
end
