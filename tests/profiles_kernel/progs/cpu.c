/* Workloads for the profiler's kernel tests; every mode stops on its own after a bound.
 *   cpu ratio SECONDS N1 N2   hot_double(N1) and hot_single(N2) in turn (loop counts)
 *   cpu syscalls SECONDS      getppid + write(/dev/null) in syscall_loop
 *   cpu short MILLISECONDS    short_lived_hot, then exit
 *   cpu deep SECONDS          recursion of varying depth: many distinct stacks
 * Built with frame pointers (see tests/profiles_kernel/conftest.py). Each hot function calls
 * consume() so it has a frame: gcc 12 drops the frame pointer of frameless leaf functions
 * even with -mno-omit-leaf-frame-pointer, which would hide their callers. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

volatile unsigned long sink;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

__attribute__((noinline)) void consume(unsigned long v) { sink = v; }

#define SPIN(n)                                          \
	unsigned long a = 0;                             \
	for (unsigned long i = 0; i < (n); i++) {        \
		a += i * 3;                              \
		sink = a;                                \
	}                                                \
	consume(a)

/* Same code at the same alignment: the loops cost the same per iteration (a loop branch
 * crossing a 32-byte boundary alone can make one copy twice as slow on some CPUs). */
__attribute__((noinline, aligned(64))) void hot_double(unsigned long n) { SPIN(n); }
__attribute__((noinline, aligned(64))) void hot_single(unsigned long n) { SPIN(n); }
__attribute__((noinline)) void short_lived_hot(unsigned long n) { SPIN(n); }

/* The syscall instruction is issued here, not in libc's frameless wrappers, so the user
 * stack at the kernel entry starts in syscall_loop. */
static inline long raw_syscall3(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

__attribute__((noinline)) void syscall_loop(int fd)
{
	char buf[64];
	memset(buf, 'x', sizeof(buf));
	for (int i = 0; i < 1000; i++) {
		raw_syscall3(SYS_getppid, 0, 0, 0);
		if (raw_syscall3(SYS_write, fd, (long)buf, sizeof(buf)) < 0)
			exit(3);
	}
	consume((unsigned long)fd);
}

__attribute__((noinline)) unsigned long recurse(int depth)
{
	if (depth <= 0) {
		SPIN(20000);
		return a;
	}
	return recurse(depth - 1) + 1;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: cpu ratio|syscalls|short|deep ARG...\n");
		return 2;
	}
	double secs = atof(argv[2]), end = now() + secs;
	if (!strcmp(argv[1], "ratio") && argc == 5) {
		unsigned long n1 = strtoul(argv[3], 0, 10), n2 = strtoul(argv[4], 0, 10);
		do {
			hot_double(n1);
			hot_single(n2);
		} while (now() < end);
	} else if (!strcmp(argv[1], "syscalls")) {
		int fd = open("/dev/null", O_WRONLY);
		do
			syscall_loop(fd);
		while (now() < end);
	} else if (!strcmp(argv[1], "short")) {
		end = now() + secs / 1000;
		do
			short_lived_hot(100000);
		while (now() < end);
	} else if (!strcmp(argv[1], "deep")) {
		int d = 0;
		do
			recurse(d++ % 64);
		while (now() < end);
	} else {
		return 2;
	}
	return 0;
}
