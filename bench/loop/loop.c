/* A hot arithmetic loop: the same algorithm as loop.ilu, with C's native integer type. n passes
 * through a volatile so gcc cannot fold the whole loop into a constant at compile time. */
#include <stdio.h>

static long run(long n) {
    long s = 0;
    for (long i = 0; i < n; i++) s = s + i % 7;
    return s;
}

#define N 50000000 /* bench:size */

int main(void) {
    volatile long n = N;
    printf("%ld\n", run(n));
    return 0;
}
