# n-body: the same algorithm and order of floating-point operations as nbody.ilu. Bodies are
# instances of a class with float fields (__slots__, as a CPython programmer would declare them).
from math import floor, sqrt

PI = 3.141592653589793
SOLAR_MASS = 4 * PI * PI
DAYS_PER_YEAR = 365.24


class Body:
    __slots__ = ("x", "y", "z", "vx", "vy", "vz", "mass")

    def __init__(self, x, y, z, vx, vy, vz, mass):
        self.x, self.y, self.z = x, y, z
        self.vx = vx * DAYS_PER_YEAR
        self.vy = vy * DAYS_PER_YEAR
        self.vz = vz * DAYS_PER_YEAR
        self.mass = mass * SOLAR_MASS


def offset_momentum(bodies):
    px = py = pz = 0
    for b in bodies:
        px = px + b.vx * b.mass
        py = py + b.vy * b.mass
        pz = pz + b.vz * b.mass
    sun = bodies[0]
    sun.vx = -px / SOLAR_MASS
    sun.vy = -py / SOLAR_MASS
    sun.vz = -pz / SOLAR_MASS


def energy(bodies):
    e = 0
    nb = len(bodies)
    for i in range(nb):
        b = bodies[i]
        e = e + 0.5 * b.mass * (b.vx * b.vx + b.vy * b.vy + b.vz * b.vz)
        for j in range(i + 1, nb):
            b2 = bodies[j]
            dx = b.x - b2.x
            dy = b.y - b2.y
            dz = b.z - b2.z
            e = e - b.mass * b2.mass / sqrt(dx * dx + dy * dy + dz * dz)
    return e


def advance(bodies, dt):
    nb = len(bodies)
    for i in range(nb):
        bi = bodies[i]
        for j in range(i + 1, nb):
            bj = bodies[j]
            dx = bi.x - bj.x
            dy = bi.y - bj.y
            dz = bi.z - bj.z
            dsq = dx * dx + dy * dy + dz * dz
            mag = dt / (dsq * sqrt(dsq))
            m = bj.mass * mag
            bi.vx = bi.vx - dx * m
            bi.vy = bi.vy - dy * m
            bi.vz = bi.vz - dz * m
            m = bi.mass * mag
            bj.vx = bj.vx + dx * m
            bj.vy = bj.vy + dy * m
            bj.vz = bj.vz + dz * m
    for b in bodies:
        b.x = b.x + dt * b.vx
        b.y = b.y + dt * b.vy
        b.z = b.z + dt * b.vz


def fix9(x):
    """x with 9 decimals, rounded half up on the scaled value, exactly as nbody.ilu formats it."""
    sign = "-" if x < 0 else ""
    scaled = floor(abs(x) * 1000000000 + 0.5)
    ip = floor(scaled / 1000000000)
    return f"{sign}{ip}.{scaled - ip * 1000000000:09d}"


bodies = [
    Body(0, 0, 0, 0, 0, 0, 1),
    Body(4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
         1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05,
         9.54791938424326609e-04),
    Body(8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
         -2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05,
         2.85885980666130812e-04),
    Body(1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
         2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05,
         4.36624404335156298e-05),
    Body(1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
         2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05,
         5.15138902046611451e-05),
]

n = 1000000  # bench:size
offset_momentum(bodies)
print(fix9(energy(bodies)))
for _ in range(n):
    advance(bodies, 0.01)
print(fix9(energy(bodies)))
