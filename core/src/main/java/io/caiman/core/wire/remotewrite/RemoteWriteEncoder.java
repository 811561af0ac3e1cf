package io.caiman.core.wire.remotewrite;

import com.google.protobuf.CodedOutputStream;
import io.caiman.core.model.Labels;
import io.caiman.schemas.oplog.MetricType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import org.xerial.snappy.Snappy;

/**
 * Encodes remote-write requests: 1.0 {@code prometheus.WriteRequest} (snappy-compressed with
 * {@link #body}) and 2.0 {@code io.prometheus.write.v2.Request}, as a sender (or Caiman's replay sink) puts
 * them on the wire.
 */
public final class RemoteWriteEncoder {

    /** One series: its name, labels, and samples (values and timestamps in ms, pairwise). */
    public record Series(String name, Labels labels, double[] values, long[] timestamps) {}

    private RemoteWriteEncoder() {}

    /** The uncompressed protobuf message. */
    public static byte[] writeRequest(List<Series> series, Map<String, MetricType> metadata) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            for (Series s : series) {
                byte[] ts = timeSeries(s);
                out.writeTag(1, com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED);
                out.writeUInt32NoTag(ts.length);
                out.writeRawBytes(ts);
            }
            for (Map.Entry<String, MetricType> m : metadata.entrySet()) {
                ByteArrayOutputStream mb = new ByteArrayOutputStream();
                CodedOutputStream mo = CodedOutputStream.newInstance(mb);
                mo.writeEnum(1, m.getValue().ordinal());
                mo.writeString(2, m.getKey());
                mo.flush();
                out.writeByteArray(3, mb.toByteArray());
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The snappy-compressed request body. */
    public static byte[] body(List<Series> series, Map<String, MetricType> metadata) {
        try {
            return Snappy.compress(writeRequest(series, metadata));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The uncompressed remote-write 2.0 {@code io.prometheus.write.v2.Request}: a symbols table starting with
     * the empty string, each series' labels as packed references, and its metric type from {@code types}.
     */
    public static byte[] requestV2(List<Series> series, Map<String, MetricType> types) {
        try {
            java.util.LinkedHashMap<String, Integer> symbols = new java.util.LinkedHashMap<>();
            symbols.put("", 0);
            List<byte[]> encoded = new java.util.ArrayList<>();
            for (Series s : series) {
                ByteArrayOutputStream refs = new ByteArrayOutputStream();
                CodedOutputStream r = CodedOutputStream.newInstance(refs);
                r.writeUInt32NoTag(symbol(symbols, "__name__"));
                r.writeUInt32NoTag(symbol(symbols, s.name()));
                for (int i = 0; i < s.labels().size(); i++) {
                    r.writeUInt32NoTag(symbol(symbols, s.labels().name(i)));
                    r.writeUInt32NoTag(symbol(symbols, s.labels().value(i)));
                }
                r.flush();
                ByteArrayOutputStream ts = new ByteArrayOutputStream();
                CodedOutputStream t = CodedOutputStream.newInstance(ts);
                t.writeByteArray(1, refs.toByteArray());
                for (int i = 0; i < s.values().length; i++) {
                    t.writeByteArray(2, sample(s.values()[i], s.timestamps()[i]));
                }
                MetricType type = types.get(s.name());
                if (type != null) {
                    ByteArrayOutputStream meta = new ByteArrayOutputStream();
                    CodedOutputStream m = CodedOutputStream.newInstance(meta);
                    m.writeEnum(1, type.ordinal());
                    m.flush();
                    t.writeByteArray(5, meta.toByteArray());
                }
                t.flush();
                encoded.add(ts.toByteArray());
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            for (String symbol : symbols.keySet()) {
                out.writeString(4, symbol);
            }
            for (byte[] ts : encoded) {
                out.writeByteArray(5, ts);
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int symbol(Map<String, Integer> symbols, String s) {
        return symbols.computeIfAbsent(s, k -> symbols.size());
    }

    private static byte[] sample(double value, long timestamp) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeDouble(1, value);
        out.writeInt64(2, timestamp);
        out.flush();
        return bytes.toByteArray();
    }

    private static byte[] timeSeries(Series s) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeByteArray(1, label("__name__", s.name()));
        for (int i = 0; i < s.labels().size(); i++) {
            out.writeByteArray(1, label(s.labels().name(i), s.labels().value(i)));
        }
        for (int i = 0; i < s.values().length; i++) {
            out.writeByteArray(2, sample(s.values()[i], s.timestamps()[i]));
        }
        out.flush();
        return bytes.toByteArray();
    }

    /** A 1.0 {@code Label} message (name = 1, value = 2). */
    static byte[] label(String name, String value) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeString(1, name);
        out.writeString(2, value);
        out.flush();
        return bytes.toByteArray();
    }
}
