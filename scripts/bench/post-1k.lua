-- wrk script: POST a 1 KB JSON body to /echo.
local items = {}
for i = 1, 40 do items[#items + 1] = string.format('"k%02d":"%s"', i, string.rep("v", 14)) end
wrk.method = "POST"
wrk.body = "{" .. table.concat(items, ",") .. "}"
wrk.headers["Content-Type"] = "application/json"
