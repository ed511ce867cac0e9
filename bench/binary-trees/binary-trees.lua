-- binary-trees (the Computer Language Benchmarks Game), depth 16. Same algorithm as
-- binary-trees.ilu: a node is {left, right}, a leaf is {}. No bit operators (LuaJIT runs this
-- too), so 2^k is a loop as in the ilusm program.
local function make(d)
  if d == 0 then return {} end
  return { make(d - 1), make(d - 1) }
end

local function check(t)
  if t[1] then return 1 + check(t[1]) + check(t[2]) end
  return 1
end

local function pow2(k)
  local p = 1
  for _ = 1, k do p = p * 2 end
  return p
end

local n = 16 -- bench:size
local min_depth = 4
local max_depth = math.max(min_depth + 2, n)
local stretch = max_depth + 1
io.write(string.format("stretch tree of depth %d\t check: %d\n", stretch, check(make(stretch))))

local long_lived = make(max_depth)
for d = min_depth, max_depth, 2 do
  local iters = pow2(max_depth - d + min_depth)
  local c = 0
  for _ = 1, iters do c = c + check(make(d)) end
  io.write(string.format("%d\t trees of depth %d\t check: %d\n", iters, d, c))
end
io.write(string.format("long lived tree of depth %d\t check: %d\n", max_depth, check(long_lived)))
