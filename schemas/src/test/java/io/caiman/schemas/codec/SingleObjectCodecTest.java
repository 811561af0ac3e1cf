package io.caiman.schemas.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caiman.schemas.oplog.MetricType;
import io.caiman.schemas.oplog.Origin;
import io.caiman.schemas.oplog.Sample;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.api.Test;

class SingleObjectCodecTest {

    static final long STALE_NAN_BITS = 0x7ff0000000000002L;

    static Sample sample(double value) {
        return Sample.newBuilder()
                .setValue(value)
                .setTimestampMs(1_700_000_000_123L)
                .setMetricType(MetricType.COUNTER)
                .setTenant("default")
                .setOrigin(Origin.newBuilder().setProtocol("prometheus-text").setGateway("gw-1:9091")
                        .setReceivedMs(1_700_000_000_200L).build())
                .build();
    }

    @Test
    void shouldRoundTripASample() {
        Sample in = sample(42.5);
        byte[] bytes = Codecs.SAMPLE.encode(in);
        assertThat(bytes[0]).isEqualTo((byte) 0xC3);
        assertThat(bytes[1]).isEqualTo((byte) 0x01);
        assertThat(Codecs.SAMPLE.decode(bytes)).isEqualTo(in);
    }

    @Test
    void shouldKeepTheStaleMarkerBitsDistinctFromAnOrdinaryNaN() {
        Sample stale = sample(Double.longBitsToDouble(STALE_NAN_BITS));
        Sample back = Codecs.SAMPLE.decode(Codecs.SAMPLE.encode(stale));
        assertThat(Double.doubleToRawLongBits(back.getValue())).isEqualTo(STALE_NAN_BITS);
        Sample nan = Codecs.SAMPLE.decode(Codecs.SAMPLE.encode(sample(Double.NaN)));
        assertThat(Double.doubleToRawLongBits(nan.getValue())).isNotEqualTo(STALE_NAN_BITS);
    }

    @Test
    void shouldReadASampleWrittenWithStoredV1AsAValue() throws Exception {
        Schema v1 = SchemaHistory.versions(Sample.getClassSchema().getFullName()).get(0);
        GenericRecord origin = new GenericData.Record(v1.getField("origin").schema());
        origin.put("protocol", "remote-write");
        origin.put("gateway", "gw-1:9091");
        origin.put("received_ms", 5L);
        GenericRecord old = new GenericData.Record(v1);
        old.put("value", 7.5);
        old.put("timestamp_ms", 4L);
        old.put("metric_type", new GenericData.EnumSymbol(v1.getField("metric_type").schema(), "GAUGE"));
        old.put("tenant", "default");
        old.put("origin", origin);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old, out);

