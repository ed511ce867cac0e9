# spectral-norm: the same algorithm and order of floating-point operations as spectral-norm.ilu.
from math import floor, sqrt


def a(i, j):
    return 1 / ((i + j) * (i + j + 1) / 2 + i + 1)


def mul_av(n, v, out):
    for i in range(n):
        s = 0
        for j in range(n):
            s = s + a(i, j) * v[j]
        out[i] = s


def mul_atv(n, v, out):
    for i in range(n):
        s = 0
        for j in range(n):
            s = s + a(j, i) * v[j]
        out[i] = s


def mul_atav(n, v, out, tmp):
    mul_av(n, v, tmp)
    mul_atv(n, tmp, out)


def filled(n, x):
    xs = []
    for _ in range(n):
        xs.append(x)
    return xs


def fix9(x):
    """x with 9 decimals, rounded half up on the scaled value, exactly as spectral-norm.ilu does."""
    sign = "-" if x < 0 else ""
    scaled = floor(abs(x) * 1000000000 + 0.5)
    ip = floor(scaled / 1000000000)
    return f"{sign}{ip}.{scaled - ip * 1000000000:09d}"


def main():
    n = 1000  # bench:size
    u, v, tmp = filled(n, 1), filled(n, 0), filled(n, 0)
    for _ in range(10):
        mul_atav(n, u, v, tmp)
        mul_atav(n, v, u, tmp)
    vbv = vv = 0
    for i in range(n):
        vbv = vbv + u[i] * v[i]
        vv = vv + v[i] * v[i]
    print(fix9(sqrt(vbv / vv)))


main()
