-- A hot arithmetic loop: the same algorithm as loop.ilu.
local function run(n)
    local s = 0
    for i = 0, n - 1 do s = s + i % 7 end
    return s
end
local n = 50000000 -- bench:size
print(string.format("%d", run(n)))
