/* A workload whose kernel-visible behaviour the tests know exactly.
 * It prints "ready", waits for a line on stdin, does its job, then exits. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline)) long target_fn(long x)
{
	__asm__ volatile("" ::: "memory");
	return x * 2;
}

static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: workload MODE N [args]\n");
		return 2;
	}
	const char *mode = argv[1];
	long n = atol(argv[2]);
	char line[16];
	if (!getenv("WORKLOAD_NOWAIT")) { /* tests that trace with -c start it directly */
		printf("ready\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 3;
	}

	if (!strcmp(mode, "getppid")) {
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
	} else if (!strcmp(mode, "getppid-split")) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		for (long i = 0; i < n; i++) {
			if (i % (n / ncpu + 1) == 0)
				pin((int)(i / (n / ncpu + 1)) % ncpu);
			syscall(SYS_getppid);
		}
	} else if (!strcmp(mode, "writes")) {
		/* write(2) sizes 0..99 repeated: a known distribution for hist/lhist/stats */
		char buf[128] = { 0 };
		FILE *devnull = fopen("/dev/null", "w");
		for (long i = 0; i < n; i++)
			if (write(fileno(devnull), buf, i % 100) < 0)
				return 4;
	} else if (!strcmp(mode, "nanosleep")) {
		/* glibc's nanosleep() is clock_nanosleep; the syscall itself reaches do_nanosleep too */
		struct timespec ts = { 0, 1000 };
		for (long i = 0; i < n; i++)
			syscall(SYS_nanosleep, &ts, NULL);
	} else if (!strcmp(mode, "spin")) {
		struct timespec start, now;
		clock_gettime(CLOCK_MONOTONIC, &start);
		volatile unsigned long x = 0;
		do {
			for (int i = 0; i < 100000; i++)
				x += i;
			clock_gettime(CLOCK_MONOTONIC, &now);
		} while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < n);
	} else if (!strcmp(mode, "calls")) {
		long sum = 0;
		for (long i = 0; i < n; i++)
			sum += target_fn(i);
		printf("%ld\n", sum);
	} else if (!strcmp(mode, "udp")) {
		int size = atoi(argv[3]), port = atoi(argv[4]);
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
		inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
		char *buf = calloc(1, size);
		for (long i = 0; i < n; i++)
			sendto(fd, buf, size, 0, (struct sockaddr *)&to, sizeof(to));
		close(fd);
	} else {
		fprintf(stderr, "unknown mode %s\n", mode);
		return 2;
	}
	return 0;
}
