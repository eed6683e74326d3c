// SPDX-License-Identifier: MIT
#pragma once
// Two horizontal bars to scale: the request's time to first token with the cache and without it, so the
// saving is seen, not only read. Labels say the values (and "cost model" for a trace replay).
#include <QWidget>

namespace kvlab {

class TtftBarsWidget : public QWidget {
  Q_OBJECT
public:
  explicit TtftBarsWidget(QWidget* parent = nullptr);

  // Milliseconds; uncachedMs < 0 hides the widget (no baseline). costModel: the hardware name or "".
  void setTimes(double cachedMs, double uncachedMs, const QString& costModel);
  double cachedMs() const { return m_cachedMs; }
  double uncachedMs() const { return m_uncachedMs; }

  QSize sizeHint() const override;
  QSize minimumSizeHint() const override { return {160, sizeHint().height()}; }

protected:
  void paintEvent(QPaintEvent* event) override;

private:
  static QString formatMs(double ms);

  double m_cachedMs = 0;
  double m_uncachedMs = -1;
  QString m_costModel;
};

}  // namespace kvlab
