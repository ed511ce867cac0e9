# binary-trees (the Computer Language Benchmarks Game), depth 16. Same algorithm as
# binary-trees.ilu: a node is a list [left, right], a leaf is [] (falsy).
def make(d):
    if d == 0:
        return []
    return [make(d - 1), make(d - 1)]


def check(t):
    return 1 + check(t[0]) + check(t[1]) if t else 1


def pow2(k):
    p = 1
    for _ in range(k):
        p = p * 2
    return p


def main():
    n = 16  # bench:size
    min_depth = 4
    max_depth = max(min_depth + 2, n)
    stretch = max_depth + 1
    print(f"stretch tree of depth {stretch}\t check: {check(make(stretch))}")
    long_lived = make(max_depth)
    d = min_depth
    while d <= max_depth:
        iters = pow2(max_depth - d + min_depth)
        c = 0
        for _ in range(iters):
            c = c + check(make(d))
        print(f"{iters}\t trees of depth {d}\t check: {c}")
        d = d + 2
    print(f"long lived tree of depth {max_depth}\t check: {check(long_lived)}")


main()
