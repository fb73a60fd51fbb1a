-- wrk script: POST /api/v1/contacts with a JSON body whose email varies per request (thread
-- number + counter), so every create is a distinct row. The Authorization header comes from
-- wrk's -H option. The names do not contain "lovelace" so the search benchmark's matches stay
-- the seeded ones.
local counter = 0
local threads = 0
tid = 0 -- global: setup() sets it per thread

function setup(thread)
   threads = threads + 1
   thread:set("tid", threads)
end

function init(args)
   wrk.method = "POST"
   wrk.path = "/api/v1/contacts"
   wrk.headers["Content-Type"] = "application/json"
end

function request()
   counter = counter + 1
   local body = string.format(
      '{"firstName":"Grace","lastName":"Hopper","email":"grace.%d.%d@example.com"}', tid, counter)
   return wrk.format(nil, nil, nil, body)
end
