// SPDX-License-Identifier: MIT
#pragma once
// What a suite needs from the machine: the public traces in ../shared/data, redis-server, python3.
// Without them a test skips, and the suite ends with exit code 77, which CTest reports as "Skipped" (the
// CMake helpers set SKIP_RETURN_CODE 77), so a missing dependency never passes for a pass. Under CI=true
// (CI has all of them) the same absence is a failure.
//
// Use KVLAB_REQUIRE in a test function and KVLAB_TEST_MAIN / KVLAB_TEST_GUILESS_MAIN instead of Qt's
// QTEST_MAIN / QTEST_GUILESS_MAIN; a suite that uses KVLAB_REQUIRE with Qt's own main does not link
// (kvlabTestMainInUse below is defined only by the kvlab main macros).
#include <QByteArray>
#include <QFileInfo>
#include <QStandardPaths>
#include <QString>
#include <QtTest>

namespace kvlab::test {

inline constexpr int kSkipExitCode = 77;  // CTest's SKIP_RETURN_CODE, set by tests/*/CMakeLists.txt

// Defined in KVLAB_TEST_MAIN; referenced by KVLAB_REQUIRE so that the two are always used together.
extern const bool kvlabTestMainInUse;

inline bool& requirementSkipped() {
  static bool skipped = false;
  return skipped;
}

// CI=true (any case) or CI=1: every requirement must be met.
inline bool underCi() {
  const QByteArray ci = qgetenv("CI").trimmed().toLower();
  return ci == "true" || ci == "1";
}

inline bool sharedDataPresent(const QString& path) { return QFileInfo::exists(path); }
inline QString findPython3() { return QStandardPaths::findExecutable(QStringLiteral("python3")); }
// path if it is an executable file, else "": for the python3 that CMake found (KVLAB_PYTHON3), which is
// empty when it found none.
inline QString executableOrEmpty(const QString& path) {
  return !path.isEmpty() && QFileInfo(path).isExecutable() ? path : QString();
}

// Exit code of a suite: Qt Test's own (failures win), else 77 when a requirement was missing.
inline int suiteExitCode(int qtestResult) {
  return qtestResult == 0 && requirementSkipped() ? kSkipExitCode : qtestResult;
}

}  // namespace kvlab::test

// Skips the current test when `condition` is false (naming `what` is missing), fails it under CI=true.
#define KVLAB_REQUIRE(condition, what)                                                                    \
  do {                                                                                                    \
    if (!(condition)) {                                                                                   \
      (void)::kvlab::test::kvlabTestMainInUse;                                                            \
      if (::kvlab::test::underCi())                                                                       \
        QFAIL(qPrintable(QStringLiteral("CI=true and this test's requirement is missing: ") + (what)));   \
      ::kvlab::test::requirementSkipped() = true;                                                         \
      QSKIP(qPrintable(QStringLiteral("missing: ") + (what)));                                            \
    }                                                                                                     \
  } while (false)

// Shorthands for the three requirements CI always has.
#define KVLAB_REQUIRE_SHARED_DATA(path) \
  KVLAB_REQUIRE(::kvlab::test::sharedDataPresent(path), QStringLiteral("../shared/data file ") + (path))
#define KVLAB_REQUIRE_PYTHON3(python) KVLAB_REQUIRE(!(python).isEmpty(), QStringLiteral("python3"))

// Qt's QTEST_MAIN_WRAPPER with the suite's exit code passed through suiteExitCode().
#define KVLAB_TEST_MAIN_WRAPPER(TestObject, ...)                                    \
  namespace kvlab::test {                                                           \
  const bool kvlabTestMainInUse = true;                                             \
  }                                                                                 \
  int main(int argc, char* argv[]) {                                                \
    QT_PREPEND_NAMESPACE(QTest::Internal::callInitMain)<TestObject>();              \
    __VA_ARGS__                                                                     \
    TestObject tc;                                                                  \
    QTEST_SET_MAIN_SOURCE_PATH                                                      \
    return ::kvlab::test::suiteExitCode(QTest::qExec(&tc, argc, argv));             \
  }

// QTEST_GUILESS_MAIN with the skip exit code.
#define KVLAB_TEST_GUILESS_MAIN(TestObject) \
  KVLAB_TEST_MAIN_WRAPPER(TestObject, QTEST_QAPP_SETUP(QCoreApplication))
// QTEST_MAIN (QApplication in widget suites) with the skip exit code.
#define KVLAB_TEST_MAIN(TestObject) KVLAB_TEST_MAIN_WRAPPER(TestObject, QTEST_MAIN_SETUP())
