-- Sieve of Eratosthenes: the same algorithm as sieve.ilu (index 0 lives in the table's hash part,
-- 1..n in its array part).
local function sieve(n)
    local flags = {}
    for i = 0, n do flags[i] = true end
    flags[0] = false
    flags[1] = false
    local p = 2
    while p * p <= n do
        if flags[p] then
            local j = p * p
            while j <= n do
                flags[j] = false
                j = j + p
            end
        end
        p = p + 1
    end
    local count = 0
    for i = 0, n do
        if flags[i] then count = count + 1 end
    end
    return count
end

local n = 10000000 -- bench:size
print(string.format("%d", sieve(n)))
