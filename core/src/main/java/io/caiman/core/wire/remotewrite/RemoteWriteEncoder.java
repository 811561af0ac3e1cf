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
 * Encodes a remote-write 1.0 {@code prometheus.WriteRequest}, snappy-compressed: what a sender (or
 * Caiman's replay sink) puts on the wire.
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

    private static byte[] timeSeries(Series s) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeByteArray(1, label("__name__", s.name()));
        for (int i = 0; i < s.labels().size(); i++) {
            out.writeByteArray(1, label(s.labels().name(i), s.labels().value(i)));
        }
        for (int i = 0; i < s.values().length; i++) {
            ByteArrayOutputStream sb = new ByteArrayOutputStream();
            CodedOutputStream so = CodedOutputStream.newInstance(sb);
            so.writeDouble(1, s.values()[i]);
            so.writeInt64(2, s.timestamps()[i]);
            so.flush();
            out.writeByteArray(2, sb.toByteArray());
        }
        out.flush();
        return bytes.toByteArray();
    }

    private static byte[] label(String name, String value) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeString(1, name);
        out.writeString(2, value);
        out.flush();
        return bytes.toByteArray();
    }
}
