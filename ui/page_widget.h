// SPDX-License-Identifier: MIT
#pragma once
// Base of the app's pages (Live, Workload, Serving, Fleet, Tune): each page is one widget class with its own
// controls, a HeadlineBanner with its answer in large type, and a body of charts and tables. The base
// does what every page shares:
//  - presentation mode: the page's controls are hidden and its slides (the charts and tables registered with
//    addSlide) are shown one at a time, full size, under the headline, with a hint naming the ←/→ keys;
//  - the type scale (window or projector) of the headline, the hint and every chart registered as a slide;
//  - the page's one action (Run menu, Ctrl+R, unattended --autorun) and its report section and exports.
// A slide is moved into the presentation stage and back to exactly where it was (a splitter's index and
// sizes, a grid cell and span, a box index and stretch). GUI thread only.
#include <QDir>
#include <QList>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <QWidget>

#include "ui/type_scale.h"

class QLabel;
class QSplitter;
class QVBoxLayout;

namespace kvlab {

class HeadlineBanner;
class ReportDocument;

class PageWidget : public QWidget {
  Q_OBJECT
public:
  explicit PageWidget(QString name, QWidget* parent = nullptr);

  QString pageName() const { return m_name; }  // "live", "workload", "serving", "fleet", "tune"
  HeadlineBanner* headline() const { return m_headline; }
  QString headlineText() const;  // the headline and its detail, plain text

  // Window or projector sizes for everything on the page.
  virtual void setTypeScale(const TypeScale& scale);
  const TypeScale& typeScale() const { return m_scale; }

  void setPresentation(bool on);
  bool presentation() const { return m_presentation; }
  int slideCount() const { return int(m_slides.size()); }
  int currentSlide() const { return m_current; }
  QString slideTitle(int index) const;
  QWidget* slide(int index) const;
  // Presentation mode: shows slide `index` (ignored when it does not apply); step: the next or previous
  // slide that applies, wrapping around.
  void showSlide(int index);
  void stepSlide(int step);
  QLabel* presentationHint() const { return m_hint; }

  // The page's one action: Live runs the scenario, Serving simulates with and without the cache, Fleet
  // compares every router, Tune sweeps. Emits workFinished when it ends (after the last redraw).
  virtual void runPage() = 0;
  virtual bool isBusy() const = 0;
  virtual bool hasResults() const = 0;
  // The page's section of the PDF report (only called when hasResults()).
  virtual void appendReport(ReportDocument& report) const = 0;
  // Writes the page's charts (PNG, SVG) and data (CSV) into dir; returns the paths (none without results).
  virtual QStringList exportFiles(const QDir& dir) const = 0;

Q_SIGNALS:
  void workFinished(bool ok);  // the page's action ended; ok = it completed (not failed, not cancelled)
  void presentationSlideChanged(int index);

protected:
  // Builds the page: controls on top (hidden in presentation mode), the headline, then the body.
  void setParts(QWidget* controls, QWidget* body);
  // Registers a slide (a chart, a table: shown alone in presentation mode), in presentation order.
  void addSlide(QWidget* slide, const QString& title);
  // Whether slide `index` means something now (Live: the charts that apply to the current run).
  virtual bool slideApplies(int index) const;
  // Presentation mode changed or another slide is shown. The default moves the slide into the stage and
  // back; Live overrides it to show its chart beside the request view.
  virtual void presentSlides(bool on, int index);
  QWidget* controlsArea() const { return m_controls; }
  void setCurrentSlide(int index) { m_current = index; }  // without presenting it (a relayout is under way)
  QWidget* bodyArea() const { return m_body; }
  void updateHint();

private:
  struct Home {
    QPointer<QWidget> parent;
    QPointer<QSplitter> splitter;
    QList<int> splitterSizes;
    int index = -1;  // in the splitter or the box layout
    int row = 0, column = 0, rowSpan = 1, columnSpan = 1;
    int stretch = 0;
    bool grid = false;
    bool visible = true;
  };
  void takeHome(QWidget* slide);
  void returnHome();

  QString m_name;
  TypeScale m_scale = TypeScale::window();
  HeadlineBanner* m_headline = nullptr;
  QVBoxLayout* m_layout = nullptr;
  QWidget* m_controls = nullptr;
  QWidget* m_body = nullptr;
  QWidget* m_stage = nullptr;
  QVBoxLayout* m_stageLayout = nullptr;
  QLabel* m_hint = nullptr;
  QList<QWidget*> m_slides;
  QStringList m_titles;
  int m_current = 0;
  bool m_presentation = false;
  QWidget* m_staged = nullptr;  // the slide in the stage
  Home m_home;
};

}  // namespace kvlab
