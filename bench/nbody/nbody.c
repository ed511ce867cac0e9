/* n-body: the same algorithm and order of floating-point operations as nbody.ilu (gcc -O2 on
 * x86_64 uses SSE2 without fused multiply-add, so the energies are bit-identical). */
#include <math.h>
#include <stdio.h>

#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24
#define NB 5

struct body { double x, y, z, vx, vy, vz, mass; };

static struct body body(double x, double y, double z, double vx, double vy, double vz,
                        double mass) {
    struct body b = {x, y, z, vx * DAYS_PER_YEAR, vy * DAYS_PER_YEAR, vz * DAYS_PER_YEAR,
                     mass * SOLAR_MASS};
    return b;
}

static void offset_momentum(struct body *bodies) {
    double px = 0, py = 0, pz = 0;
    for (int i = 0; i < NB; i++) {
        px = px + bodies[i].vx * bodies[i].mass;
        py = py + bodies[i].vy * bodies[i].mass;
        pz = pz + bodies[i].vz * bodies[i].mass;
    }
    bodies[0].vx = -px / SOLAR_MASS;
    bodies[0].vy = -py / SOLAR_MASS;
    bodies[0].vz = -pz / SOLAR_MASS;
}

static double energy(const struct body *bodies) {
    double e = 0;
    for (int i = 0; i < NB; i++) {
        const struct body *b = &bodies[i];
        e = e + 0.5 * b->mass * (b->vx * b->vx + b->vy * b->vy + b->vz * b->vz);
        for (int j = i + 1; j < NB; j++) {
            const struct body *b2 = &bodies[j];
            double dx = b->x - b2->x, dy = b->y - b2->y, dz = b->z - b2->z;
            e = e - b->mass * b2->mass / sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static void advance(struct body *bodies, double dt) {
    for (int i = 0; i < NB; i++) {
        struct body *bi = &bodies[i];
        for (int j = i + 1; j < NB; j++) {
            struct body *bj = &bodies[j];
            double dx = bi->x - bj->x, dy = bi->y - bj->y, dz = bi->z - bj->z;
            double dsq = dx * dx + dy * dy + dz * dz;
            double mag = dt / (dsq * sqrt(dsq));
            double m = bj->mass * mag;
            bi->vx = bi->vx - dx * m;
            bi->vy = bi->vy - dy * m;
            bi->vz = bi->vz - dz * m;
            m = bi->mass * mag;
            bj->vx = bj->vx + dx * m;
            bj->vy = bj->vy + dy * m;
            bj->vz = bj->vz + dz * m;
        }
    }
    for (int i = 0; i < NB; i++) {
        bodies[i].x = bodies[i].x + dt * bodies[i].vx;
        bodies[i].y = bodies[i].y + dt * bodies[i].vy;
        bodies[i].z = bodies[i].z + dt * bodies[i].vz;
    }
}

/* x with 9 decimals, rounded half up on the scaled value, exactly as nbody.ilu formats it. */
static void print_fix9(double x) {
    double scaled = floor(fabs(x) * 1000000000 + 0.5);
    double ip = floor(scaled / 1000000000);
    printf("%s%lld.%09lld\n", x < 0 ? "-" : "", (long long)ip,
           (long long)(scaled - ip * 1000000000));
}

#define N 1000000 /* bench:size */

int main(void) {
    struct body bodies[NB] = {
        body(0, 0, 0, 0, 0, 0, 1),
        body(4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
             1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05,
             9.54791938424326609e-04),
        body(8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
             -2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05,
             2.85885980666130812e-04),
        body(1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
             2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05,
             4.36624404335156298e-05),
        body(1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
             2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05,
             5.15138902046611451e-05),
    };
    offset_momentum(bodies);
    print_fix9(energy(bodies));
    for (long k = 0; k < N; k++) advance(bodies, 0.01);
    print_fix9(energy(bodies));
    return 0;
}
