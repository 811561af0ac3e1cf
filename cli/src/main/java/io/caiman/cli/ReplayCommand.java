package io.caiman.cli;

import io.caiman.cli.replay.Bound;
import io.caiman.cli.replay.Checkpoint;
import io.caiman.cli.replay.DiscardSink;
import io.caiman.cli.replay.Progress;
import io.caiman.cli.replay.RemoteWriteSink;
import io.caiman.cli.replay.ReplaySink;
import io.caiman.cli.replay.Replayer;
import io.caiman.cli.replay.StreamSink;
import io.caiman.cli.replay.TopicSink;
import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClusterConfig;
import io.caiman.core.kafka.KafkaClients;
import io.caiman.core.model.SeriesSelector;
import io.caiman.error.CaimanException;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "replay", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Replay a range of the oplog to standard output, a file, a remote_write endpoint or another "
                + "Kafka topic: exactly the records of the range, each once, in oplog order per partition.", ""},
        footer = {"", "Examples:",
            "  caiman replay -c caiman.yaml --from 2h --match 'http_requests_total{job=\"api\"}'",
            "  caiman replay -c caiman.yaml --from 2026-11-23T10:00:00Z --to 2026-11-23T11:00:00Z \\",
            "      --remote-write http://prometheus:9090/api/v1/write --rate 50000 --checkpoint replay.ckpt",
            "  caiman replay -c caiman.yaml --from offset:0=1200 --format json --output dump.jsonl",
            "  caiman replay -c caiman.yaml --to-topic backup.oplog --to-servers kafka-b:9092",
            "", "Exit status: 0 when the range was replayed whole, 1 on an error (which names the record, the cluster "
                    + "or the sink), 130 when interrupted (the checkpoint, if any, holds where it stopped)."})
final class ReplayCommand implements Callable<Integer> {

    @Mixin
    OplogOptions oplogOptions;

    @Option(names = "--from", paramLabel = "WHEN", defaultValue = "earliest",
            description = "Start (inclusive): an RFC 3339 time, a duration ago (90s, 15m, 2h, 1d), earliest, or "
                    + "offsets (offset:1200, offset:0=1200,3=17). Default: ${DEFAULT-VALUE}.")
    String from;

    @Option(names = "--to", paramLabel = "WHEN", defaultValue = "latest",
            description = "End (exclusive), in the same forms; latest is each partition's end when the replay starts. "
                    + "Default: ${DEFAULT-VALUE}.")
    String to;

    @Option(names = "--by", paramLabel = "CLOCK", defaultValue = "append-time",
            description = "What times refer to: append-time (when the oplog accepted each record; found with the time "
                    + "index) or sample-time (each sample's own timestamp, late and backfilled samples included; reads "
                    + "whole partitions). Default: ${DEFAULT-VALUE}.")
    String by;

    @Option(names = "--partitions", paramLabel = "LIST", description = "Only these partitions, e.g. 0,3,5-7.")
    String partitions;

    @Option(names = "--match", paramLabel = "SELECTOR",
            description = "Only series a Prometheus selector selects, e.g. 'up{job=\"api\"}' (repeatable: any of them).")
    List<String> match = new ArrayList<>();

