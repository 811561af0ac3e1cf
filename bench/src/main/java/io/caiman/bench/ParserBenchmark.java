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
 *       UTF-8 and finds every line and field boundary. Prometheus text runs without a series cache (the
 *       {@code Uncached} benchmarks: as the gateway runs by default) and with one of 65,536 series
 *       ({@code gateway.series_cache});
 *   <li>remote write: the baseline uncompresses the snappy body and walks the protobuf, skipping every field. The
 *       decoder runs without a series cache, with one, and with a cache that never holds the series it is sent.
 * </ul>
 *
 * Most benchmarks decode one body of 1,000 series again and again, so what a series cache keeps stays in the core's
 * own caches, as it does not in a gateway; the {@code ManySeries} benchmarks take 16,000 series in turn, where the
 * cache loses (bench/RESULTS.md, 2026-12-07).
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

    /** With a series cache (gateway.series_cache, off by default): a series sent again is found by its bytes. */
    private final PrometheusTextParser text = new PrometheusTextParser(io.caiman.core.wire.SampleLimits.GENEROUS, 65_536);
    private final PrometheusTextParser textUncached = new PrometheusTextParser();
    private final OpenMetricsParser openMetrics = new OpenMetricsParser();
    /** With a series cache (gateway.series_cache, off by default): a series sent again is found by its label bytes. */
    private final RemoteWriteDecoder remoteWrite = new RemoteWriteDecoder(io.caiman.core.wire.SampleLimits.GENEROUS,
            65_536);
    private final RemoteWriteDecoder remoteWriteUncached = new RemoteWriteDecoder(io.caiman.core.wire.SampleLimits.GENEROUS);
    /** A cache far smaller than the series it is sent: every series is read, checked and kept, as if never seen. */
    private final RemoteWriteDecoder remoteWriteMissing = new RemoteWriteDecoder(io.caiman.core.wire.SampleLimits.GENEROUS,
            1024);
    private byte[][] distinctRemoteWriteBodies;
    private byte[][] distinctTextBodies;
    private int nextDistinct;
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
        // 64 bodies of the same shape, every series in them distinct (another job each time)
        distinctRemoteWriteBodies = new byte[64][];
        for (int i = 0; i < distinctRemoteWriteBodies.length; i++) {
            String job = "node-" + i;
            distinctRemoteWriteBodies[i] = Payloads.remoteWrite(series.stream().map(s -> new io.caiman.core.wire.remotewrite
                    .RemoteWriteEncoder.Series(s.name(), relabel(s.labels(), job), s.values(), s.timestamps())).toList());
        }
        distinctTextBodies = new byte[MANY_BODIES][];
        for (int i = 0; i < distinctTextBodies.length; i++) {
            String job = "node-" + i;
            distinctTextBodies[i] = Payloads.text(series.stream().map(s -> new io.caiman.core.wire.remotewrite
                    .RemoteWriteEncoder.Series(s.name(), relabel(s.labels(), job), s.values(), s.timestamps())).toList());
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

    /** The text parser without its series cache: every series read and checked. */
    @Benchmark
    @OperationsPerInvocation(Payloads.SERIES)
    public ParseResult prometheusTextUncached() {
        return textUncached.parse(textBody);
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

    /** The decoder without its series cache: every series read and checked. */
    @Benchmark
    @OperationsPerInvocation(Payloads.SERIES)
    public ParseResult remoteWriteUncached() throws IOException {
        return remoteWriteUncached.decode(RemoteWriteDecoder.uncompress(remoteWriteBody, Long.MAX_VALUE),
                RemoteWriteDecoder.Version.V1);
    }

    /**
     * Bodies of distinct series taken in turn by the {@code ManySeries} benchmarks: 16,000 series, as a gateway sees
     * from a fleet, so what the series cache keeps no longer fits the core's own caches, as in the gateway (the
     * other benchmarks send one body of 1,000 series again and again, which does).
     */
    static final int MANY_BODIES = 16;

    /** The decoder with a series cache that holds every series, over 16,000 series in turn. */
    @Benchmark
    @OperationsPerInvocation(Payloads.SERIES)
    public ParseResult remoteWriteManySeries() throws IOException {
        byte[] body = distinctRemoteWriteBodies[nextDistinct++ & (MANY_BODIES - 1)];
        return remoteWrite.decode(RemoteWriteDecoder.uncompress(body, Long.MAX_VALUE), RemoteWriteDecoder.Version.V1);
    }

    /** The decoder without a series cache (the gateway's default) over the same 16,000 series. */
    @Benchmark
    @OperationsPerInvocation(Payloads.SERIES)
    public ParseResult remoteWriteManySeriesUncached() throws IOException {
        byte[] body = distinctRemoteWriteBodies[nextDistinct++ & (MANY_BODIES - 1)];
        return remoteWriteUncached.decode(RemoteWriteDecoder.uncompress(body, Long.MAX_VALUE), RemoteWriteDecoder.Version.V1);
    }

    /** The text parser with a series cache that holds every series, over 16,000 series in turn. */
    @Benchmark
    @OperationsPerInvocation(Payloads.SERIES)
    public ParseResult prometheusTextManySeries() {
        return text.parse(distinctTextBodies[nextDistinct++ & (MANY_BODIES - 1)]);
    }

    /** The text parser without a series cache (the gateway's default) over the same 16,000 series. */
    @Benchmark
    @OperationsPerInvocation(Payloads.SERIES)
    public ParseResult prometheusTextManySeriesUncached() {
        return textUncached.parse(distinctTextBodies[nextDistinct++ & (MANY_BODIES - 1)]);
    }

    /** The decoder with a cache that never holds the series it is sent: the cost of a cache that does not help. */
    @Benchmark
    @OperationsPerInvocation(Payloads.SERIES)
    public ParseResult remoteWriteCacheMisses() throws IOException {
        byte[] body = distinctRemoteWriteBodies[nextDistinct++ & (distinctRemoteWriteBodies.length - 1)];
        return remoteWriteMissing.decode(RemoteWriteDecoder.uncompress(body, Long.MAX_VALUE), RemoteWriteDecoder.Version.V1);
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
