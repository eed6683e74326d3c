// SPDX-License-Identifier: MIT
#include "ui/bound_calculator.h"

#include <QThread>
#include <exception>

#include "core/replay/trace_replayer.h"
#include "core/util/units.h"
#include "ui/source_requests.h"

namespace kvlab {

BoundCalculator::BoundCalculator(QObject* parent) : QObject(parent) {
  m_thread = new QThread(this);
  m_thread->setObjectName(QStringLiteral("bound-worker"));
  m_worker = new QObject;
  m_worker->moveToThread(m_thread);
  connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
  m_thread->start();
}

BoundCalculator::~BoundCalculator() {
  m_wanted.store(-1);
  m_thread->quit();
  m_thread->wait();
}

void BoundCalculator::request(const BoundRequest& request) {
  const int id = ++m_next;
  m_wanted.store(id);
  QMetaObject::invokeMethod(
      m_worker,
      [this, request, id] {
        if (m_wanted.load() != id) return;  // a newer request came first
        try {
          const SourceRequests source = loadSourceRequests(request.source, request.scenarioDir,
                                                           request.blockSize, std::nullopt, request.seed);
          ReplayConfig unbounded;
          unbounded.blockSize = source.blockSize;
          unbounded.maxTokens = kUnlimited;
          TraceReplayer replayer(unbounded);
          for (std::size_t i = 0; i < source.requests.size(); ++i) {
            if ((i & 1023) == 0 && m_wanted.load() != id) return;
            replayer.replay(source.requests[i]);
          }
          const ReplayResult result = replayer.result();
          const double rate = result.tokenHitRate();
          const quint64 tokens = result.promptTokens;
          QMetaObject::invokeMethod(
              this,
              [this, key = request.key, rate, tokens, id] {
                if (m_wanted.load() == id) Q_EMIT boundReady(key, rate, tokens);
              },
              Qt::QueuedConnection);
        } catch (const std::exception&) {
          // No bound for an unreadable source: the run itself reports the error. Said, so nobody waits.
          QMetaObject::invokeMethod(
              this,
              [this, key = request.key, id] {
                if (m_wanted.load() == id) Q_EMIT boundFailed(key);
              },
              Qt::QueuedConnection);
        }
      },
      Qt::QueuedConnection);
}

}  // namespace kvlab
