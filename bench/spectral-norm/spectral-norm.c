/* spectral-norm: the same algorithm and order of floating-point operations as spectral-norm.ilu.
 * A's denominator is computed in integers: every intermediate is an exact integer far below 2^53,
 * so it equals the double the other languages compute. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static double a(long i, long j) { return 1.0 / ((i + j) * (i + j + 1) / 2 + i + 1); }

static void mul_av(long n, const double *v, double *out) {
    for (long i = 0; i < n; i++) {
        double s = 0;
        for (long j = 0; j < n; j++) s = s + a(i, j) * v[j];
        out[i] = s;
    }
}

static void mul_atv(long n, const double *v, double *out) {
    for (long i = 0; i < n; i++) {
        double s = 0;
        for (long j = 0; j < n; j++) s = s + a(j, i) * v[j];
        out[i] = s;
    }
}

static void mul_atav(long n, const double *v, double *out, double *tmp) {
    mul_av(n, v, tmp);
    mul_atv(n, tmp, out);
}

/* x with 9 decimals, rounded half up on the scaled value, exactly as spectral-norm.ilu does. */
static void print_fix9(double x) {
    double scaled = floor(fabs(x) * 1000000000 + 0.5);
    double ip = floor(scaled / 1000000000);
    printf("%s%lld.%09lld\n", x < 0 ? "-" : "", (long long)ip,
           (long long)(scaled - ip * 1000000000));
}

#define N 1000 /* bench:size */

int main(void) {
    long n = N;
    double *u = malloc(n * sizeof *u), *v = malloc(n * sizeof *v), *tmp = malloc(n * sizeof *tmp);
    for (long i = 0; i < n; i++) u[i] = 1, v[i] = 0, tmp[i] = 0;
    for (int k = 0; k < 10; k++) {
        mul_atav(n, u, v, tmp);
        mul_atav(n, v, u, tmp);
    }
    double vbv = 0, vv = 0;
    for (long i = 0; i < n; i++) {
        vbv = vbv + u[i] * v[i];
        vv = vv + v[i] * v[i];
    }
    print_fix9(sqrt(vbv / vv));
    free(u), free(v), free(tmp);
    return 0;
}
