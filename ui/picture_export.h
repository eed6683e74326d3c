// SPDX-License-Identifier: MIT
#pragma once
// A drawing, given as a function that paints into a rectangle, rendered to the bytes of a PNG (white
// background, antialiased) or an SVG file. Every exportable chart and view uses these two.
#include <QByteArray>
#include <QRectF>
#include <QSize>
#include <QString>
#include <functional>

class QPainter;

namespace kvlab {

using PaintFunction = std::function<void(QPainter& painter, const QRectF& target)>;

QByteArray renderPng(const QSize& size, const PaintFunction& paint);
QByteArray renderSvg(const QSize& size, const QString& title, const PaintFunction& paint);

}  // namespace kvlab
