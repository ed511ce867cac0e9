-- Naive doubly recursive Fibonacci: the same algorithm as fib.ilu.
local function fib(n)
    if n < 2 then return n end
    return fib(n - 1) + fib(n - 2)
end
local n = 35 -- bench:size
print(string.format("%d", fib(n)))
