package io.caiman.schemas.codec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
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
    /** Older writers' records, and the errors of bytes that are not this record's. */
    private final BinaryMessageDecoder<T> decoder;
    /** The single-object header of the current schema: marker and fingerprint. */
    private final byte[] header;
    /**
     * Each thread's writer, reader and buffers for the current schema. Avro's message encoder and decoder (kept for
     * older writers above) go through a synchronized byte stream a byte at a time; these work on the array.
     */
    private final ThreadLocal<Io<T>> io;
    /** Every schema records may be written with (current and stored), by fingerprint, for {@link #check}. */
    private final Map<Long, Schema> writers = new HashMap<>();
    private final long currentFingerprint;
    /** The current schema's body walk, or null when it has unions, arrays or maps (then Avro's skip checks it). */
    private final SkipProgram currentSkip;

    private SingleObjectCodec(Class<T> type) {
        SpecificData model = fastModel(type);
        this.schema = model.getSchema(type);
        this.decoder = new BinaryMessageDecoder<>(model, schema);
        this.currentFingerprint = SchemaNormalization.parsingFingerprint64(schema);
        this.header = headerOf(currentFingerprint);
        this.currentSkip = SkipProgram.of(schema);
        writers.put(currentFingerprint, schema);
        this.io = ThreadLocal.withInitial(() -> new Io<>(model, schema, header));
        for (Schema stored : SchemaHistory.versions(schema.getFullName())) {
            decoder.addSchema(stored);
            writers.put(SchemaNormalization.parsingFingerprint64(stored), stored);
        }
    }

    /**
     * A model that reads and writes records with the encoder and decoder the Avro compiler generates for each class
     * ({@code customEncode}, {@code customDecode}), which Avro leaves off by default: they write and read the fields
     * in order without looking each up through the schema, and read older writers' records through the same
     * resolving decoder (fields in the writer's order, defaults for missing ones). A series' state read and written
     * back, as the processors do for every sample, costs a third to a half of Avro's default (CodecBenchmark). Avro's
     * "fast reader", on by default, does not use the generated decoder, so it is turned off here.
     */
    private static SpecificData fastModel(Class<?> type) {
        SpecificData model = new SpecificData(type.getClassLoader());
        model.setCustomCoders(true);
        model.setFastReaderEnabled(false);
        return model;
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
            return io.get().encode(record);
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
            if (bytes.length >= header.length && fingerprintOf(bytes) == currentFingerprint
                    && bytes[0] == header[0] && bytes[1] == header[1]) {
                return io.get().decode(bytes, header.length);
            }
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
                    bytes.length, schema.getFullName(), reason(e)), e);
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
                        bytes.length, schema.getFullName(), reason(e)), e);
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
                    bytes.length, schema.getFullName(), reason(e)), e);
        }
    }

    /** One thread's writer, reader and buffers for the current schema. */
    private static final class Io<T> {

        private final SpecificDatumWriter<T> writer;
        private final SpecificDatumReader<T> reader;
        private final Output out;
        private BinaryEncoder encoder;
        private BinaryDecoder decoder;

        Io(SpecificData model, Schema schema, byte[] header) {
            this.writer = new SpecificDatumWriter<>(schema, model);
            this.reader = new SpecificDatumReader<>(schema, schema, model);
            this.out = new Output(header);
        }

        byte[] encode(T record) throws IOException {
            out.restart();
            encoder = EncoderFactory.get().binaryEncoder(out, encoder);
            writer.write(record, encoder);
            encoder.flush();
            return out.toByteArray();
        }

        T decode(byte[] bytes, int from) throws IOException {
            decoder = DecoderFactory.get().binaryDecoder(bytes, from, bytes.length - from, decoder);
            return reader.read(null, decoder);
        }
    }

    /** A growable array that starts each record with the header; unsynchronized, unlike ByteArrayOutputStream. */
    private static final class Output extends java.io.OutputStream {

        private final int headerLength;
        private byte[] bytes = new byte[256];
        private int length;

        Output(byte[] header) {
            System.arraycopy(header, 0, bytes, 0, header.length);
            this.headerLength = header.length;
        }

        void restart() {
            length = headerLength;
        }

        @Override
        public void write(int b) {
            ensure(1);
            bytes[length++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, bytes, length, len);
            length += len;
        }

        private void ensure(int more) {
            if (length + more > bytes.length) {
                bytes = java.util.Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
            }
        }

        byte[] toByteArray() {
            return java.util.Arrays.copyOf(bytes, length);
        }
    }

    /** Why Avro could not read a body, in words: its EOFException has no message. */
    private static String reason(Exception e) {
        if (e instanceof java.io.EOFException) {
            return "the body ends before its last field";
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** The single-object header: the marker {@code C3 01}, then the fingerprint little-endian. */
    private static byte[] headerOf(long fingerprint) {
        byte[] header = new byte[10];
        header[0] = (byte) 0xC3;
        header[1] = (byte) 0x01;
        for (int i = 0; i < 8; i++) {
            header[2 + i] = (byte) (fingerprint >>> (8 * i));
        }
        return header;
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
