// SPDX-License-Identifier: MIT
#include "ui/command_line_options.h"

#include <QCommandLineParser>
#include <QFileInfo>

#include "core/arch/model_config.h"
#include "core/arch/model_loader.h"
#include "core/hardware/hardware_profile.h"
#include "core/policies/policy_registry.h"
#include "core/runner/scenario_runner.h"
#include "core/tiers/remote_url.h"
#include "core/trace/trace_format.h"
#include "core/util/input_error.h"
#include "core/util/units.h"
#include "core/util/value_series.h"
#include "core/workload/scenario.h"

namespace kvlab {

namespace {
std::string str(const QString& s) { return s.toStdString(); }

QString joined(const std::vector<std::string>& names) {
  QStringList list;
  for (const std::string& n : names) list << QString::fromStdString(n);
  return list.join(QStringLiteral(", "));
}
}  // namespace

CommandLineResult parseCommandLine(const QStringList& args) {
  CommandLineResult result;
  QCommandLineParser parser;
  parser.setApplicationDescription(
      QStringLiteral("KV Cache Lab: watch an LLM's KV cache live. Without options the window opens with the "
                     "last settings."));
  const QCommandLineOption help = parser.addHelpOption();
  const QCommandLineOption version = parser.addVersionOption();
  const QCommandLineOption scenario(
      QStringLiteral("scenario"),
      QStringLiteral("Bundled scenario name, scenario .json or a trace of any supported format."),
      QStringLiteral("NAME|FILE"));
  const QCommandLineOption device(QStringLiteral("device"),
                                  QStringLiteral("Compute device: cpu, cuda or auto."),
                                  QStringLiteral("DEVICE"));
  const QCommandLineOption granularity(QStringLiteral("granularity"),
                                       QStringLiteral("Cache granularity: prompt, block or radix."),
                                       QStringLiteral("G"));
  const QCommandLineOption blockSize(QStringLiteral("block-size"),
                                     QStringLiteral("Tokens per block (block granularity)."),
                                     QStringLiteral("N"));
  const QCommandLineOption policy(QStringLiteral("policy"),
                                  QStringLiteral("Eviction policy: %1.").arg(joined(policyNames())),
                                  QStringLiteral("P"));
  const QCommandLineOption maxSize(QStringLiteral("max-size"),
                                   QStringLiteral("Cache max size, e.g. 256MiB or 1.5GB."),
                                   QStringLiteral("SIZE"));
  const QCommandLineOption ttl(QStringLiteral("ttl"),
                               QStringLiteral("Entry time to live, e.g. 30s, 5m; 0 or off = never."),
                               QStringLiteral("DURATION"));
  const QCommandLineOption model(
      QStringLiteral("model"),
      QStringLiteral("Model: a preset, a Hugging Face config.json or a model directory."),
      QStringLiteral("PRESET"));
  const QCommandLineOption tokenizer(
      QStringLiteral("tokenizer"),
      QStringLiteral("A Hugging Face tokenizer.json: Live runs tokenize the scenario text with it; your own "
                     "prompts files with text are read with it on every page."),
      QStringLiteral("PATH"));
  const QCommandLineOption chatTemplate(
      QStringLiteral("chat-template"),
      QStringLiteral("With --tokenizer, for prompts files: auto, llama-3, chatml or raw (default auto)."),
      QStringLiteral("NAME"));
  const QCommandLineOption seed(QStringLiteral("seed"), QStringLiteral("Scenario seed (prompts)."),
                                QStringLiteral("N"));
  const QCommandLineOption noBaseline(QStringLiteral("no-baseline"),
                                      QStringLiteral("Do not also run every request uncached (no speedup)."));
  const QCommandLineOption autorun(
      QStringLiteral("autorun"),
      QStringLiteral(
          "Run the page shown (--page) as soon as the window is up: Live runs the scenario, Serving "
          "simulates with and without prefix caching, Fleet compares the routers, Tune sweeps."));
  const QCommandLineOption speed(
      QStringLiteral("speed"), QStringLiteral("Serving page: arrival speed (2 = twice the load; default 1)."),
      QStringLiteral("X"));
  const QCommandLineOption report(QStringLiteral("export-report"),
                                  QStringLiteral("Write a PDF report when the run finishes."),
                                  QStringLiteral("FILE.pdf"));
  const QCommandLineOption exportDir(
      QStringLiteral("export-dir"),
      QStringLiteral(
          "Write every chart (PNG, SVG), the PDF report and the CSVs into DIR when the run finishes."),
      QStringLiteral("DIR"));
  const QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                      QStringLiteral("Save a PNG of the window when the run finishes."),
                                      QStringLiteral("FILE.png"));
  const QCommandLineOption screenshotAfter(
      QStringLiteral("screenshot-after"),
      QStringLiteral("Take the screenshot once N requests are done (mid-run) instead."), QStringLiteral("N"));
  const QCommandLineOption quit(
      QStringLiteral("quit-when-done"),
      QStringLiteral("Exit when the run and the exports are done (exit code 1 if the run failed)."));
  const QCommandLineOption ttlMode(
      QStringLiteral("ttl-mode"), QStringLiteral("What the TTL measures: idle (time since last use) or age."),
      QStringLiteral("MODE"));
  const QCommandLineOption pinBudget(
      QStringLiteral("pin-budget"),
      QStringLiteral("Pin each request's first segment within this many bytes, e.g. 64MiB."),
      QStringLiteral("SIZE"));
  const QCommandLineOption hardware(
      QStringLiteral("hardware"),
      QStringLiteral("Cost-model accelerator for trace replays (default h100-sxm)."),
      QStringLiteral("PROFILE"));
  const QCommandLineOption presentation(
      QStringLiteral("presentation"),
      QStringLiteral("Start in presentation mode (large fonts, one chart at a time; F11 toggles)."));
  const QCommandLineOption drawWhileTiming(
      QStringLiteral("draw-while-timing"),
      QStringLiteral("Redraw while prefills are being timed (the old behaviour; lower measured speedups)."));
  const QCommandLineOption lag(
      QStringLiteral("measure-lag"),
      QStringLiteral("Measure event-loop lag during the run; print p50/p99 at exit."));
  const QCommandLineOption page(QStringLiteral("page"),
                                QStringLiteral("Show this page at start: live, workload, serving, fleet or tune."),
                                QStringLiteral("NAME"));
  const QCommandLineOption sweep(
      QStringLiteral("sweep"),
      QStringLiteral("Open the Tune page on this trace (.jsonl) or scenario and start a sweep; --screenshot, "
                     "--export-dir, --export-report and --quit-when-done then wait for the sweep."),
      QStringLiteral("TRACE|SCENARIO"));
  const QCommandLineOption sweepSizes(
      QStringLiteral("sweep-sizes"),
      QStringLiteral("Cache sizes of --sweep in tokens: a list or FROM:TO:logN (default: auto)."),
      QStringLiteral("SERIES"));
  const QCommandLineOption hostSize(
      QStringLiteral("host-size"),
      QStringLiteral("Host-memory tier under the device cache (live block runs), e.g. 256MiB, unlimited; "
                     "0 or off = none."),
      QStringLiteral("SIZE"));
  const QCommandLineOption hostPolicy(
      QStringLiteral("host-policy"),
      QStringLiteral("The host tier's eviction policy (default: the device's)."), QStringLiteral("P"));
  const QCommandLineOption remote(
      QStringLiteral("remote"),
      QStringLiteral(
          "Remote Redis tier (live block runs): redis://[user:password@]host[:port][/db] or "
          "redis-cluster://host:port[,host:port...]; \"\" or off = none. Leave the password "
          "out to read it from KVLAB_REMOTE_PASSWORD or the file KVLAB_REMOTE_PASSWORD_FILE names."),
      QStringLiteral("URL"));
  const QCommandLineOption remoteWrite(QStringLiteral("remote-write"),
                                       QStringLiteral("Remote tier write mode: through (default) or back."),
                                       QStringLiteral("MODE"));
  const QCommandLineOption remoteTimeout(
      QStringLiteral("remote-timeout"),
      QStringLiteral("Deadline of each remote operation, e.g. 50ms, 2s (default 50ms)."),
      QStringLiteral("DURATION"));
  parser.addOptions({hostSize, hostPolicy, remote, remoteWrite, remoteTimeout});
  parser.addOptions({page, sweep, sweepSizes, speed, tokenizer, chatTemplate});
  parser.addOptions({scenario,        device, granularity, blockSize, policy,    maxSize,   ttl,
                     model,           seed,   noBaseline,  autorun,   report,    exportDir, screenshot,
                     screenshotAfter, quit,   lag,         ttlMode,   pinBudget, hardware,  presentation,
                     drawWhileTiming});
  parser.addPositionalArgument(QStringLiteral("scenario"), QStringLiteral("Same as --scenario."),
                               QStringLiteral("[scenario]"));

