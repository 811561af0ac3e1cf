package io.caiman.schemas.codec;

import io.caiman.schemas.oplog.MetricType;
import io.caiman.schemas.oplog.Origin;
import io.caiman.schemas.oplog.Sample;
import io.caiman.schemas.oplog.SampleKind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import org.apache.avro.io.BinaryData;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * Encodes the oplog values of one batch of samples (one request) that share a tenant and an origin, byte for
 * byte as {@link Codecs#SAMPLE} does. Why not Avro's own writer for each sample: it re-encodes the tenant and
 * the origin's strings for every sample and walks the schema each time, about half of the gateway's cost of
 * building a record. Here the single-object header and the shared fields are encoded once, by Avro itself, and
 * each sample adds only its value, timestamp, type and kind through Avro's own {@link BinaryData} primitives.
 * {@code SampleBatchEncoderTest} proves the bytes equal the codec's for arbitrary samples.
 *
 * <p>The layout follows the field order of {@code Sample.avsc}: value, timestamp_ms, metric_type, tenant,
 * origin, kind, replica. A change to that schema must change this class; the test fails until it does.
 */
public final class SampleBatchEncoder {

    private static final byte[] HEADER = header();
    /** Built once: a writer looks its schema up when made, which cost more than a request's thousand samples. */
    private static final SpecificDatumWriter<Origin> ORIGIN = new SpecificDatumWriter<>(Origin.class);

    private final byte[] shared;
    private byte[] scratch;
    /** The last replica encoded and its Avro string bytes (length and UTF-8): a batch mostly has one. */
    private String lastReplica = "";
    private byte[] lastReplicaBytes = {0};

    /** @param tenant the tenant of every sample of the batch */
    public SampleBatchEncoder(String tenant, Origin origin) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(64);
            BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
            enc.writeString(tenant);
            ORIGIN.write(origin, enc); // a DatumWriter keeps no state between writes
            enc.flush();
            this.shared = out.toByteArray();
            // header + double (8) + long (at most 10) + enum (at most 5) + shared + enum (at most 5) + replica
            this.scratch = new byte[HEADER.length + 8 + 10 + 5 + shared.length + 5 + 16];
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The single-object-encoded {@code Sample} of no HA replica. Not thread-safe: one encoder per batch and thread. */
    public byte[] encode(double value, long timestampMs, MetricType type, SampleKind kind) {
        return encode(value, timestampMs, type, kind, "");
    }

    /** The single-object-encoded {@code Sample} sent by HA replica {@code replica} ({@code ""}: none). */
    public byte[] encode(double value, long timestampMs, MetricType type, SampleKind kind, String replica) {
        if (!replica.equals(lastReplica)) {
            byte[] utf8 = replica.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            byte[] avro = new byte[5 + utf8.length];
            int n = BinaryData.encodeInt(utf8.length, avro, 0);
            System.arraycopy(utf8, 0, avro, n, utf8.length);
            lastReplica = replica;
            lastReplicaBytes = Arrays.copyOf(avro, n + utf8.length);
        }
        int size = HEADER.length + 8 + 10 + 5 + shared.length + 5 + lastReplicaBytes.length;
        if (scratch.length < size) {
            scratch = new byte[size];
        }
        byte[] buf = scratch;
        System.arraycopy(HEADER, 0, buf, 0, HEADER.length);
        int pos = HEADER.length;
        pos += BinaryData.encodeDouble(value, buf, pos);
        pos += BinaryData.encodeLong(timestampMs, buf, pos);
        pos += BinaryData.encodeInt(type.ordinal(), buf, pos);
        System.arraycopy(shared, 0, buf, pos, shared.length);
        pos += shared.length;
        pos += BinaryData.encodeInt(kind.ordinal(), buf, pos);
        System.arraycopy(lastReplicaBytes, 0, buf, pos, lastReplicaBytes.length);
        pos += lastReplicaBytes.length;
        return Arrays.copyOf(buf, pos);
    }

    /** The single-object header ({@code C3 01} and the schema's fingerprint), as the codec writes it. */
    private static byte[] header() {
        byte[] any = Codecs.SAMPLE.encode(Sample.newBuilder().setValue(0).setTimestampMs(0).setTenant("")
                .setOrigin(Origin.newBuilder().setProtocol("").setGateway("").setReceivedMs(0).build()).build());
        return Arrays.copyOf(any, 10);
    }
}
