// A real PostgreSQL server for tests: initdb + postgres in a temporary directory, on a free
// loopback port, as an unprivileged user when the test runs as root (PostgreSQL refuses root),
// started and stopped by PID. Readiness is PQping answering PQPING_OK (bounded wait).
//
// Where the server binaries are missing, start() returns false with *why saying so; the test
// then exits with kSkipCode, which CTest reports as skipped (SKIP_RETURN_CODE).
#pragma once

#include <fcntl.h>
#include <glob.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "locus/common/common.h"
#include "locus_test/testproc.h"

namespace pgtest {

constexpr int kSkipCode = 77;

class Server {
 public:
  ~Server() { stop(); }

  bool start(std::string* why) {
    glob_t g{};
    if (glob("/usr/lib/postgresql/*/bin/initdb", 0, nullptr, &g) != 0 || g.gl_pathc == 0) {
      globfree(&g);
      *why =
          "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin; Debian package "
          "postgresql)";
      return false;
    }
    std::string initdb = g.gl_pathv[g.gl_pathc - 1];
    globfree(&g);
    bindir_ = initdb.substr(0, initdb.rfind('/'));
    if (geteuid() == 0) {
      struct passwd* pw = getpwnam("postgres");
      if (pw == nullptr) pw = getpwnam("nobody");
      if (pw == nullptr) {
        *why = "running as root and no unprivileged user (postgres, nobody) to run PostgreSQL";
        return false;
      }
      uid_ = pw->pw_uid;
      gid_ = pw->pw_gid;
    }
    char tmpl[] = "/tmp/locus-pg-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      *why = "mkdtemp failed";
      return false;
    }
    dir_ = tmpl;
    if (geteuid() == 0 && chown(dir_.c_str(), uid_, gid_) != 0) {
      *why = "chown of the temporary directory failed";
      return false;
    }
    int rc = run({initdb, "-D", dir_ + "/data", "-A", "trust", "-U", "locus", "-E", "UTF8",
                  "--no-sync", "--no-instructions"},
                 dir_ + "/initdb.log");
    if (rc != 0) {
      *why = "initdb failed (see " + dir_ + "/initdb.log)";
      return false;
    }
    port_ = locus::host::test::free_port();
    pid_ = spawn(
        {bindir_ + "/postgres", "-D", dir_ + "/data", "-k", dir_, "-p", std::to_string(port_), "-c",
         "listen_addresses=127.0.0.1", "-c", "max_connections=300", "-c", "shared_buffers=32MB"},
        dir_ + "/postgres.log");
    if (pid_ <= 0) {
      *why = "cannot start postgres";
      return false;
    }
    std::string conninfo = "host=127.0.0.1 port=" + std::to_string(port_) +
                           " user=locus dbname=postgres connect_timeout=2";
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (PQping(conninfo.c_str()) != PQPING_OK) {
      int st = 0;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        *why = "postgres exited at start (see " + dir_ + "/postgres.log)";
        return false;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        *why = "postgres not ready within 60 s";
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  // A fresh, empty database; returns its URL ("" on failure).
  std::string create_db(const std::string& name) {
    if (!exec("postgres", "CREATE DATABASE " + name)) return "";
    return url(name);
  }
  std::string url(const std::string& db) const {
    return "postgresql://locus@127.0.0.1:" + std::to_string(port_) + "/" + db;
  }
  // Runs one statement on database db; false on error.
  bool exec(const std::string& db, const std::string& sql) {
    PGconn* c = PQconnectdb(url(db).c_str());
    bool ok = PQstatus(c) == CONNECTION_OK;
    if (ok) {
      PGresult* r = PQexec(c, sql.c_str());
      ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
      PQclear(r);
    }
    PQfinish(c);
    return ok;
  }
  // First column of the first row as an integer (-1 on error).
  long long scalar(const std::string& db, const std::string& sql) {
    PGconn* c = PQconnectdb(url(db).c_str());
    long long v = -1;
    if (PQstatus(c) == CONNECTION_OK) {
      PGresult* r = PQexec(c, sql.c_str());
      if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && PQgetisnull(r, 0, 0) == 0)
        v = std::stoll(PQgetvalue(r, 0, 0));
      PQclear(r);
    }
    PQfinish(c);
    return v;
  }

  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGINT);  // fast shutdown
      for (int i = 0; i < 500; i++) {
        int st = 0;
        if (waitpid(pid_, &st, WNOHANG) == pid_) {
          pid_ = -1;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (pid_ > 0) {
        kill(pid_, SIGKILL);
        int st = 0;
        waitpid(pid_, &st, 0);
        pid_ = -1;
      }
    }
    if (!dir_.empty()) {
      locus::host::test::remove_tree(dir_);
      dir_.clear();
    }
  }

 private:
  // fork, drop to the unprivileged user, exec; stdout+stderr to log.
  pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
    pid_t p = fork();
    if (p != 0) return p;
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      if (geteuid() == 0 && fchown(fd, uid_, gid_) != 0) _exit(126);
      dup2(fd, 1);
      dup2(fd, 2);
    }
    if (geteuid() == 0 && (setgid(gid_) != 0 || setuid(uid_) != 0)) _exit(126);
    std::vector<char*> a;
    a.reserve(argv.size() + 1);
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  int run(const std::vector<std::string>& argv, const std::string& log) {
    pid_t p = spawn(argv, log);
    if (p <= 0) return -1;
    int st = 0;
    if (waitpid(p, &st, 0) != p) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }

  std::string bindir_, dir_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace pgtest