        Sample read = Codecs.SAMPLE.decode(out.toByteArray());
        assertThat(read.getValue()).isEqualTo(7.5);
        assertThat(read.getMetricType()).isEqualTo(MetricType.GAUGE);
        assertThat(read.getKind()).isEqualTo(io.caiman.schemas.oplog.SampleKind.VALUE);
    }

    @Test
    void shouldRejectAnUnknownFingerprintNamingIt() throws Exception {
        Schema other = SchemaBuilder.record("Sample").namespace("io.caiman.schemas.oplog").fields()
                .requiredDouble("value").endRecord();
        GenericRecord rec = new GenericData.Record(other);
        rec.put("value", 1.0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new BinaryMessageEncoder<GenericRecord>(GenericData.get(), other).encode(rec, out);

        assertThatThrownBy(() -> Codecs.SAMPLE.decode(out.toByteArray()))
                .isInstanceOf(UnknownSchemaException.class)
                .hasMessageContaining(String.format("%016x", org.apache.avro.SchemaNormalization.parsingFingerprint64(other)))
                .hasMessageContaining("io.caiman.schemas.oplog.Sample");
    }

    @Test
    void shouldRejectBytesThatAreNotSingleObjectEncoded() {
        assertThatThrownBy(() -> Codecs.SAMPLE.decode("hello world".getBytes()))
                .isInstanceOf(CodecException.class)
                .hasMessageContaining("not Avro single-object encoded")
                .hasMessageContaining("68656c6c6f");
        assertThatThrownBy(() -> Codecs.SAMPLE.decode(new byte[0])).isInstanceOf(CodecException.class);
        assertThatThrownBy(() -> Codecs.SAMPLE.decode(null)).isInstanceOf(CodecException.class);
    }

    @Test
    void shouldRejectATruncatedBody() {
        byte[] bytes = Codecs.SAMPLE.encode(sample(1));
        byte[] truncated = Arrays.copyOf(bytes, 14);
        assertThatThrownBy(() -> Codecs.SAMPLE.decode(truncated))
                .isInstanceOf(CodecException.class)
                .isNotInstanceOf(UnknownSchemaException.class)
                .hasMessageContaining("corrupt");
    }

    @Test
    void shouldNeverThrowAnythingButCodecExceptionOnArbitraryBytesDecodedOrChecked() {
        java.util.Random random = new java.util.Random(7);
        byte[] valid = Codecs.SAMPLE.encode(sample(3));
        for (int i = 0; i < 5_000; i++) {
            byte[] bytes = valid.clone();
            // keep the header and fingerprint, corrupt the body
            for (int j = 0; j < 3; j++) {
                bytes[10 + random.nextInt(bytes.length - 10)] = (byte) random.nextInt();
            }
            boolean decodes;
            try {
                Codecs.SAMPLE.decode(bytes);
                decodes = true;
            } catch (CodecException expected) { // a clear error is the only acceptable failure
                decodes = false;
            }
            boolean checks;
            try {
                Codecs.SAMPLE.check(bytes); // the same for the check that does not build the record
                checks = true;
            } catch (CodecException expected) {
                checks = false;
            }
            assertThat(checks).as("check agrees with decode on %s", java.util.HexFormat.of().formatHex(bytes))
                    .isEqualTo(decodes);
        }
    }

    @Test
    void shouldCheckBytesAsDecodeWouldWithoutBuildingTheRecord() {
        byte[] bytes = Codecs.SAMPLE.encode(sample(5));
        assertThat(SkipProgram.of(Codecs.SAMPLE.schema())).as("samples are walked by a compiled program").isNotNull();
        Codecs.SAMPLE.check(bytes); // passes
        for (int length = 0; length < bytes.length; length++) {
            byte[] truncated = Arrays.copyOf(bytes, length);
            assertThatThrownBy(() -> Codecs.SAMPLE.check(truncated)).as("truncated to " + length)
                    .isInstanceOf(CodecException.class);
        }
        assertThatThrownBy(() -> Codecs.SAMPLE.check("hello world".getBytes()))
                .hasMessageContaining("not Avro single-object encoded");
        byte[] unknown = bytes.clone();
        unknown[5] ^= 0x55; // another fingerprint
        assertThatThrownBy(() -> Codecs.SAMPLE.check(unknown)).isInstanceOf(UnknownSchemaException.class);
        assertThatThrownBy(() -> Codecs.SAMPLE.check(null)).isInstanceOf(CodecException.class);
    }

    static io.caiman.schemas.state.SeriesState seriesState(long seed) {
        java.util.Random random = new java.util.Random(seed);
        java.util.Map<String, io.caiman.schemas.state.RuleSeriesState> rules = new java.util.HashMap<>();
        for (int r = random.nextInt(4); r > 0; r--) {
            rules.put("rule-" + random.nextInt(1000), io.caiman.schemas.state.RuleSeriesState.newBuilder()
                    .setLastTimestampMs(random.nextLong()).setBaseline(random.nextDouble()).setDedupSlot(random.nextLong())
                    .setSeenMs(random.nextLong()).setWindows(random.nextInt(100)).setCountedWindow(random.nextLong())
                    .setEnded(random.nextBoolean()).build());
        }
        byte[] sketch = new byte[random.nextInt(3) == 0 ? random.nextInt(300) : 0];
        random.nextBytes(sketch);
        return io.caiman.schemas.state.SeriesState.newBuilder().setLastValue(random.nextGaussian())
                .setLastTimestampMs(random.nextLong()).setSampleCount(random.nextInt(1 << 20))
                .setMetricType(MetricType.values()[random.nextInt(MetricType.values().length)])
                .setSetWindowStartMs(random.nextLong()).setSetSketch(java.nio.ByteBuffer.wrap(sketch)).setRules(rules)
                .setReplica(random.nextBoolean() ? null : io.caiman.schemas.state.ReplicaState.newBuilder()
                        .setElected("replica-" + random.nextInt(3)).setLastTimestampMs(random.nextLong())
                        .setSeenMs(random.nextLong()).build())
                .build();
    }

    @Test
    void shouldWriteAndReadRecordsByteForByteAsAvrosOwnMessageCodecDoes() throws Exception {
        // Avro's own single-object encoder and decoder, with Avro's default settings, are the reference
        BinaryMessageEncoder<io.caiman.schemas.state.SeriesState> avroEncoder =
                new BinaryMessageEncoder<>(new SpecificData(), io.caiman.schemas.state.SeriesState.getClassSchema());
        BinaryMessageDecoder<io.caiman.schemas.state.SeriesState> avroDecoder =
                new BinaryMessageDecoder<>(new SpecificData(), io.caiman.schemas.state.SeriesState.getClassSchema());
        for (long seed = 0; seed < 500; seed++) {
            io.caiman.schemas.state.SeriesState state = seriesState(seed);
            byte[] ours = Codecs.SERIES_STATE.encode(state);
            java.nio.ByteBuffer theirs = avroEncoder.encode(state);
            assertThat(java.nio.ByteBuffer.wrap(ours)).as("seed %d", seed).isEqualTo(theirs);
            assertThat(Codecs.SERIES_STATE.decode(ours)).as("seed %d", seed).isEqualTo(state);
            assertThat(avroDecoder.decode(ours)).as("seed %d", seed).isEqualTo(state);
        }
        Sample sample = sample(3.25);
        sample.setReplica("b");
        assertThat(java.nio.ByteBuffer.wrap(Codecs.SAMPLE.encode(sample)))
                .isEqualTo(new BinaryMessageEncoder<Sample>(new SpecificData(), Sample.getClassSchema()).encode(sample));
    }

    @Test
    void shouldEncodeAndDecodeOnManyThreadsAtOnce() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            java.util.List<java.util.concurrent.Future<Integer>> results = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                long base = t * 10_000L;
                results.add(pool.submit(() -> {
                    int checked = 0;
                    for (long seed = base; seed < base + 2_000; seed++) {
                        io.caiman.schemas.state.SeriesState state = seriesState(seed);
                        assertThat(Codecs.SERIES_STATE.decode(Codecs.SERIES_STATE.encode(state))).isEqualTo(state);
                        checked++;
                    }
                    return checked;
                }));
            }
            for (java.util.concurrent.Future<Integer> result : results) {
                assertThat(result.get()).isEqualTo(2_000);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldNeverThrowAnythingButCodecExceptionOnACorruptSeriesState() {
        java.util.Random random = new java.util.Random(11);
        int refused = 0;
        for (int i = 0; i < 5_000; i++) {
            byte[] bytes = Codecs.SERIES_STATE.encode(seriesState(i % 50));
            for (int j = 0; j < 3; j++) {
                bytes[10 + random.nextInt(bytes.length - 10)] = (byte) random.nextInt();
            }
            try {
                Codecs.SERIES_STATE.decode(bytes);
            } catch (CodecException expected) { // a clear error is the only acceptable failure
                refused++;
            }
        }
        assertThat(refused).as("some corruptions are refused").isPositive();
    }

    @Test
    void shouldRefuseAStateWhoseRuleCountIsHugeWithoutTryingToHoldThatManyRules() {
        io.caiman.schemas.state.SeriesState one = io.caiman.schemas.state.SeriesState.newBuilder().setLastValue(1)
                .setLastTimestampMs(0).setSampleCount(0).setMetricType(MetricType.values()[0]).setSetWindowStartMs(0)
                .setRules(java.util.Map.of("r", io.caiman.schemas.state.RuleSeriesState.newBuilder().setLastTimestampMs(0)
                        .setBaseline(0).setDedupSlot(0).setSeenMs(0).setWindows(0).setCountedWindow(0).setEnded(false)
                        .build()))
                .build();
        byte[] bytes = Codecs.SERIES_STATE.encode(one);
        // header 10, last_value 8, then four one-byte zeros and the empty sketch's length: the map's count is at 23
        assertThat(bytes[23]).isEqualTo((byte) 2);
        byte[] huge = new byte[bytes.length + 4];
        System.arraycopy(bytes, 0, huge, 0, 23);
        byte[] count = {(byte) 0xFE, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07}; // 2^31 - 1
        System.arraycopy(count, 0, huge, 23, 5);
        System.arraycopy(bytes, 24, huge, 28, bytes.length - 24);
        assertThatThrownBy(() -> Codecs.SERIES_STATE.decode(huge)).isInstanceOf(CodecException.class)
                .hasMessageContaining("record body is corrupt (46 bytes) for io.caiman.schemas.state.SeriesState: "
                        + "the body ends before its last field");
    }
}
