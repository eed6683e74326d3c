// SPDX-License-Identifier: MIT
#include "ui/headline_banner.h"

#include <QLabel>
#include <QTextDocumentFragment>
#include <QVBoxLayout>

namespace kvlab {

HeadlineBanner::HeadlineBanner(QWidget* parent) : QFrame(parent) {
  setObjectName(QStringLiteral("headlineBanner"));
  setFrameShape(QFrame::NoFrame);
  setAutoFillBackground(true);
  setBackgroundRole(QPalette::AlternateBase);
  m_headline = new QLabel(this);
  m_headline->setObjectName(QStringLiteral("headline"));
  m_headline->setWordWrap(true);
  m_headline->setTextFormat(Qt::RichText);
  m_headline->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_detail = new QLabel(this);
  m_detail->setObjectName(QStringLiteral("headlineDetail"));
  m_detail->setWordWrap(true);
  m_detail->setTextFormat(Qt::RichText);
  m_detail->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_detail->hide();
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(10, 6, 10, 6);
  layout->setSpacing(2);
  layout->addWidget(m_headline);
  layout->addWidget(m_detail);
  setTypeScale(TypeScale::window());
}

void HeadlineBanner::setText(const QString& headline, const QString& detail) {
  m_headline->setText(headline);
  m_detail->setText(detail);
  m_detail->setVisible(!detail.isEmpty());
}

QString HeadlineBanner::headline() const {
  return QTextDocumentFragment::fromHtml(m_headline->text()).toPlainText();
}

QString HeadlineBanner::detail() const {
  return QTextDocumentFragment::fromHtml(m_detail->text()).toPlainText();
}

QString HeadlineBanner::headlineHtml() const { return m_headline->text(); }

void HeadlineBanner::setTypeScale(const TypeScale& scale) {
  QFont big = scale.font(TextRole::Headline, font());
  big.setBold(false);  // the number is bold (<b>) and its words are not: the answer stands out
  m_headline->setFont(big);
  m_detail->setFont(scale.font(TextRole::HeadlineDetail, font()));
}

}  // namespace kvlab
