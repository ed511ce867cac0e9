# A hot arithmetic loop: the same algorithm as loop.ilu.
def run(n):
    s = 0
    for i in range(n):
        s = s + i % 7
    return s


n = 50000000  # bench:size
print(run(n))
