package io.caiman.schemas.codec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro single-object encoding (header {@code C3 01}, the schema's 8-byte CRC-64-AVRO fingerprint, then
 * the binary body) for one generated record class. Decoding accepts the current schema and every stored
 * version of it ({@link SchemaHistory}), resolving old records to the current class; anything else is
 * refused with a {@link CodecException} that says why.
 *
 * <pre>{@code
 * SingleObjectCodec<Sample> codec = SingleObjectCodec.of(Sample.class);
 * byte[] bytes = codec.encode(sample);
 * Sample back = codec.decode(bytes);
 * }</pre>
 *
 * <p>Instances are thread-safe and meant to be shared.
 */
public final class SingleObjectCodec<T extends SpecificRecord> {

    static {
        // Avro 1.12.2 refuses to instantiate classes it has not been told to trust.
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(
                ClassSecurityValidator.getGlobal(), c -> c.getName().startsWith("io.caiman.schemas.")));
    }

    private final Schema schema;
    private final BinaryMessageEncoder<T> encoder;
    private final BinaryMessageDecoder<T> decoder;
    /** Every schema records may be written with (current and stored), by fingerprint, for {@link #check}. */
    private final Map<Long, Schema> writers = new HashMap<>();
    private final long currentFingerprint;
    /** The current schema's body walk, or null when it has unions, arrays or maps (then Avro's skip checks it). */
    private final SkipProgram currentSkip;

    private SingleObjectCodec(Class<T> type) {
        SpecificData model = SpecificData.getForClass(type);
        this.schema = model.getSchema(type);
        this.encoder = new BinaryMessageEncoder<>(model, schema);
        this.decoder = new BinaryMessageDecoder<>(model, schema);
        this.currentFingerprint = SchemaNormalization.parsingFingerprint64(schema);
        this.currentSkip = SkipProgram.of(schema);
        writers.put(currentFingerprint, schema);
        for (Schema stored : SchemaHistory.versions(schema.getFullName())) {
            decoder.addSchema(stored);
            writers.put(SchemaNormalization.parsingFingerprint64(stored), stored);
        }
    }

    /** A codec for the generated record class {@code type}, reading every stored version of its schema. */
    public static <T extends SpecificRecord> SingleObjectCodec<T> of(Class<T> type) {
        return new SingleObjectCodec<>(type);
    }

    /** The schema records are written with. */
    public Schema schema() {
        return schema;
    }

    /** Encodes {@code record} with the current schema. */
    public byte[] encode(T record) {
        try {
            ByteBuffer buffer = encoder.encode(record);
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode " + schema.getFullName(), e);
        }
    }

    /**
     * Decodes single-object-encoded {@code bytes} into the current class.
     *
     * @throws UnknownSchemaException if the fingerprint is not a known version of this record
     * @throws CodecException if the bytes are not single-object encoded or the body is corrupt
     */
    public T decode(byte[] bytes) {
        if (bytes == null) {
            throw new CodecException("record has no value (null); expected a " + schema.getFullName(), null);
        }
        try {
            return decoder.decode(bytes);
        } catch (MissingSchemaException e) {
            throw new UnknownSchemaException(schema.getFullName(), fingerprintOf(bytes), e);
        } catch (BadHeaderException e) {
            throw new CodecException(String.format(
                    "record is not Avro single-object encoded (%d bytes, starting %s); expected a %s",
                    bytes.length, hexPrefix(bytes), schema.getFullName()), e);
        } catch (IOException | RuntimeException e) {
            // Avro reports a corrupt body in many ways (EOF, bad lengths, bad enum index, size limits)
            throw new CodecException(String.format("record body is corrupt (%d bytes) for %s: %s",
                    bytes.length, schema.getFullName(), e.getMessage()), e);
        }
    }

    /**
     * Checks {@code bytes} as {@link #decode} would, without building the record: the header, a known fingerprint,
     * and a body that reads to its end under its schema (Avro's skip: lengths, varints, union branches). For readers
     * that pass records on as they are and must still refuse an unreadable one.
     *
     * @throws UnknownSchemaException if the fingerprint is not a known version of this record
     * @throws CodecException if the bytes are not single-object encoded or the body is corrupt
     */
    public void check(byte[] bytes) {
        if (bytes == null) {
            throw new CodecException("record has no value (null); expected a " + schema.getFullName(), null);
        }
        if (bytes.length < 10 || bytes[0] != (byte) 0xC3 || bytes[1] != (byte) 0x01) {
            throw new CodecException(String.format(
                    "record is not Avro single-object encoded (%d bytes, starting %s); expected a %s",
                    bytes.length, hexPrefix(bytes), schema.getFullName()), null);
        }
        long fingerprint = fingerprintOf(bytes);
        if (fingerprint == currentFingerprint && currentSkip != null) {
            try {
                currentSkip.walk(bytes, 10);
                return;
            } catch (IllegalArgumentException e) {
                throw new CodecException(String.format("record body is corrupt (%d bytes) for %s: %s",
                        bytes.length, schema.getFullName(), e.getMessage()), e);
            }
        }
        Schema writer = fingerprint == currentFingerprint ? schema : writers.get(fingerprint);
        if (writer == null) {
            throw new UnknownSchemaException(schema.getFullName(), fingerprint, null);
        }
        try {
            BinaryDecoder body = DecoderFactory.get().binaryDecoder(bytes, 10, bytes.length - 10, null);
            GenericDatumReader.skip(writer, body);
        } catch (IOException | RuntimeException e) {
            throw new CodecException(String.format("record body is corrupt (%d bytes) for %s: %s",
                    bytes.length, schema.getFullName(), e.getMessage()), e);
        }
    }

    private static long fingerprintOf(byte[] bytes) {
        // header: 2 marker bytes, then the fingerprint little-endian
        long fp = 0;
        for (int i = 9; i >= 2 && i < bytes.length; i--) {
            fp = (fp << 8) | (bytes[i] & 0xFF);
        }
        return fp;
    }

    private static String hexPrefix(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(bytes.length, 10); i++) {
            sb.append(String.format("%02x", bytes[i]));
        }
        return sb.length() == 0 ? "(empty)" : sb.toString();
    }
}
