// SPDX-License-Identifier: MIT
#pragma once
// "Open model…" in every model combo (Live, Serving, Tune): beside the presets, the user's own model as a
// Hugging Face config.json or a model directory, checked by the same reader the CLI's --model uses
// (core/arch/model_loader.h) before it is offered. One implementation for the three pages.
#include <QString>

class QComboBox;
class QWidget;

namespace kvlab {

// The --model value for a file the user chose: the folder of a config.json that sits beside *.safetensors
// (real weights, runnable live), else the file itself (the architecture: sizes and the cost model).
QString modelSourceForChosenFile(const QString& path);

// Reads `source` as --model does; on success adds it to `combo` (text: the model's name and where it came
// from, data: `source`; an entry already there is reused) and selects it. On failure leaves the combo as it
// was and returns false with the reader's message (file, field) in *error.
bool addModelSource(QComboBox* combo, const QString& source, QString* error);

// The --model value of the combo's current entry: its data where set, else its text (a preset name).
QString currentModelSource(const QComboBox* combo);

// Appends the "Open model…" entry: choosing it asks for a config.json (or a model directory's config.json),
// adds the model with addModelSource, and returns to the previous entry if the dialog is cancelled or the
// file is refused (the reason in a message box over `parent`).
void addOpenModelEntry(QComboBox* combo, QWidget* parent);

}  // namespace kvlab
