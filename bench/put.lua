-- wrk script for bench/run.mjs: PUT requests with a 4 KiB body.
--   wrk ... -s bench/put.lua URL -- <mode> <path> [size]
--   mode "unique": path is a prefix; each request goes to <path><thread>-<n>.bin (nginx DAV)
--   mode "fixed":  every request goes to <path> (e.g. /api/file/small.bin for Stowage)
-- Every body is different (thread and counter in its first bytes), so a content-addressed
-- store cannot deduplicate the uploads.

local counter = 1

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  mode = args[1] or "fixed"
  target = args[2] or "/"
  size = tonumber(args[3] or "4096")
  n = 0
  local seed = {}
  for i = 1, size do
    seed[i] = string.char(97 + (i * 7 + tid * 13) % 26)
  end
  filler = table.concat(seed)
  headers = { ["Content-Type"] = "application/octet-stream" }
end

function request()
  n = n + 1
  local tag = string.format("%04d:%012d\n", tid, n)
  local body = tag .. string.sub(filler, 1, size - #tag)
  local path = target
  if mode == "unique" then
    path = target .. tid .. "-" .. n .. ".bin"
  end
  return wrk.format("PUT", path, headers, body)
end