    @Option(names = "--tenant", paramLabel = "TENANT", description = "Only this tenant's series.")
    String tenant;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
            description = "For standard output and --output: text (Prometheus text lines with timestamps) or json "
                    + "(one object per record, everything it holds). Default: ${DEFAULT-VALUE}.")
    String format;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to a file instead of standard output.")
    Path output;

    @Option(names = "--remote-write", paramLabel = "URL",
            description = "Send to a Prometheus remote_write 1.0 endpoint, e.g. http://prometheus:9090/api/v1/write.")
    URI remoteWrite;

    @Option(names = "--header", paramLabel = "NAME=VALUE",
            description = "A header for every remote_write request, e.g. 'Authorization=Bearer …' (repeatable).")
    List<String> headers = new ArrayList<>();

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "2000",
            description = "Samples per remote_write request. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--max-attempts", paramLabel = "N", defaultValue = "10",
            description = "Attempts per remote_write request on 5xx, 429 or a lost connection. Default: ${DEFAULT-VALUE}.")
    int maxAttempts;

    @Option(names = "--to-topic", paramLabel = "TOPIC",
            description = "Copy the records to a Kafka topic: same keys, values and partitions.")
    String toTopic;

    @Option(names = "--to-servers", paramLabel = "HOST:PORT,…",
            description = "The Kafka cluster of --to-topic (default: the oplog's own).")
    String toServers;

    @Option(names = "--discard", description = "Read, decode and filter, but write nothing: counts what the range holds.")
    boolean discard;

    @Option(names = "--checkpoint", paramLabel = "FILE",
            description = "Keep the replay's position in FILE; run the same command again to resume where it stopped.")
    Path checkpoint;

    @Option(names = "--rate", paramLabel = "SAMPLES_PER_SECOND", defaultValue = "0",
            description = "Write at most this many samples per second (0: no limit).")
    double rate;

    @Option(names = "--on-bad-record", paramLabel = "POLICY", defaultValue = "fail",
            description = "An unreadable record: fail (stop, naming its partition and offset), skip (count it) or log "
                    + "(name it on standard error and go on). Default: ${DEFAULT-VALUE}.")
    String onBadRecord;

    @Option(names = "--progress", paramLabel = "MODE", defaultValue = "auto",
            description = "Progress on standard error: auto, tty (redrawn in place), plain (lines), none. Default: ${DEFAULT-VALUE}.")
    String progress;

    @Option(names = "--progress-interval", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
            description = "How often plain progress lines are printed (5s, 1m). Default: ${DEFAULT-VALUE}.")
    Duration progressInterval;

    PrintStream out = System.out;
    PrintStream err = System.err;

    @Override
    public Integer call() throws Exception {
        // Ctrl-C or SIGTERM: stop between records, deliver what was read, write the checkpoint, then exit
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.set(true);
            try {
                finished.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "caiman-replay-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return run(stop::get);
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it waits for finished, counted down above
            }
        }
    }

    /**
     * Replays as the options say.
     *
     * @param stop polled between records; true stops the replay cleanly
     * @return the exit status: 0 when the range was replayed whole, 130 when stopped before its end
     */
    int run(BooleanSupplier stop) throws Exception {
        CaimanConfig cfg = oplogOptions.load();
        ClusterConfig oplog = oplogOptions.oplog(cfg);
        Replayer.Options options = options(oplog);
        try (ReplaySink sink = sink(cfg, oplog, options)) {
            sink.check();
            try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.newReader(cfg, oplog, "caiman-replay")) {
                Replayer.Summary summary = new Replayer(consumer, sink, options,
                        Progress.of(mode(), err, progressInterval.toMillis()), err, stop).run();
                report(summary, sink, oplog);
                return summary.complete() ? 0 : 130;
            }
        }
    }

    Replayer.Options options(ClusterConfig oplog) {
        long now = System.currentTimeMillis();
        Bound start = Bound.parse(from, now);
        Bound end = Bound.parse(to, now);
        Replayer.By clock = switch (by) {
            case "append-time" -> Replayer.By.APPEND_TIME;
            case "sample-time" -> Replayer.By.SAMPLE_TIME;
            default -> throw new CaimanException("--by must be append-time or sample-time, not " + by);
        };
        if (clock == Replayer.By.SAMPLE_TIME && (start instanceof Bound.Offsets || end instanceof Bound.Offsets)) {
            throw new CaimanException("--by sample-time takes times, not offsets");
        }
        Replayer.OnBadRecord bad;
        try {
            bad = Replayer.OnBadRecord.valueOf(onBadRecord.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CaimanException("--on-bad-record must be fail, skip or log, not " + onBadRecord);
        }
        List<SeriesSelector> selectors = new ArrayList<>();
        for (String m : match) {
            try {
                selectors.add(SeriesSelector.parse(m));
            } catch (IllegalArgumentException e) {
                throw new CaimanException("--match: " + e.getMessage());
            }
        }
        if (rate < 0) {
            throw new CaimanException("--rate must be 0 (no limit) or more, not " + rate);
        }
        String description = String.join(" ", "from=" + from, "to=" + to, "by=" + by,
                "partitions=" + (partitions == null ? "all" : partitions), "match=" + String.join(" or ", match),
                "tenant=" + (tenant == null ? "all" : tenant), "sink=" + sinkDescription());
        return new Replayer.Options(oplog.oplogTopic(), start, end, clock, partitions(), selectors, tenant, bad, rate,
                checkpoint, Duration.ofSeconds(1), description, oplogOptions.timeout);
    }

    private String sinkDescription() {
        if (remoteWrite != null) {
            return "remote_write " + remoteWrite;
        }
        if (toTopic != null) {
            return "topic " + toTopic + (toServers == null ? "" : " at " + toServers);
        }
        if (discard) {
            return "discard";
        }
        return (output == null ? "stdout" : output.toAbsolutePath().normalize().toString()) + " " + format;
    }

    private Set<Integer> partitions() {
        if (partitions == null) {
            return null;
        }
        Set<Integer> set = new TreeSet<>();
        try {
            for (String part : partitions.split(",")) {
                String p = part.trim();
                int dash = p.indexOf('-');
                int lo = Integer.parseInt(dash < 0 ? p : p.substring(0, dash).trim());
                int hi = dash < 0 ? lo : Integer.parseInt(p.substring(dash + 1).trim());
                if (lo < 0 || hi < lo) {
                    throw new NumberFormatException();
                }
                for (int i = lo; i <= hi; i++) {
                    set.add(i);
                }
            }
        } catch (RuntimeException e) {
            throw new CaimanException("--partitions must list partitions and ranges such as 0,3,5-7, not " + partitions);
        }
        return set;
    }

    private ReplaySink sink(CaimanConfig cfg, ClusterConfig oplog, Replayer.Options options) throws IOException {
        int chosen = (output != null ? 1 : 0) + (remoteWrite != null ? 1 : 0) + (toTopic != null ? 1 : 0) + (discard ? 1 : 0);
        if (chosen > 1) {
            throw new CaimanException("choose one sink: --output, --remote-write, --to-topic or --discard");
        }
        if (remoteWrite != null) {
            if (batchSize < 1 || maxAttempts < 1) {
                throw new CaimanException("--batch-size and --max-attempts must be at least 1");
            }
            Map<String, String> h = new LinkedHashMap<>();
            for (String header : headers) {
                int eq = header.indexOf('=');
                if (eq <= 0) {
                    throw new CaimanException("--header must be NAME=VALUE, not " + header);
                }
                h.put(header.substring(0, eq).trim(), header.substring(eq + 1).trim());
            }
            return new RemoteWriteSink(remoteWrite, h, batchSize, maxAttempts, ms -> {
                try {
                    Thread.sleep(ms);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        if (toTopic != null) {
            Map<String, Object> p = KafkaClients.producer(cfg, oplog, "caiman-replay");
            if (toServers != null) {
                p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, toServers);
            }
            if (toTopic.equals(oplog.oplogTopic()) && toServers == null) {
                throw new CaimanException("--to-topic " + toTopic + " is the oplog being replayed; name another topic "
                        + "or another cluster with --to-servers");
            }
            return new TopicSink(p, toTopic, oplog.partitions());
        }
        if (discard) {
            return new DiscardSink();
        }
        StreamSink.Format f = switch (format) {
            case "text" -> StreamSink.Format.TEXT;
            case "json" -> StreamSink.Format.JSON;
            default -> throw new CaimanException("--format must be text or json, not " + format);
        };
        if (output == null) {
            return StreamSink.of(f, out);
        }
        // resuming: the file keeps what was delivered before the checkpoint, and loses anything written after it
        Checkpoint resume = Replayer.checkpointOf(options);
        return StreamSink.file(f, output, resume != null && resume.outputBytes() >= 0 ? resume.outputBytes() : 0);
    }

    private Progress.Mode mode() {
        try {
            return Progress.Mode.valueOf(progress.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CaimanException("--progress must be auto, tty, plain or none, not " + progress);
        }
    }

    private void report(Replayer.Summary s, ReplaySink sink, ClusterConfig oplog) {
        StringBuilder line = new StringBuilder("caiman replay: ");
        line.append(s.complete() ? "done: " : "stopped before the end: ").append(s.written()).append(s.written() == 1 ? " record to " : " records to ")
                .append(sink.describe()).append(" from ").append(oplog.oplogTopic())
                .append(String.format(Locale.ROOT, " in %.1f s", s.took().toMillis() / 1000.0));
        line.append(" (").append(s.read()).append(" read, ").append(s.filtered())
                .append(" outside the range or not selected, ").append(s.bad()).append(" unreadable")
                .append(s.resumed() ? "; resumed from " + checkpoint : "").append(')');
        err.println(line);
        if (s.notExpressible() > 0) {
            err.println("caiman replay: " + s.notExpressible() + " StatsD increments, gauge deltas or set members were "
                    + "not written: " + sink.describe() + " carries values only; --format json or --to-topic keeps them");
        }
        if (!s.complete() && checkpoint != null) {
            err.println("caiman replay: the checkpoint " + checkpoint + " holds where it stopped; run the same command "
                    + "to resume");
        }
    }
}
