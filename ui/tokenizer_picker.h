// SPDX-License-Identifier: MIT
#pragma once
// The tokenizer row of the Live controls and the Workload page: a Hugging Face tokenizer.json from the
// user's disk (typed, or chosen with Browse…, a model directory standing for its tokenizer.json; the field's
// clear button goes back to none) and the chat template around a prompt's messages. Bound to the shared SourceSelection, like SourcePicker:
// every page then reads a prompts file's text with it, and Live runs tokenize scenario text with it (the
// request view shows real tokens). A path that is not a readable file says so under the field; loading and
// checking the tokenizer itself is the run's (its error names the file). GUI thread only.
#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace kvlab {

class SourceSelection;

class TokenizerPicker : public QWidget {
  Q_OBJECT
public:
  TokenizerPicker(SourceSelection* selection, QWidget* parent = nullptr);
  QLineEdit* pathEdit() const { return m_path; }
  QComboBox* templateCombo() const { return m_template; }
  QLabel* problemLabel() const { return m_problem; }
  // The Live controls hide the template: a scenario's text is tokenized as it is (no chat template); the
  // Workload page shows it beside the path.
  void setTemplateVisible(bool visible);

  // A tokenizer.json, or a directory holding one, as the file to use; "" when neither.
  static QString tokenizerFile(const QString& path);

private:
  void apply();  // the fields -> the selection
  void showSelection();

  SourceSelection* m_selection;
  QLineEdit* m_path = nullptr;
  QPushButton* m_browse = nullptr;
  QComboBox* m_template = nullptr;
  QLabel* m_problem = nullptr;
  bool m_updating = false;
};

}  // namespace kvlab
