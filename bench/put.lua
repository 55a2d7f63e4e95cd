-- wrk script for bench/run.mjs: PUT requests with a 4 KiB body.
--   wrk ... -s bench/put.lua URL -- <mode> <path> [size]
--   mode "unique": path is a prefix; each request goes to <path><run>-<thread>-<n>.bin (nginx DAV)
--   mode "fixed":  every request goes to <path> (e.g. /api/file/small.bin for Stowage)
-- Every body is different (a random tag of the run, the thread and a counter in its first bytes),
-- also from one wrk run to the next (the warm-up and the measured run on the same server), so a
-- content-addressed store cannot deduplicate the uploads and nginx never overwrites a file.

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
  local random = assert(io.open("/dev/urandom", "rb"))
  run = string.gsub(random:read(6), ".", function(c) return string.format("%02x", string.byte(c)) end)
  random:close()
  local seed = {}
  for i = 1, size do
    seed[i] = string.char(97 + (i * 7 + tid * 13) % 26)
  end
  filler = table.concat(seed)
  headers = { ["Content-Type"] = "application/octet-stream" }
end

function request()
  n = n + 1
  local tag = string.format("%s:%04d:%012d\n", run, tid, n)
  local body = tag .. string.sub(filler, 1, size - #tag)
  local path = target
  if mode == "unique" then
    path = target .. run .. "-" .. tid .. "-" .. n .. ".bin"
  end
  return wrk.format("PUT", path, headers, body)
end
