package io.caiman.bench;

import com.google.protobuf.CodedInputStream;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.openmetrics.OpenMetricsParser;
import io.caiman.core.wire.prometheus.PrometheusTextParser;
import io.caiman.core.wire.remotewrite.RemoteWriteDecoder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.xerial.snappy.Snappy;

/**
 * Samples per second (one operation = one sample) for each wire decoder, each beside a baseline that does
 * only the work no decoder can skip:
 *
 * <ul>
 *   <li>text (Prometheus, OpenMetrics, Influx, Graphite): the baseline decodes the Prometheus text body from
 *       UTF-8 and finds every line and field boundary;
 *   <li>remote write: the baseline uncompresses the snappy body and walks the protobuf, skipping every field.
 * </ul>
 *
 * Most benchmarks decode one body of 1,000 series again and again; the {@code ManySeries} ones take 16 bodies of
 * distinct series in turn (16,000 series, as a gateway sees from a fleet), so less of what they read stays in the
 * core's own caches.
 *
 * Run: {@code ./mvnw -B -ntp -q -pl bench -am package -DskipTests && java -jar bench/target/benchmarks.jar}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class ParserBenchmark {

    private final PrometheusTextParser text = new PrometheusTextParser();
    private final OpenMetricsParser openMetrics = new OpenMetricsParser();
    private final RemoteWriteDecoder remoteWrite = new RemoteWriteDecoder(io.caiman.core.wire.SampleLimits.GENEROUS);
    private byte[][] manyRemoteWriteBodies;
    private byte[][] manyTextBodies;
    private int next;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder();
    private byte[] textBody;
    private byte[] openMetricsBody;
    private byte[] remoteWriteBody;
    private byte[] influxBody;
    private byte[] graphiteBody;
    private final io.caiman.core.wire.influx.LineProtocolParser influx =
            new io.caiman.core.wire.influx.LineProtocolParser(io.caiman.core.wire.SampleLimits.GENEROUS);
    private final io.caiman.core.wire.graphite.GraphiteParser graphite = new io.caiman.core.wire.graphite.GraphiteParser(
            io.caiman.core.wire.SampleLimits.GENEROUS, io.caiman.core.wire.graphite.GraphiteMappings.NONE);

    @Setup
    public void setUp() {
        var series = Payloads.series(Payloads.SERIES, 42);
        textBody = Payloads.text(series);
        openMetricsBody = Payloads.openMetrics(series);
        remoteWriteBody = Payloads.remoteWrite(series);
        // bodies of the same shape, every series in them distinct (another job each time)
        manyRemoteWriteBodies = new byte[MANY_BODIES][];
        manyTextBodies = new byte[MANY_BODIES][];
        for (int i = 0; i < MANY_BODIES; i++) {
            String job = "node-" + i;
            var relabeled = series.stream().map(s -> new io.caiman.core.wire.remotewrite.RemoteWriteEncoder.Series(
                    s.name(), relabel(s.labels(), job), s.values(), s.timestamps())).toList();
            manyRemoteWriteBodies[i] = Payloads.remoteWrite(relabeled);
            manyTextBodies[i] = Payloads.text(relabeled);
        }
        influxBody = Payloads.influx(series);
        graphiteBody = Payloads.graphite(series);
        if (text.parse(textBody).samples().size() != Payloads.SERIES
                || openMetrics.parse(openMetricsBody).samples().size() != Payloads.SERIES
                || influx().samples().size() != Payloads.SERIES || graphite().samples().size() != Payloads.SERIES) {
            throw new IllegalStateException("the payloads do not parse: " + openMetrics.parse(openMetricsBody).errors());
        }
    }

    @Benchmark
    @OperationsPerInvocation(Payloads.SERIES)
    public ParseResult prometheusText() {
        return text.parse(textBody);
    }

    @Benchmark
    @OperationsPerInvocation(Payloads.SERIES)
    public ParseResult openMetrics() {
        return openMetrics.parse(openMetricsBody);
    }

    @Benchmark
    @OperationsPerInvocation(Payloads.SERIES)
    public ParseResult influx() {
        return influx.parse(influxBody, io.caiman.core.wire.influx.LineProtocolDecoder.Precision.NANOSECONDS, 0L,
                java.util.Map.of()).result();
    }

    @Benchmark
    @OperationsPerInvocation(Payloads.SERIES)
    public ParseResult graphite() {
        return graphite.parse(graphiteBody, 0L).result();
    }

    /** Graphite through a graphite_exporter mapping file of globs and a regex, node_exporter-like paths. */
    private final io.caiman.core.wire.graphite.GraphiteParser graphiteMapped = new io.caiman.core.wire.graphite.GraphiteParser(
            io.caiman.core.wire.SampleLimits.GENEROUS, io.caiman.core.wire.graphite.GraphiteMappings.parse(String.join("\n",
                    "mappings:",
                    "  - match: debug.*",
                    "    action: drop",
                    "  - match: node.cpu.*.*",
                    "    name: node_cpu_${1}_${2}",
                    "  - match: node.memory.*.*",
                    "    name: node_memory_${1}_${2}",
                    "  - match: node.network.*.*.*",
                    "    name: node_network_${1}_${2}_${3}",
                    "  - match: 'node\\.disk\\.(\\w+)\\.(\\w+)'",
                    "    match_type: regex",
                    "    name: node_disk_${1}_${2}",
                    ""), "bench.yaml"));

    @Benchmark
    @OperationsPerInvocation(Payloads.SERIES)
    public ParseResult graphiteMapped() {
        return graphiteMapped.parse(graphiteBody, 0L).result();
    }

    @Benchmark
    @OperationsPerInvocation(Payloads.SERIES)
    public int baselineTextScan() throws IOException {
        CharBuffer chars = utf8.decode(ByteBuffer.wrap(textBody));
        int boundaries = 0;
        for (int i = 0; i < chars.length(); i++) {
            char c = chars.get(i);
            if (c == '\n' || c == ' ' || c == ',' || c == '=') {
                boundaries++;
            }
        }
        return boundaries;
    }

    @Benchmark
    @OperationsPerInvocation(Payloads.SERIES)
    public ParseResult remoteWrite() throws IOException {
        return remoteWrite.decode(RemoteWriteDecoder.uncompress(remoteWriteBody, Long.MAX_VALUE), RemoteWriteDecoder.Version.V1);
    }

    /** Bodies of distinct series taken in turn by the {@code ManySeries} benchmarks. */
    static final int MANY_BODIES = 16;

    /** The decoder over 16,000 series in turn. */
    @Benchmark
    @OperationsPerInvocation(Payloads.SERIES)
    public ParseResult remoteWriteManySeries() throws IOException {
        byte[] body = manyRemoteWriteBodies[next++ & (MANY_BODIES - 1)];
        return remoteWrite.decode(RemoteWriteDecoder.uncompress(body, Long.MAX_VALUE), RemoteWriteDecoder.Version.V1);
    }

    /** The text parser over 16,000 series in turn. */
    @Benchmark
    @OperationsPerInvocation(Payloads.SERIES)
    public ParseResult prometheusTextManySeries() {
        return text.parse(manyTextBodies[next++ & (MANY_BODIES - 1)]);
    }

    private static io.caiman.core.model.Labels relabel(io.caiman.core.model.Labels labels, String job) {
        java.util.Map<String, String> map = new java.util.TreeMap<>();
        labels.forEach(map::put);
        map.put("job", job);
        return io.caiman.core.model.Labels.of(map);
    }

    @Benchmark
    @OperationsPerInvocation(Payloads.SERIES)
    public int baselineRemoteWriteSkip() throws IOException {
        byte[] message = Snappy.uncompress(remoteWriteBody);
        return skipAll(CodedInputStream.newInstance(message));
    }

    /** Walks the WriteRequest and each TimeSeries, skipping labels and samples whole. */
    private static int skipAll(CodedInputStream in) throws IOException {
        int fields = 0;
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            if ((tag >>> 3) == 1 && (tag & 7) == 2) {
                int limit = in.pushLimit(in.readRawVarint32());
                while (!in.isAtEnd()) {
                    in.skipField(in.readTag());
                    fields++;
                }
                in.popLimit(limit);
            } else {
                in.skipField(tag);
            }
            fields++;
        }
        return fields;
    }
}
