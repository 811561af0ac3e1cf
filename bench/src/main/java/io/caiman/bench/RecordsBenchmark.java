package io.caiman.bench;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.ParsedSample;
import io.caiman.core.wire.SampleBatch;
import io.caiman.core.wire.prometheus.PrometheusTextParser;
import io.caiman.core.kafka.OplogRecords;
import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.codec.SampleBatchEncoder;
import io.caiman.schemas.oplog.Origin;
import io.caiman.schemas.oplog.Sample;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
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

/**
 * Samples per second through the gateway's work between parsing and Kafka: the series key, the partition and
 * the Avro value of each record ({@link OplogRecords}), for the same 1,000 node_exporter-like samples the parser
 * benchmarks read. The end-to-end load tool says how much of a request this is.
 *
 * Run: {@code java -jar bench/target/benchmarks.jar RecordsBenchmark}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class RecordsBenchmark {

    private static final Origin ORIGIN = Origin.newBuilder().setProtocol("prometheus-text").setGateway("127.0.0.1:9091")
            .setReceivedMs(1_700_000_000_000L).build();

    private OplogRecords records;
    private List<ParsedSample> samples;
    private List<ParsedSample> openMetricsSamples;
    private SampleBatch batch;

    @Setup
    public void setUp() {
        CaimanConfig config = ConfigLoader.parse(LoadTool.Server.config("127.0.0.1:9092", "bench"), "bench.yaml");
        records = new OplogRecords(config.requireCluster("bench"), config.replicaLabels());
        ParseResult parsed = new PrometheusTextParser().parse(Payloads.text(Payloads.series(Payloads.SERIES, 42)));
        batch = parsed.batch();
        samples = parsed.samples();
        if (samples.size() != Payloads.SERIES) {
            throw new IllegalStateException("the payload does not parse");
        }
        openMetricsSamples = new io.caiman.core.wire.openmetrics.OpenMetricsParser()
                .parse(Payloads.openMetrics(Payloads.series(Payloads.SERIES, 42))).samples();
    }

    /** The values alone, as the gateway encodes them: the shared tenant and origin once per batch. */
    @Benchmark
    @OperationsPerInvocation(Payloads.SERIES)
    public int valuesBatchEncoder() {
        SampleBatchEncoder encoder = new SampleBatchEncoder("default", ORIGIN);
        int bytes = 0;
        for (ParsedSample s : samples) {
            bytes += encoder.encode(s.value(), 1_700_000_000_000L, s.type(), s.kind()).length;
        }
        return bytes;
    }

    /** Baseline for the above: the same values through Avro's specific writer ({@code Codecs.SAMPLE}). */
    @Benchmark
    @OperationsPerInvocation(Payloads.SERIES)
    public int valuesAvroWriter() {
        int bytes = 0;
        for (ParsedSample s : samples) {
            bytes += Codecs.SAMPLE.encode(Sample.newBuilder().setValue(s.value()).setTimestampMs(1_700_000_000_000L)
                    .setMetricType(s.type()).setTenant("default").setOrigin(ORIGIN).setKind(s.kind()).build()).length;
        }
        return bytes;
    }

    /** The gateway's path for Prometheus text and remote write: from the batch the decoder filled. */
    @Benchmark
    @OperationsPerInvocation(Payloads.SERIES)
    public List<ProducerRecord<byte[], byte[]>> records() {
        return records.records(batch, "default", 1_700_000_000_000L, "prometheus-text", "127.0.0.1:9091");
    }

    /**
     * The path of every other format: from {@link ParsedSample}s, whose strings become key bytes here. The same series
     * as read by the OpenMetrics parser, which shares no string between lines, as most string parsers do not.
     */
    @Benchmark
    @OperationsPerInvocation(Payloads.SERIES)
    public List<ProducerRecord<byte[], byte[]>> recordsFromParsedSamples() {
        return records.records(openMetricsSamples, "default", 1_700_000_000_000L, "openmetrics", "127.0.0.1:9091");
    }
}
