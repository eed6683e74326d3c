// SPDX-License-Identifier: MIT
#include "ui/picture_export.h"

#include <QBuffer>
#include <QImage>
#include <QPainter>
#include <QSvgGenerator>

namespace kvlab {

QByteArray renderPng(const QSize& size, const PaintFunction& paint) {
  QImage image(size, QImage::Format_ARGB32_Premultiplied);
  image.fill(Qt::white);
  {
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    paint(painter, QRectF(QPointF(0, 0), QSizeF(size)));
  }
  QByteArray bytes;
  QBuffer buffer(&bytes);
  buffer.open(QIODevice::WriteOnly);
  image.save(&buffer, "PNG");
  return bytes;
}

QByteArray renderSvg(const QSize& size, const QString& title, const PaintFunction& paint) {
  QByteArray bytes;
  QBuffer buffer(&bytes);
  buffer.open(QIODevice::WriteOnly);
  QSvgGenerator generator;
  generator.setOutputDevice(&buffer);
  generator.setSize(size);
  generator.setViewBox(QRect(QPoint(0, 0), size));
  generator.setTitle(title);
  generator.setDescription(QStringLiteral("KV Cache Lab chart"));
  {
    QPainter painter(&generator);  // ends (and flushes the SVG) before the bytes are returned
    paint(painter, QRectF(QPointF(0, 0), QSizeF(size)));
  }
  return bytes;
}

}  // namespace kvlab
