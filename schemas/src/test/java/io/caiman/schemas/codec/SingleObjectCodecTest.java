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
import org.apache.avro.message.BinaryMessageEncoder;
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
}
