# Closures and objects: the same pipeline as closures.ilu (objects are dicts, like ilusm's
# string-keyed objects; map/fil/fld are hand-written, not the builtins).
def map_(xs, f):
    out = []
    for x in xs:
        out.append(f(x))
    return out


def fil(xs, p):
    out = []
    for x in xs:
        if p(x):
            out.append(x)
    return out


def fld(xs, acc, f):
    for x in xs:
        acc = f(acc, x)
    return acc


def main():
    n = 1000000  # bench:size
    xs = []
    for i in range(n):
        xs.append(i)
    items = map_(xs, lambda i: {"id": i, "val": i * 7 % 1000})
    limit = 500
    small = fil(items, lambda o: o["val"] < limit)
    adders = map_(small, lambda o: lambda x: x + o["val"])
    print(len(small))
    print(fld(adders, 0, lambda acc, f: f(acc) % 1000003))
    print(fld(map_(small, lambda o: o["id"] % 10 * o["val"]), 0, lambda a, b: a + b))


main()
