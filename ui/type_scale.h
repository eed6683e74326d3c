// SPDX-License-Identifier: MIT
#pragma once
// The app's type scale: one pixel size per kind of text, for the three places text is read from. Every
// chart, headline, table and explanation takes its font from here, so presentation mode and exports change
// every page at once and a test can check the sizes.
//  - window: a desktop window at 1600 x 1000 (ticks 13 px, chart titles 16 px);
//  - presentation: a projector at 1920 x 1080 read from the back of a lecture hall (ticks 20 px, titles
//    30 px, the headline 56 px);
//  - exported: a chart rendered into its own 1200 x 750 canvas (PNG, SVG) or a PDF page (ticks 17 px).
// Sizes are pixels (QFont::setPixelSize), not points, so they do not depend on the screen's DPI setting.
#include <QFont>
#include <array>

namespace kvlab {

enum class TextRole {
  Tick,            // axis tick labels
  AxisTitle,       // axis titles
  Legend,          // legend entries
  ChartTitle,      // a chart's title
  Body,            // controls, tables, notices, footers
  Explanation,     // "what am I looking at" text beside a chart
  Headline,        // a page's answer, in large type
  HeadlineDetail,  // the sentence under the headline
  Count
};

class TypeScale {
public:
  enum class Context { Window, Presentation, Export };
  static TypeScale window();
  static TypeScale presentation();
  static TypeScale exported();
  static TypeScale forContext(Context context);

  Context context() const { return m_context; }
  bool isPresentation() const { return m_context == Context::Presentation; }
  int pixels(TextRole role) const { return m_pixels[std::size_t(role)]; }
  // A font of `family`'s family at the role's pixel size; titles and headlines bold.
  QFont font(TextRole role, const QFont& family = QFont()) const;
  // Line widths of chart series are multiplied by this (1 in the window).
  double lineScale() const { return m_lineScale; }

private:
  TypeScale(Context context, std::array<int, std::size_t(TextRole::Count)> pixels, double lineScale)
      : m_context(context), m_pixels(pixels), m_lineScale(lineScale) {}
  Context m_context;
  std::array<int, std::size_t(TextRole::Count)> m_pixels;
  double m_lineScale;
};

}  // namespace kvlab
