/*
 * Test-only fault injection for KilledSaveTest, loaded with LD_PRELOAD into the child JVM that
 * saves in a loop; never linked into liblayerprune. It interposes libc's write(): a write to a
 * save's temporary file ("<name>.tmp.<pid>.<random>", binary_container.cpp's write_file_atomically)
 * writes at most 256 KiB and then sleeps LAYERPRUNE_FAULT_WRITE_DELAY_US microseconds. The library
 * loops over short writes, so a ~14 MB save takes 55 delayed writes and a SIGKILL at a random moment
 * of the save most likely lands while the temporary is being written. Every other write (stdout,
 * the JVM's own files) and every write without the variable passes straight through.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef ssize_t (*write_fn)(int, const void*, size_t);

static long delay_us(void) {
  static long delay = -1;
  if (delay < 0) {
    const char* v = getenv("LAYERPRUNE_FAULT_WRITE_DELAY_US");
    delay = v ? atol(v) : 0;
    if (delay < 0) delay = 0;
  }
  return delay;
}

/* Whether fd is open on a save's temporary: its path has ".tmp." in its last component. */
static int is_save_temporary(int fd) {
  char link[64], target[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, target, sizeof target - 1);
  if (n <= 0) return 0;
  target[n] = '\0';
  const char* base = strrchr(target, '/');
  return strstr(base ? base + 1 : target, ".tmp.") != NULL;
}

ssize_t write(int fd, const void* buf, size_t count) {
  static write_fn real_write = NULL;
  if (!real_write) real_write = (write_fn)dlsym(RTLD_NEXT, "write");
  const long delay = delay_us();
  if (delay == 0 || fd <= 2 || !is_save_temporary(fd)) return real_write(fd, buf, count);
  const ssize_t n = real_write(fd, buf, count < 256 * 1024 ? count : 256 * 1024);
  usleep((useconds_t)delay);
  return n;
}
