// SPDX-License-Identifier: MIT
#pragma once
// The source row of the Serving, Fleet and Tune pages: a box listing the bundled scenarios and the files
// opened so far (typing a name or a path also works) and an Open… button, both bound to the shared
// SourceSelection: choosing here changes the source of every page, and a source chosen elsewhere shows
// here. GUI thread only.
#include <QWidget>

class QComboBox;
class QPushButton;

namespace kvlab {

class SourceSelection;

class SourcePicker : public QWidget {
  Q_OBJECT
public:
  SourcePicker(SourceSelection* selection, QWidget* parent = nullptr);
  QComboBox* combo() const { return m_combo; }

private:
  void showSelection();
  SourceSelection* m_selection;
  QComboBox* m_combo = nullptr;
  QPushButton* m_open = nullptr;
  bool m_updating = false;
};

}  // namespace kvlab
