// SPDX-License-Identifier: MIT
#include "ui/shortcut_sheet.h"

#include <QAction>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>

namespace kvlab {

namespace {
QString plain(QString text) {
  text.remove(QLatin1Char('&'));
  if (text.endsWith(QStringLiteral("…"))) text.chop(1);
  return text;
}

void collectMenu(const QMenu* menu, const QString& path, QList<ShortcutSheet::Entry>& out) {
  for (const QAction* action : menu->actions()) {
    if (action->menu()) {
      collectMenu(action->menu(), path + QStringLiteral(" ▸ ") + plain(action->text()), out);
      continue;
    }
    for (const QKeySequence& key : action->shortcuts())
      out.append({key.toString(QKeySequence::NativeText), plain(action->text()), path});
  }
}
}  // namespace

QList<ShortcutSheet::Entry> ShortcutSheet::collect(const QMenuBar* menuBar) {
  QList<Entry> out;
  for (const QAction* top : menuBar->actions())
    if (top->menu()) collectMenu(top->menu(), plain(top->text()), out);
  out.append({QObject::tr("← / →"), QObject::tr("Presentation mode: previous / next chart of the page"), {}});
  return out;
}

QString ShortcutSheet::html(const QList<Entry>& entries) {
  QString html = QObject::tr("<h3>Keyboard shortcuts</h3><table cellspacing=0 cellpadding=4>");
  for (const Entry& e : entries)
    html += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td><td><i>%3</i></td></tr>")
                .arg(e.keys.toHtmlEscaped(), e.what.toHtmlEscaped(), e.menu.toHtmlEscaped());
  return html + QStringLiteral("</table>");
}

void ShortcutSheet::show(QWidget* parent, const QMenuBar* menuBar) {
  auto* box = new QMessageBox(QMessageBox::NoIcon, QObject::tr("Keyboard shortcuts"), html(collect(menuBar)),
                              QMessageBox::Close, parent);
  box->setObjectName(QStringLiteral("shortcutSheet"));
  box->setTextFormat(Qt::RichText);
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->setModal(false);
  box->show();
}

}  // namespace kvlab
