-- String building: the same algorithm as strings.ilu (pairwise concatenation, not table.concat,
-- so that every language does the same work).
local function join_pairwise(parts)
    while #parts > 1 do
        local next = {}
        local m = #parts
        local k = 1
        while k + 1 <= m do
            next[#next + 1] = parts[k] .. "," .. parts[k + 1]
            k = k + 2
        end
        if k <= m then next[#next + 1] = parts[k] end
        parts = next
    end
    return parts[1]
end

local n = 1000000 -- bench:size
local parts = {}
for i = 0, n - 1 do parts[#parts + 1] = tostring(i) end
local s = join_pairwise(parts)
print(string.format("%d", #s))
print(s:sub(-20))
