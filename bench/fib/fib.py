# Naive doubly recursive Fibonacci: the same algorithm as fib.ilu.
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


n = 35  # bench:size
print(fib(n))
