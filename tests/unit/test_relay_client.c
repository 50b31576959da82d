/* The relay, action's side: plugin code may fork (a helper process) and
 * log metrics from the child before it execs. The child must not inherit
 * the tracker's call lock held by the flusher thread, which fork() leaves
 * behind: it would wait for it forever. Relay calls are made under that
 * lock, as the tracker's members make them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "relay.h"
#include "tracker_lock.h"

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* The host's end: read nothing for a while (the flusher blocks in send,
 * holding the lock), then everything until the test ends. */
static void *drain_later(void *arg) {
  int fd = *(int *)arg;
  sleep_ms(300);
  char buf[65536];
  while (recv(fd, buf, sizeof buf, 0) > 0) {
  }
  return NULL;
}

static aero_status log_one(const aero_backend_vtable *vt, void *h, int64_t i) {
  aero_error err = AEH_ERROR_INIT;
  aero_metric m = {.key = "loss", .value = 1.0 / (double)(i + 1)};
  aeh_tracker_calls_lock();
  aero_status status = vt->log_metrics(h, 1, &m, 1, i, &err);
  aeh_tracker_calls_unlock();
  return status;
}

static void test_fork_while_the_flusher_sends(void **state) {
  (void)state;
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  const aero_backend_vtable *vt = aeh_relay_backend();
  void *h = aeh_relay_client(sv[0], NULL);
  /* A burst: the first points go out one by one, later ones are held for
   * the flusher. */
  for (int64_t i = 0; i < 80; i++)
    assert_int_equal(log_one(vt, h, i), AERO_OK);
  /* Fill the socket so that the flusher's send blocks with the lock
   * held, and give it time to get there (it sends after 10 ms). */
  char junk[4096];
  memset(junk, 0, sizeof junk);
  while (send(sv[0], junk, sizeof junk, MSG_DONTWAIT) > 0) {
  }
  sleep_ms(60);
  pthread_t drainer;
  assert_int_equal(pthread_create(&drainer, NULL, drain_later, &sv[1]), 0);

  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    alarm(5); /* a child stuck on the lock dies of SIGALRM */
    aero_status st = log_one(vt, h, 1000);
    for (int64_t i = 0; st == AERO_OK && i < 100; i++)
      st = log_one(vt, h, 1001 + i); /* a burst of its own: a flusher */
    aeh_relay_flush();
    _exit(st == AERO_OK ? 0 : 3);
  }
  int wstatus = 0;
  assert_int_equal(waitpid(pid, &wstatus, 0), pid);
  if (WIFSIGNALED(wstatus))
    fail_msg("the forked child was killed by signal %d (stuck on the call "
             "lock)",
             WTERMSIG(wstatus));
  assert_true(WIFEXITED(wstatus));
  assert_int_equal(WEXITSTATUS(wstatus), 0);
  /* The parent's own relay still works after the fork. */
  assert_int_equal(log_one(vt, h, 2000), AERO_OK);
  aeh_relay_flush();
  shutdown(sv[0], SHUT_RDWR);
  pthread_join(drainer, NULL);
  close(sv[0]);
  close(sv[1]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fork_while_the_flusher_sends),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
