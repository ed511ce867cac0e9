# String building: the same algorithm as strings.ilu (pairwise concatenation, not str.join, so
# that every language does the same work).
def join_pairwise(parts):
    while len(parts) > 1:
        nxt = []
        m = len(parts)
        k = 0
        while k + 1 < m:
            nxt.append(parts[k] + "," + parts[k + 1])
            k = k + 2
        if k < m:
            nxt.append(parts[k])
        parts = nxt
    return parts[0]


def main():
    n = 1000000  # bench:size
    parts = []
    for i in range(n):
        parts.append(str(i))
    s = join_pairwise(parts)
    print(len(s))
    print(s[-20:])


main()
