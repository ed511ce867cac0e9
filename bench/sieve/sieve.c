/* Sieve of Eratosthenes: the same algorithm as sieve.ilu, on a byte array. */
#include <stdio.h>
#include <stdlib.h>

static long sieve(long n) {
    char *flags = malloc(n + 1);
    for (long i = 0; i <= n; i++) flags[i] = 1;
    flags[0] = 0;
    flags[1] = 0;
    for (long p = 2; p * p <= n; p++) {
        if (flags[p]) {
            for (long j = p * p; j <= n; j += p) flags[j] = 0;
        }
    }
    long count = 0;
    for (long i = 0; i <= n; i++) {
        if (flags[i]) count++;
    }
    free(flags);
    return count;
}

#define N 10000000 /* bench:size */

int main(void) {
    printf("%ld\n", sieve(N));
    return 0;
}
