package io.caiman.bench;

import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.oplog.MetricType;
import io.caiman.schemas.oplog.Origin;
import io.caiman.schemas.oplog.Sample;
import io.caiman.schemas.oplog.SampleKind;
import io.caiman.schemas.state.RuleSeriesState;
import io.caiman.schemas.state.SeriesState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Records a second through Caiman's single-object codec ({@code Codecs}), against Avro's own single-object message
 * encoder and decoder with Avro's default settings as the baseline, on the records a processor reads and writes for
 * every sample: the oplog's {@code Sample} (decoded) and a series' state with one rule's part (decoded and encoded
 * again, as the per-series stage does).
 *
 * Run: {@code java -jar bench/target/benchmarks.jar CodecBenchmark}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class CodecBenchmark {

    private SeriesState state;
    private byte[] stateBytes;
    private byte[] sampleBytes;
    private BinaryMessageEncoder<SeriesState> avroStateEncoder;
    private BinaryMessageDecoder<SeriesState> avroStateDecoder;
    private BinaryMessageDecoder<Sample> avroSampleDecoder;

    @Setup
    public void setUp() throws IOException {
        RuleSeriesState rule = RuleSeriesState.newBuilder().setLastTimestampMs(1_700_000_000_000L).setBaseline(12.5)
                .setDedupSlot(0).setSeenMs(1_700_000_000_000L).setWindows(3).setCountedWindow(1_699_999_980_000L)
                .setEnded(false).build();
        state = SeriesState.newBuilder().setLastValue(42.5).setLastTimestampMs(1_700_000_000_000L).setSampleCount(17)
                .setMetricType(MetricType.COUNTER).setRules(Map.of("13708b32232d", rule)).build();
        stateBytes = Codecs.SERIES_STATE.encode(state);
        Sample sample = Sample.newBuilder().setValue(1234.5).setTimestampMs(1_700_000_000_000L)
                .setMetricType(MetricType.COUNTER).setTenant("default").setKind(SampleKind.VALUE)
                .setOrigin(Origin.newBuilder().setProtocol("prometheus-text").setGateway("127.0.0.1:9091")
                        .setReceivedMs(1_700_000_000_000L).build())
                .build();
        sampleBytes = Codecs.SAMPLE.encode(sample);
        // Avro's defaults: the class's own model, its fast reader, no generated coders
        avroStateEncoder = new BinaryMessageEncoder<>(new SpecificData(), SeriesState.getClassSchema());
        avroStateDecoder = new BinaryMessageDecoder<>(new SpecificData(), SeriesState.getClassSchema());
        avroSampleDecoder = new BinaryMessageDecoder<>(new SpecificData(), Sample.getClassSchema());
        if (!Codecs.SERIES_STATE.decode(stateBytes).equals(state) || !avroStateDecoder.decode(stateBytes).equals(state)) {
            throw new IllegalStateException("the state does not read back");
        }
    }

    @Benchmark
    public Sample sampleDecode() {
        return Codecs.SAMPLE.decode(sampleBytes);
    }

    @Benchmark
    public Sample baselineSampleDecode() throws IOException {
        return avroSampleDecoder.decode(sampleBytes);
    }

    /** A series' state read and written back, as each sample costs the per-series stage. */
    @Benchmark
    public byte[] stateDecodeEncode() {
        return Codecs.SERIES_STATE.encode(Codecs.SERIES_STATE.decode(stateBytes));
    }

    @Benchmark
    public byte[] baselineStateDecodeEncode() throws IOException {
        ByteBuffer buffer = avroStateEncoder.encode(avroStateDecoder.decode(stateBytes));
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }
}
