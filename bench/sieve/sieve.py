# Sieve of Eratosthenes: the same algorithm as sieve.ilu (the list grows by append, as in ilusm).
def sieve(n):
    flags = []
    for _ in range(n + 1):
        flags.append(True)
    flags[0] = False
    flags[1] = False
    p = 2
    while p * p <= n:
        if flags[p]:
            j = p * p
            while j <= n:
                flags[j] = False
                j = j + p
        p = p + 1
    count = 0
    for f in flags:
        if f:
            count = count + 1
    return count


n = 10000000  # bench:size
print(sieve(n))
