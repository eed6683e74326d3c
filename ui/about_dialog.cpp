// SPDX-License-Identifier: MIT
#include "ui/about_dialog.h"

#include <QMessageBox>
#include <QString>
#include <QtGlobal>

#include "core/model/compute_info.h"

namespace kvlab {

QString AboutDialog::text() {
  const QString blas = QString::fromStdString(blasLibrary()).toHtmlEscaped();
  return QObject::tr(
             "<h3>KV Cache Lab %1</h3>"
             "<p>Watch an LLM's key/value cache at work: which prompt tokens are reused, what is evicted "
             "and why, and how much time to first token the cache saves.</p>"
             "<table>"
             "<tr><td><b>Qt</b></td><td>%2 (built with %3)</td></tr>"
             "<tr><td><b>LibTorch</b></td><td>%4, %5 compute thread(s)</td></tr>"
             "<tr><td><b>Matrix products</b></td><td>%8</td></tr>"
             "<tr><td><b>BLAS</b></td><td>%6</td></tr>"
             "<tr><td><b>Devices</b></td><td>cpu%7</td></tr>"
             "</table><p>MIT licence.</p>")
      .arg(QStringLiteral(KVLAB_UI_VERSION), QString::fromLatin1(qVersion()), QStringLiteral(QT_VERSION_STR),
           QString::fromStdString(torchVersion()))
      .arg(computeThreads())
      .arg(blas, cudaAvailable() ? QStringLiteral(", cuda") : QObject::tr(" (no CUDA device)"),
           QString::fromStdString(cpuMatmulBackend()).toHtmlEscaped());
}

void AboutDialog::show(QWidget* parent) {
  QMessageBox::about(parent, QObject::tr("About KV Cache Lab"), text());
}

}  // namespace kvlab
