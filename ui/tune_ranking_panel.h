// SPDX-License-Identifier: MIT
#pragma once
// Tune page: "which policy at my size". A size selector (the swept sizes, in tokens and bytes of K/V) and a
// table ranking every policy at that size: hit rate, share of the infinite-cache bound, prefill time saved
// (cost model) and the smallest swept size reaching 90 % of the bound; Belady and the infinite cache
// below, Belady marked when it falls below an online policy (no bound there). Figures from
// core/replay/sweep_ranking. The first size shown is the one nearest the Live view's max size (or the middle
// one); a size picked here stays picked across redraws. GUI thread; shows TuneResults the page owns.
#include <QWidget>

#include "core/cache/cache_types.h"
#include "ui/type_scale.h"

class QComboBox;
class QTableWidget;

namespace kvlab {

struct TuneResults;

class TuneRankingPanel : public QWidget {
  Q_OBJECT
public:
  explicit TuneRankingPanel(QWidget* parent = nullptr);

  // The sizes of a new sweep (its first batch): refills the selector and chooses a size.
  void setSizes(const TuneResults& results);
  // Redraws the table for `results` at the chosen size; relabels the selector when bytes per token changed.
  void showResults(const TuneResults& results);
  void clear();
  // The Live max size: the first size chosen is the swept size nearest to it (log scale).
  void setPreferredBytes(Bytes bytes, const TuneResults& results);
  void setChosenSize(quint64 tokens);
  quint64 chosenSize() const { return m_chosen; }
  void setTypeScale(const TypeScale& scale);
  QTableWidget* table() const { return m_table; }
  QComboBox* selector() const { return m_sizes; }

Q_SIGNALS:
  void sizeChosen(quint64 tokens);  // by the user or by setSizes / setPreferredBytes

private:
  void choose(quint64 tokens, bool byUser);
  QComboBox* m_sizes = nullptr;
  QTableWidget* m_table = nullptr;
  quint64 m_chosen = 0;
  Bytes m_preferredBytes = 0;
  bool m_userChose = false;
};

}  // namespace kvlab
