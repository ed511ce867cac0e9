-- Closures and objects: the same pipeline as closures.ilu (objects are tables).
local function map(xs, f)
    local out = {}
    for i = 1, #xs do out[#out + 1] = f(xs[i]) end
    return out
end

local function fil(xs, p)
    local out = {}
    for i = 1, #xs do
        local x = xs[i]
        if p(x) then out[#out + 1] = x end
    end
    return out
end

local function fld(xs, acc, f)
    for i = 1, #xs do acc = f(acc, xs[i]) end
    return acc
end

local n = 1000000 -- bench:size
local xs = {}
for i = 0, n - 1 do xs[#xs + 1] = i end
local items = map(xs, function(i) return { id = i, val = i * 7 % 1000 } end)
local limit = 500
local small = fil(items, function(o) return o.val < limit end)
local adders = map(small, function(o) return function(x) return x + o.val end end)
print(string.format("%d", #small))
print(string.format("%d", fld(adders, 0, function(acc, f) return f(acc) % 1000003 end)))
print(string.format("%d", fld(map(small, function(o) return o.id % 10 * o.val end), 0,
    function(a, b) return a + b end)))
