// locus_test/testproc.h: children a test started never outlive the test program, and a
// fork()ed copy of the program that exits does not kill its parent's children.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "locus_test/testproc.h"

// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
// clang-format on
#include "locus_test/cmocka.h"

namespace {

using locus::host::test::Process;

// A Process never destroyed (a test that failed part-way: cmocka jumps out of it, so no
// destructor runs) in a helper that then exits: its child is killed and reaped at exit.
// Runs first, before this program has started any child of its own.
void test_leaked_child_killed_at_exit(void**) {
  int fds[2];
  assert_int_equal(::pipe(fds), 0);
  (void)std::fflush(nullptr);  // the copy must not print this program's buffered output again
  const pid_t helper = ::fork();
  assert_true(helper >= 0);
  if (helper == 0) {
    ::close(fds[0]);
    auto* p = new Process();  // NOLINT(cppcoreguidelines-owning-memory): leaked on purpose
    if (!p->start({"/bin/sleep", "30"})) ::_exit(3);
    const pid_t c = p->pid();
    if (::write(fds[1], &c, sizeof c) != static_cast<ssize_t>(sizeof c)) ::_exit(4);
    std::exit(0);  // runs the atexit handlers, as returning from a test's main() does
  }
  ::close(fds[1]);
  pid_t child = -1;
  assert_int_equal(::read(fds[0], &child, sizeof child), static_cast<ssize_t>(sizeof child));
  ::close(fds[0]);
  int st = 0;
  assert_int_equal(::waitpid(helper, &st, 0), helper);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
  assert_true(child > 0);
  errno = 0;
  assert_int_equal(::kill(child, 0), -1);  // killed and reaped: no such process
  assert_int_equal(errno, ESRCH);
}

// This program's own child survives a fork()ed copy of the program that calls exit().
void test_fork_copy_kills_nothing(void**) {
  Process p;
  assert_true(p.start({"/bin/sleep", "30"}));
  (void)std::fflush(nullptr);
  const pid_t copy = ::fork();
  assert_true(copy >= 0);
  if (copy == 0) std::exit(0);
  int st = 0;
  assert_int_equal(::waitpid(copy, &st, 0), copy);
  assert_int_equal(::kill(p.pid(), 0), 0);  // still running
  assert_true(p.kill_and_wait() != -1);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_leaked_child_killed_at_exit),
      cmocka_unit_test(test_fork_copy_kills_nothing),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