  if (!parser.parse(args)) {
    result.error = parser.errorText();
    return result;
  }
  if (parser.isSet(help)) {
    result.exitNow = true;
    result.message = parser.helpText();
    return result;
  }
  if (parser.isSet(version)) {
    result.exitNow = true;
    result.message = QStringLiteral("kvlab %1\n").arg(QStringLiteral(KVLAB_UI_VERSION));
    return result;
  }
  if (parser.positionalArguments().size() > 1) {
    result.error = QStringLiteral("expected at most one scenario, got: %1")
                       .arg(parser.positionalArguments().join(QLatin1Char(' ')));
    return result;
  }

  CommandLineOptions& o = result.options;
  const QString flag = [&]() -> QString {
    RunSettings s;
    s.scenario.clear();  // "" = keep the window's scenario, override only what was given
    bool any = false;
    QString current;
    try {
      if (parser.isSet(scenario) || !parser.positionalArguments().isEmpty()) {
        current = QStringLiteral("--scenario");
        s.scenario =
            str(parser.isSet(scenario) ? parser.value(scenario) : parser.positionalArguments().first());
        resolveScenario(s.scenario, defaultScenarioDir());  // throws, listing the bundled names
        any = true;
      }
      if (parser.isSet(device)) {
        current = QStringLiteral("--device");
        s.device = str(parser.value(device));
        if (s.device != "cpu" && s.device != "cuda" && s.device != "auto")
          throw InputError("", 0, "", "expected cpu, cuda or auto, got " + quoteForError(s.device));
        any = true;
      }
      if (parser.isSet(granularity)) {
        current = QStringLiteral("--granularity");
        s.granularity = parseGranularity(str(parser.value(granularity)));
        any = true;
      }
      if (parser.isSet(blockSize)) {
        current = QStringLiteral("--block-size");
        s.blockSize = std::uint32_t(parseCount(str(parser.value(blockSize)), "block-size", 1, 65536));
        any = true;
      }
      if (parser.isSet(policy)) {
        current = QStringLiteral("--policy");
        s.policy = str(parser.value(policy));
        if (!findPolicy(*s.policy))
          throw InputError("", 0, "", unknownPolicyMessage(*s.policy, /*forReplay=*/false));
        any = true;
      }
      if (parser.isSet(maxSize)) {
        current = QStringLiteral("--max-size");
        s.maxBytes = parseSize(str(parser.value(maxSize)), "max-size");
        if (*s.maxBytes == 0) throw InputError("", 0, "", "must be greater than 0");
        any = true;
      }
      if (parser.isSet(ttl)) {
        current = QStringLiteral("--ttl");
        s.ttlMs = parseDurationMs(str(parser.value(ttl)), "ttl");
        any = true;
      }
      if (parser.isSet(ttlMode)) {
        current = QStringLiteral("--ttl-mode");
        const std::string mode = str(parser.value(ttlMode));
        if (mode != "idle" && mode != "age")
          throw InputError("", 0, "", "expected idle or age, got " + quoteForError(mode));
        s.ttlMode = mode == "age" ? TtlMode::Age : TtlMode::Idle;
        any = true;
      }
      if (parser.isSet(pinBudget)) {
        current = QStringLiteral("--pin-budget");
        s.pinnedBudgetBytes = parseSize(str(parser.value(pinBudget)), "pin-budget");
        any = true;
      }
      if (parser.isSet(hardware)) {
        current = QStringLiteral("--hardware");
        s.hardware = str(parser.value(hardware));
        if (!findHardwareProfile(s.hardware)) {
          std::vector<std::string> names;
          for (const std::string& p : hardwareProfileNames()) names.push_back(p);
          throw InputError("", 0, "",
                           "unknown hardware profile " + quoteForError(s.hardware) + " (choose " +
                               str(joined(names)) + ")");
        }
        any = true;
      }
      if (parser.isSet(model)) {
        current = QStringLiteral("--model");
        s.model = str(parser.value(model));
        (void)loadModel(*s.model, "");  // a preset, a config.json or a model directory; throws naming it
        any = true;
      }
      if (parser.isSet(tokenizer)) {
        current = QStringLiteral("--tokenizer");
        s.tokenizerPath = str(parser.value(tokenizer));
        if (!QFileInfo(parser.value(tokenizer)).isFile())
          throw InputError(s.tokenizerPath, 0, "", "is not a readable file (a Hugging Face tokenizer.json)");
        any = true;
      }
      if (parser.isSet(chatTemplate)) {
        current = QStringLiteral("--chat-template");
        s.chatTemplate = str(parser.value(chatTemplate));
        if (!QStringList{QStringLiteral("auto"), QStringLiteral("llama-3"), QStringLiteral("chatml"),
                         QStringLiteral("raw")}
                 .contains(parser.value(chatTemplate)))
          throw InputError("", 0, "", "expected auto, llama-3, chatml or raw, got " + quoteForError(s.chatTemplate));
        any = true;
      }
      if (parser.isSet(seed)) {
        current = QStringLiteral("--seed");
        s.seed = parseCount(str(parser.value(seed)), "seed", 0);
        any = true;
      }
      if (parser.isSet(hostSize)) {
        current = QStringLiteral("--host-size");
        const std::string text = str(parser.value(hostSize));
        s.hostMaxBytes = text == "off" ? 0 : parseSizeOrUnlimited(text, "host-size");
        any = true;
      }
      if (parser.isSet(hostPolicy)) {
        current = QStringLiteral("--host-policy");
        s.hostPolicy = str(parser.value(hostPolicy));
        if (!findPolicy(*s.hostPolicy))
          throw InputError("", 0, "", unknownPolicyMessage(*s.hostPolicy, /*forReplay=*/false));
        any = true;
      }
      if (parser.isSet(remote)) {
        current = QStringLiteral("--remote");
        s.remoteUrl = str(parser.value(remote).trimmed());
        if (s.remoteUrl == "off") s.remoteUrl.clear();
        if (!s.remoteUrl.empty()) RemoteUrl::parse(s.remoteUrl, "remote");
        any = true;
      }
      if (parser.isSet(remoteWrite)) {
        current = QStringLiteral("--remote-write");
        const std::string mode = str(parser.value(remoteWrite));
        if (mode != "through" && mode != "back")
          throw InputError("", 0, "", "expected through or back, got " + quoteForError(mode));
        s.remoteWriteBack = mode == "back";
        any = true;
      }
      if (parser.isSet(remoteTimeout)) {
        current = QStringLiteral("--remote-timeout");
        const std::int64_t ms = parseDurationMs(str(parser.value(remoteTimeout)), "remote-timeout");
        if (ms < 1 || ms > 600'000) throw InputError("", 0, "", "must be between 1ms and 10m");
        s.remoteTimeoutMs = int(ms);
        any = true;
      }
      if (parser.isSet(noBaseline)) {
        s.baseline = false;
        any = true;
      }
      if (parser.isSet(page)) {
        current = QStringLiteral("--page");
        o.page = parser.value(page).toLower();
        if (!QStringList{QStringLiteral("live"), QStringLiteral("workload"), QStringLiteral("serving"),
                         QStringLiteral("fleet"), QStringLiteral("tune")}
                 .contains(o.page))
          throw InputError("", 0, "",
                           "expected live, workload, serving, fleet or tune, got " + quoteForError(str(o.page)));
      }
      if (parser.isSet(sweep)) {
        current = QStringLiteral("--sweep");
        o.sweep = parser.value(sweep);
        if (o.sweep.endsWith(QStringLiteral(".jsonl")) && !QFileInfo::exists(o.sweep))
          throw InputError("", 0, "", "no such trace file: " + str(o.sweep));
        if (!looksLikeTrace(str(o.sweep)))
          resolveScenario(str(o.sweep), defaultScenarioDir());  // throws, listing the bundled names
        if (o.page.isEmpty()) o.page = QStringLiteral("tune");
      }
      if (parser.isSet(sweepSizes)) {
        current = QStringLiteral("--sweep-sizes");
        o.sweepSizes = parser.value(sweepSizes);
        parseCountSeries(str(o.sweepSizes), "sweep-sizes");
      }
      if (parser.isSet(speed)) {
        current = QStringLiteral("--speed");
        bool ok = false;
        o.speed = parser.value(speed).toDouble(&ok);
        if (!ok || !(o.speed >= 0.01 && o.speed <= 1000))
          throw InputError(
              "", 0, "",
              "expected a number from 0.01 to 1000, got " + quoteForError(str(parser.value(speed))));
      }
      if (parser.isSet(screenshotAfter)) {
        current = QStringLiteral("--screenshot-after");
        o.screenshotAfterRequests =
            int(parseCount(str(parser.value(screenshotAfter)), "screenshot-after", 1, 1000000));
      }
    } catch (const InputError& e) {
      return current + QStringLiteral(": ") + QString::fromStdString(e.message);
    } catch (const std::exception& e) {
      return current + QStringLiteral(": ") + QString::fromStdString(e.what());
    }
    if (any) o.run = s;
    return {};
  }();
  if (!flag.isEmpty()) {
    result.error = flag;
    return result;
  }
  o.autorun = parser.isSet(autorun);
  o.quitWhenDone = parser.isSet(quit);
  o.measureLag = parser.isSet(lag);
  o.presentation = parser.isSet(presentation);
  o.drawWhileTiming = parser.isSet(drawWhileTiming);
  o.exportReport = parser.value(report);
  o.exportDir = parser.value(exportDir);
  o.screenshot = parser.value(screenshot);
  if (o.quitWhenDone && !o.autorun && o.sweep.isEmpty()) {
    result.error = QStringLiteral(
        "--quit-when-done: needs --autorun or --sweep (there is no run to wait for otherwise)");
    return result;
  }
  return result;
}

}  // namespace kvlab
