/* Naive doubly recursive Fibonacci: the same algorithm as fib.ilu, with C's native integer type
 * (the baseline the AOT compiler is measured against). */
#include <stdio.h>

static long fib(long n) {
    if (n < 2) return n;
    return fib(n - 1) + fib(n - 2);
}

#define N 35 /* bench:size */

int main(void) {
    printf("%ld\n", fib(N));
    return 0;
}
