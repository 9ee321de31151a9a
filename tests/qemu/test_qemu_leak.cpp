// No leaked QEMU: a QEMU board test that ends without stopping its board (killed by CTest's
// timeout, or a failed assertion that skips every destructor and then exits) leaves no
// qemu-system-arm behind. The harness guards each board with a reaper process
// (qemu_board.cpp: spawn_reaper); this test kills or exits a child that started a board and
// checks that the board's QEMU is gone within 10 s. Should it survive, the test kills it
// itself and fails.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include "qemu_board.h"

// cmocka last: it defines macros that clash with the C++ library.
#include <setjmp.h>
#include <stdarg.h>

#include "locus_test/cmocka.h"

namespace {

using locus::qemutest::BoardSpec;
using locus::qemutest::QemuBoard;

BoardSpec g_spec;

bool alive(pid_t pid) {
  return locus::qemutest::process_alive(pid);
}

enum class End { kSigkill, kExitWithoutStop };

// A child starts a board, reports QEMU's PID, then ends as `how` says without stop().
// The parent waits for the child, then (bounded, 10 s) for QEMU to be gone.
void board_dies_with_its_test(End how) {
  const std::string dir = locus::qemutest::make_temp_dir("qemu-leak");
  assert_false(dir.empty());
  uint8_t uds[32];
  for (int i = 0; i < 32; ++i) uds[i] = static_cast<uint8_t>(0x40 + i);
  assert_true(locus::qemutest::write_uds(dir, uds));
  int pfd[2];
  assert_int_equal(pipe(pfd), 0);
  const pid_t child = fork();
  assert_true(child >= 0);
  if (child == 0) {
    close(pfd[0]);
    QemuBoard* b = new QemuBoard();  // never deleted: no destructor stops it
    pid_t qemu = -1;
    if (b->start(g_spec, dir) && b->wait_ready(60000)) qemu = b->pid();
    if (write(pfd[1], &qemu, sizeof(qemu)) != static_cast<ssize_t>(sizeof(qemu))) _exit(3);
    if (qemu <= 0) _exit(2);
    if (how == End::kSigkill) raise(SIGKILL);  // what CTest's timeout does to a test
    exit(1);  // a failed test: exit without running the board's destructor
  }
  close(pfd[1]);
  pid_t qemu = -1;
  const ssize_t n = read(pfd[0], &qemu, sizeof(qemu));
  close(pfd[0]);
  int status = 0;
  waitpid(child, &status, 0);
  assert_int_equal(n, sizeof(qemu));
  assert_true(qemu > 0);
  if (how == End::kSigkill) {
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  } else {
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
  }
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {  // 10 s
    gone = !alive(qemu);
    if (!gone) usleep(50000);
  }
  if (!gone) kill(qemu, SIGKILL);  // do not leak it from here either
  locus::qemutest::remove_dir(dir);
  if (!gone) fail_msg("qemu-system-arm pid %d outlived its test", static_cast<int>(qemu));
}

void test_sigkilled_test(void**) {
  board_dies_with_its_test(End::kSigkill);
}
void test_exit_without_stop(void**) {
  board_dies_with_its_test(End::kExitWithoutStop);
}

// A clean stop leaves nothing running either (and the reaper does not kill a new QEMU that
// later gets a reused PID: it identifies QEMU by PID and start time).
void test_clean_stop(void**) {
  const std::string dir = locus::qemutest::make_temp_dir("qemu-leak");
  uint8_t uds[32];
  for (int i = 0; i < 32; ++i) uds[i] = static_cast<uint8_t>(0x60 + i);
  assert_true(locus::qemutest::write_uds(dir, uds));
  QemuBoard b;
  assert_true(b.start(g_spec, dir));
  const pid_t qemu = b.pid();
  assert_true(alive(qemu));
  b.stop();
  assert_false(alive(qemu));
  locus::qemutest::remove_dir(dir);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s <machine> <image.elf>\n", argv[0]);
    return 2;
  }
  g_spec.machine = argv[1];
  g_spec.image = argv[2];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sigkilled_test),
      cmocka_unit_test(test_exit_without_stop),
      cmocka_unit_test(test_clean_stop),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
