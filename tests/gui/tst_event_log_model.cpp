// SPDX-License-Identifier: MIT
// EventLogModel (bounded ring buffer of cache events) and EventLogFilter (type / layer), both under
// QAbstractItemModelTester while rows are appended past the capacity.
#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

#include "ui/event_log_filter.h"
#include "ui/event_log_model.h"

using namespace kvlab;

class TestEventLogModel : public QObject {
  Q_OBJECT
private:
  static std::vector<CacheEvent> makeEvents(int count, int firstId) {
    std::vector<CacheEvent> events;
    for (int i = 0; i < count; ++i) {
      CacheEvent e;
      e.type = CacheEventType(i % 4);
      e.evictReason = EvictReason(i % 3);
      e.entryId = std::uint64_t(firstId + i);
      e.layer = i % 5 == 0 ? kAllLayers : i % 3;
      e.timeMs = firstId + i;
      e.bytes = 1024;
      e.tokens = 16;
      events.push_back(e);
    }
    return events;
  }

private Q_SLOTS:
  void ringBuffer_data() {
    QTest::addColumn<int>("capacity");
    QTest::addColumn<QList<int>>("batches");
    QTest::newRow("below capacity") << 100 << QList<int>{10, 20, 30};
    QTest::newRow("exactly full") << 60 << QList<int>{10, 20, 30};
    QTest::newRow("wraps") << 25 << QList<int>{10, 20, 30, 7};
    QTest::newRow("batch larger than capacity") << 8 << QList<int>{3, 50, 2};
    QTest::newRow("capacity one") << 1 << QList<int>{1, 2, 3};
  }
  void ringBuffer() {
    QFETCH(int, capacity);
    QFETCH(QList<int>, batches);
    EventLogModel model{std::size_t(capacity)};
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    EventLogFilter filter;
    filter.setSourceModel(&model);
    QAbstractItemModelTester filterTester(&filter, QAbstractItemModelTester::FailureReportingMode::QtTest);
    filter.setTypeFilter(CacheEventType::Eviction);
    int total = 0;
    for (int n : batches) {
      model.append(makeEvents(n, total + 1));
      total += n;
      QCOMPARE(model.rowCount(), std::min(total, capacity));
      QCOMPARE(model.totalAppended(), std::uint64_t(total));
      // Newest last, in order, numbered from the start of the run.
      QCOMPARE(model.event(model.rowCount() - 1).entryId, std::uint64_t(total));
      QCOMPARE(model.sequence(model.rowCount() - 1), std::uint64_t(total));
      QCOMPARE(model.event(0).entryId, std::uint64_t(total - model.rowCount() + 1));
      for (int r = 0; r < filter.rowCount(); ++r)
        QCOMPARE(filter.index(r, EventLogModel::Type).data().toString(), QStringLiteral("eviction"));
    }
    filter.setTypeFilter(std::nullopt);
    QCOMPARE(filter.rowCount(), model.rowCount());
    model.clear();
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(filter.rowCount(), 0);
  }

  void skippedEventsKeepTheRunsNumbering() {
    // Events the run's buffer dropped before they reached the log still count, as in `kvlab-cli replay
    // --events`: 3 events (1..3), 5 dropped (4..8), 2 events (9, 10). Capacity 4 keeps the newest four:
    // numbers 2, 3, 9, 10 — not 2..5, and the rows kept before the skip keep their numbers.
    EventLogModel model{4};
    model.append(makeEvents(3, 1));
    model.skip(5);
    model.append(makeEvents(2, 4));
    QCOMPARE(model.rowCount(), 4);
    const std::uint64_t expected[] = {2, 3, 9, 10};
    for (int r = 0; r < 4; ++r) QCOMPARE(model.sequence(r), expected[r]);
    model.clear();
    model.append(makeEvents(1, 1));
    QCOMPARE(model.sequence(0), std::uint64_t(1));  // a new run starts at 1
  }

  void layerFilter() {
    EventLogModel model(1000);
    EventLogFilter filter;
    filter.setSourceModel(&model);
    QAbstractItemModelTester tester(&filter, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.append(makeEvents(30, 1));
    filter.setLayerFilter(kAllLayers);
    QCOMPARE(filter.rowCount(), 6);  // i % 5 == 0
    filter.setLayerFilter(1);
    // Layer 1 rows plus the all-layer rows, which hold layer 1 too.
    int expected = 0;
    for (int i = 0; i < 30; ++i) expected += (i % 5 == 0 || i % 3 == 1) ? 1 : 0;
    QCOMPARE(filter.rowCount(), expected);
    filter.setLayerFilter(EventLogFilter::kAnyLayer);
    QCOMPARE(filter.rowCount(), 30);
  }

  void columnsForANarrowDock() {
    // Tokens and Size right after the reason; time in seconds with its unit in the header; a lowered max
    // size is named as such; "kept" counts rows held, the older ones apart.
    EventLogModel model(4);
    QCOMPARE(int(EventLogModel::Tokens), 4);
    QCOMPARE(int(EventLogModel::Size), 5);
    QCOMPARE(model.headerData(EventLogModel::Time, Qt::Horizontal).toString(), QStringLiteral("Time (s)"));
    CacheEvent e;
    e.type = CacheEventType::Eviction;
    e.evictReason = EvictReason::PolicyChange;
    e.timeMs = 12345;
    e.tokens = 16;
    e.bytes = 2048;
    model.append(std::vector<CacheEvent>(6, e));
    QCOMPARE(model.index(0, EventLogModel::Time).data().toString(), QStringLiteral("12.345"));
    QCOMPARE(model.index(0, EventLogModel::Reason).data().toString(), QStringLiteral("max size lowered"));
    QCOMPARE(model.index(0, EventLogModel::Tokens).data().toInt(), 16);
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(model.droppedOldest(), std::uint64_t(2));  // 6 received, 4 kept
  }

  void signalsOnAppend() {
    EventLogModel model(4);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    model.append(makeEvents(3, 1));
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(removed.count(), 0);
    model.append(makeEvents(3, 4));
    QCOMPARE(removed.count(), 1);
    QCOMPARE(removed.at(0).at(1).toInt(), 0);
    QCOMPARE(removed.at(0).at(2).toInt(), 1);  // the two oldest rows
    QCOMPARE(inserted.count(), 2);
  }
};

QTEST_GUILESS_MAIN(TestEventLogModel)
#include "tst_event_log_model.moc"
