// SPDX-License-Identifier: MIT
#pragma once
// Help > About: what the app is, and the versions it runs on (Qt, LibTorch, BLAS, CUDA devices).
class QWidget;
class QString;

namespace kvlab {

class AboutDialog {
public:
  static QString text();  // rich text, also used by tests
  static void show(QWidget* parent);
};

}  // namespace kvlab
