// SPDX-License-Identifier: MIT
#include "ui/type_scale.h"

namespace kvlab {

// Order: Tick, AxisTitle, Legend, ChartTitle, Body, Explanation, Headline, HeadlineDetail.
TypeScale TypeScale::window() { return TypeScale(Context::Window, {13, 13, 13, 16, 13, 12, 30, 14}, 1.0); }

// At 1080p: ticks >= 18 px and titles >= 28 px, as a lecture hall needs (issue 22).
TypeScale TypeScale::presentation() {
  return TypeScale(Context::Presentation, {20, 22, 20, 30, 20, 20, 56, 24}, 1.8);
}

// A 1200 x 750 canvas shown on a slide or printed on half an A4 page.
TypeScale TypeScale::exported() { return TypeScale(Context::Export, {17, 17, 16, 22, 16, 15, 34, 17}, 1.3); }

TypeScale TypeScale::forContext(Context context) {
  switch (context) {
    case Context::Presentation:
      return presentation();
    case Context::Export:
      return exported();
    case Context::Window:
      break;
  }
  return window();
}

QFont TypeScale::font(TextRole role, const QFont& family) const {
  QFont f = family;
  f.setPixelSize(pixels(role));
  f.setBold(role == TextRole::ChartTitle || role == TextRole::Headline || role == TextRole::AxisTitle);
  return f;
}

}  // namespace kvlab
