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
    // The PDF's fonts set "fi", "fl", "ff" as ligatures, which pdftotext returns as one code point.
    QString page = QString::fromUtf8(text.readAllStandardOutput());
    page.replace(QChar(0xFB00), QStringLiteral("ff"))
        .replace(QChar(0xFB01), QStringLiteral("fi"))
        .replace(QChar(0xFB02), QStringLiteral("fl"))
        .replace(QChar(0xFB03), QStringLiteral("ffi"))
        .replace(QChar(0xFB04), QStringLiteral("ffl"));
    pages << page;
  }
  return pages;
}

}  // namespace kvlab::test
