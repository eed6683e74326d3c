// SPDX-License-Identifier: MIT
#include "ui/page_widget.h"

#include <QBoxLayout>
#include <QGridLayout>
#include <QLabel>
#include <QSplitter>
#include <QVBoxLayout>

#include "ui/chart_panel.h"
#include "ui/headline_banner.h"

namespace kvlab {

PageWidget::PageWidget(QString name, QWidget* parent) : QWidget(parent), m_name(std::move(name)) {
  setObjectName(m_name + QStringLiteral("Page"));
  m_headline = new HeadlineBanner(this);
  m_stage = new QWidget(this);
  m_stage->setObjectName(QStringLiteral("presentationStage"));
  m_stageLayout = new QVBoxLayout(m_stage);
  m_stageLayout->setContentsMargins(0, 0, 0, 0);
  m_stage->hide();
  m_hint = new QLabel(this);
  m_hint->setObjectName(QStringLiteral("presentationHint"));
  m_hint->setAlignment(Qt::AlignCenter);
  m_hint->hide();
  m_layout = new QVBoxLayout(this);
  m_layout->setContentsMargins(4, 4, 4, 4);
  m_layout->setSpacing(4);
}

void PageWidget::setParts(QWidget* controls, QWidget* body) {
  m_controls = controls;
  m_body = body;
  if (controls) m_layout->addWidget(controls);
  m_layout->addWidget(m_headline);
  m_layout->addWidget(body, 1);
  m_layout->addWidget(m_stage, 1);
  m_layout->addWidget(m_hint);
}

QString PageWidget::headlineText() const {
  const QString detail = m_headline->detail();
  return detail.isEmpty() ? m_headline->headline() : m_headline->headline() + QLatin1Char('\n') + detail;
}

void PageWidget::setTypeScale(const TypeScale& scale) {
  m_scale = scale;
  m_headline->setTypeScale(scale);
  m_hint->setFont(scale.font(TextRole::Body, font()));
  for (QWidget* slide : std::as_const(m_slides))
    if (auto* chart = qobject_cast<ChartPanel*>(slide)) chart->setTypeScale(scale);
}

void PageWidget::addSlide(QWidget* slide, const QString& title) {
  m_slides.append(slide);
  m_titles.append(title);
}

QString PageWidget::slideTitle(int index) const {
  return index >= 0 && index < m_titles.size() ? m_titles[index] : QString();
}

QWidget* PageWidget::slide(int index) const {
  return index >= 0 && index < m_slides.size() ? m_slides[index] : nullptr;
}

bool PageWidget::slideApplies(int) const { return true; }

void PageWidget::setPresentation(bool on) {
  if (on == m_presentation) return;
  m_presentation = on;
  if (m_controls) m_controls->setVisible(!on);
  if (on && !slideApplies(m_current)) stepSlide(1);
  presentSlides(on, m_current);
  updateHint();
}

void PageWidget::showSlide(int index) {
  if (index < 0 || index >= m_slides.size() || !slideApplies(index)) return;
  m_current = index;
  if (m_presentation) {
    presentSlides(true, index);
    updateHint();
  }
  Q_EMIT presentationSlideChanged(index);
}

void PageWidget::stepSlide(int step) {
  const int n = int(m_slides.size());
  if (n == 0) return;
  int next = m_current;
  for (int tries = 0; tries < n; ++tries) {
    next = ((next + step) % n + n) % n;
    if (slideApplies(next)) break;
  }
  if (next == m_current && !m_presentation) return;
  m_current = next;
  if (m_presentation) {
    presentSlides(true, next);
    updateHint();
  }
  Q_EMIT presentationSlideChanged(next);
}

void PageWidget::updateHint() {
  int shown = 0, position = 0;
  for (int i = 0; i < m_slides.size(); ++i)
    if (slideApplies(i)) {
      ++shown;
      if (i == m_current) position = shown;
    }
  m_hint->setText(shown > 1 ? tr("← / → switch charts · %1 of %2: %3 · F11 leaves presentation")
                                  .arg(position)
                                  .arg(shown)
                                  .arg(slideTitle(m_current))
                            : tr("F11 leaves presentation"));
  m_hint->setVisible(m_presentation);
}

void PageWidget::presentSlides(bool on, int index) {
  returnHome();
  if (m_body) m_body->setVisible(!on);
  m_stage->setVisible(on);
  if (!on || index < 0 || index >= m_slides.size()) return;
  QWidget* slide = m_slides[index];
  takeHome(slide);
  m_stageLayout->addWidget(slide);
  slide->show();
  m_staged = slide;
}

void PageWidget::takeHome(QWidget* slide) {
  m_home = Home{};
  QWidget* parent = slide->parentWidget();
  m_home.parent = parent;
  m_home.visible = slide->isVisibleTo(parent);
  if (auto* splitter = qobject_cast<QSplitter*>(parent)) {
    m_home.splitter = splitter;
    m_home.index = splitter->indexOf(slide);
    m_home.splitterSizes = splitter->sizes();
    return;
  }
  QLayout* layout = parent ? parent->layout() : nullptr;
  if (!layout) return;
  const int at = layout->indexOf(slide);
  if (auto* grid = qobject_cast<QGridLayout*>(layout); grid && at >= 0) {
    m_home.grid = true;
    grid->getItemPosition(at, &m_home.row, &m_home.column, &m_home.rowSpan, &m_home.columnSpan);
  } else if (auto* box = qobject_cast<QBoxLayout*>(layout); box && at >= 0) {
    m_home.index = at;
    m_home.stretch = box->stretch(at);
  }
}

void PageWidget::returnHome() {
  QWidget* slide = m_staged;
  m_staged = nullptr;
  if (!slide || !m_home.parent) return;
  m_stageLayout->removeWidget(slide);
  if (m_home.splitter) {
    m_home.splitter->insertWidget(m_home.index, slide);
    m_home.splitter->setSizes(m_home.splitterSizes);
  } else if (auto* grid = qobject_cast<QGridLayout*>(m_home.parent->layout()); grid && m_home.grid) {
    grid->addWidget(slide, m_home.row, m_home.column, m_home.rowSpan, m_home.columnSpan);
  } else if (auto* box = qobject_cast<QBoxLayout*>(m_home.parent->layout())) {
    box->insertWidget(m_home.index, slide, m_home.stretch);
  } else {
    slide->setParent(m_home.parent);
  }
  slide->setVisible(m_home.visible);
}

}  // namespace kvlab
