// SPDX-License-Identifier: MIT
#pragma once
// A page's answer in large type: one line with the number that answers the page's question ("Token hit rate
// 4.3 % · prefill time saved 3.1 % (cost model, h100-sxm)") and, under it, the sentence that says why or
// what to do next. Both wrap instead of being cut off. Every page has one above its charts; presentation
// mode makes it projector-sized (TextRole::Headline). GUI thread only.
#include <QFrame>
#include <QString>

#include "ui/type_scale.h"

class QLabel;

namespace kvlab {

class HeadlineBanner : public QFrame {
  Q_OBJECT
public:
  explicit HeadlineBanner(QWidget* parent = nullptr);

  // headline: plain text or simple rich text (<b>); detail: a sentence or two, may be empty.
  void setText(const QString& headline, const QString& detail = {});
  QString headline() const;  // as plain text (tags stripped), for tests, exports and the PDF
  QString detail() const;
  QString headlineHtml() const;
  void setTypeScale(const TypeScale& scale);
  QLabel* headlineLabel() const { return m_headline; }
  QLabel* detailLabel() const { return m_detail; }

private:
  QLabel* m_headline = nullptr;
  QLabel* m_detail = nullptr;
};

}  // namespace kvlab
