/* rss-exec FILE CMD [ARGS...]: runs CMD and writes its peak resident set size (ru_maxrss, KiB)
 * to FILE; exits with CMD's status. bench/harness.py builds and uses it because a child forked
 * from python3 starts with python3's resident pages counted in its ru_maxrss (the count survives
 * exec), which would put a floor of ~17 MB under every measurement; forked from this small
 * program the floor is about 1 MB. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: rss-exec FILE CMD [ARGS...]\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("rss-exec: fork");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror("rss-exec: exec");
        _exit(127);
    }
    int status;
    struct rusage usage;
    if (wait4(pid, &status, 0, &usage) < 0) {
        perror("rss-exec: wait4");
        return 2;
    }
    FILE *f = fopen(argv[1], "w");
    if (!f) {
        perror("rss-exec: open");
        return 2;
    }
    fprintf(f, "%ld\n", usage.ru_maxrss);
    fclose(f);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
