// SPDX-License-Identifier: MIT
#pragma once
// The latest request, for newcomers: a headline (tokens, hit share, TTFT with and without the cache), the
// prompt drawn as cells coloured reused vs computed, a legend, and the text itself with the reused prefix
// highlighted. It follows the newest finished request; the charts and the event log cover the history.
#include <QWidget>

class QLabel;

namespace kvlab {

class PromptBlocksWidget;
class RunHistory;

class RequestView : public QWidget {
  Q_OBJECT
public:
  explicit RequestView(const RunHistory* history, QWidget* parent = nullptr);

  // Tokens per drawn cell: the block size when it is known, else 16; coarser for very long prompts so the
  // grid stays at most kMaxCells cells.
  static std::uint32_t tokensPerCellFor(std::uint32_t promptTokens, std::uint32_t blockSize);
  static constexpr std::uint32_t kMaxCells = 600;

private:
  void refresh();

  const RunHistory* m_history;
  QLabel* m_headline = nullptr;
  QLabel* m_legend = nullptr;
  PromptBlocksWidget* m_blocks = nullptr;
  QLabel* m_text = nullptr;
  int m_shownRunId = -1;
  int m_shownIndex = -1;
};

}  // namespace kvlab
