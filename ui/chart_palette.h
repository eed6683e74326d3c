// SPDX-License-Identifier: MIT
#pragma once
// The one colour table of the app: every chart, the request view and the event log take their colours
// here, so "hit" is the same green and "capacity eviction" the same red everywhere (Okabe-Ito based,
// readable for colour-blind viewers and on a projector).
#include <QColor>
#include <string>

#include "core/cache/cache_types.h"

namespace kvlab {

class ChartPalette {
public:
  static QColor hit() { return QColor(0x00, 0x9E, 0x73); }       // reused from the cache
  static QColor computed() { return QColor(0xE6, 0x9F, 0x00); }  // computed in the prefill
  static QColor windowed() { return QColor(0x56, 0xB4, 0xE9); }  // windowed hit rate
  static QColor used() { return QColor(0x00, 0x72, 0xB2); }      // bytes in the cache
  static QColor entries() { return QColor(0x88, 0x88, 0x88); }   // entry counts
  static QColor maxSize() { return QColor(0xD5, 0x5E, 0x00); }   // max size and its share
  static QColor cached() { return QColor(0x00, 0x9E, 0x73); }    // TTFT with the cache
  static QColor uncached() { return QColor(0xCC, 0x79, 0xA7); }  // TTFT without it
  static QColor speedup() { return QColor(0x00, 0x72, 0xB2); }   // cumulative speedup (measured)
  static QColor ideal() { return QColor(0x44, 0x44, 0x44); }     // ideal (FLOP) speedup, dashed
  static QColor pinned() { return QColor(0x88, 0x22, 0x55); }    // pinned bytes
  static QColor insert() { return QColor(0x00, 0x72, 0xB2); }    // insert events (not eviction's red)
  // Where reused K/V came from: the device cache (the hit green), the host tier, the remote tier.
  static QColor tierDevice() { return hit(); }
  static QColor tierHost() { return QColor(0x56, 0xB4, 0xE9); }
  static QColor tierRemote() { return QColor(0xCC, 0x79, 0xA7); }
  // One colour per eviction policy (Tune page curves), by its place in the replay registry; opt (Belady)
  // is black and drawn dashed.
  static QColor policy(const std::string& name);
  // Occupancy by reuse count: light (never reused) to dark (reused often).
  static QColor reuse(int bucket);
  static QColor eviction(EvictReason reason);
  static QColor eventType(CacheEventType type);
  // Earlier runs kept for comparison: one distinct colour each (k = 0 the oldest), drawn thin and dashed,
  // so two runs at different sizes can be told apart.
  static QColor earlierRun(int k);
  // An earlier run's colour: same hue, light, so the live run stands out.
  static QColor faded(const QColor& color) {
    QColor c = color;
    c.setAlpha(90);
    return c;
  }
};

}  // namespace kvlab
