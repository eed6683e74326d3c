// SPDX-License-Identifier: MIT
#pragma once
// The text of each page of a PDF report, read with poppler-utils (pdfinfo for the page count, pdftotext one
// page at a time), for tests that check what a report says and that it has no empty page. An empty list
// means poppler-utils is not installed: the caller skips (an optional tool, as setup.sh installs it).
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QStringList>

namespace kvlab::test {

inline bool havePdfTools() {
  return !QStandardPaths::findExecutable(QStringLiteral("pdftotext")).isEmpty() &&
         !QStandardPaths::findExecutable(QStringLiteral("pdfinfo")).isEmpty();
}

inline QStringList pdfPageTexts(const QString& path) {
  QStringList pages;
  if (!havePdfTools()) return pages;
  QProcess info;
  info.start(QStringLiteral("pdfinfo"), {path});
  if (!info.waitForFinished(60000) || info.exitCode() != 0) return pages;
  const QRegularExpressionMatch m = QRegularExpression(QStringLiteral("Pages:\\s+(\\d+)"))
                                        .match(QString::fromUtf8(info.readAllStandardOutput()));
  const int count = m.hasMatch() ? m.captured(1).toInt() : 0;
  for (int i = 1; i <= count; ++i) {
    QProcess text;
    text.start(QStringLiteral("pdftotext"),
               {QStringLiteral("-f"), QString::number(i), QStringLiteral("-l"), QString::number(i),
                QStringLiteral("-layout"), path, QStringLiteral("-")});
    text.waitForFinished(60000);
    pages << QString::fromUtf8(text.readAllStandardOutput());
  }
  return pages;
}

}  // namespace kvlab::test
