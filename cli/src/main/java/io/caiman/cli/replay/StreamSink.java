package io.caiman.cli.replay;

import io.caiman.core.model.Labels;
import io.caiman.core.model.Naming;
import io.caiman.core.model.SeriesKey;
import io.caiman.core.wire.Json;
import io.caiman.core.wire.Numbers;
import io.caiman.schemas.oplog.SampleKind;
import io.caiman.schemas.oplog.Sample;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Locale;

/**
 * Writes records as text to standard output or a file, one line per sample:
 *
 * <ul>
 *   <li>{@link Format#TEXT}: the Prometheus text format, {@code name{labels} value timestamp_ms}, without
 *       {@code # TYPE} lines (samples come in oplog order, not grouped by family). A tenant other than
 *       {@code default} becomes a {@code caiman_tenant} label, as on a processor's {@code /metrics}. The
 *       output can be posted back to a gateway's {@code /api/v1/import/prometheus}. Values only: StatsD
 *       increments, gauge deltas and set members are refused (and counted by the replay).
 *   <li>{@link Format#JSON}: one JSON object per record with everything the record holds: partition, offset,
 *       acceptance time, tenant, series, name, labels, value, timestamp, type, kind and origin. Non-finite
 *       values are strings ({@code "NaN"}, {@code "+Inf"}, {@code "-Inf"}); a Prometheus stale marker is
 *       {@code "NaN"} with {@code "stale": true}.
 * </ul>
 */
public final class StreamSink implements ReplaySink {

    /** The line format. */
    public enum Format {
        TEXT, JSON
    }

    public static final String TENANT_LABEL = "caiman_tenant";

    private final Format format;
    private final OutputStream out;
    private final FileChannel file;
    private final Path path;
    private final StringBuilder line = new StringBuilder(256);

    private StreamSink(Format format, OutputStream out, FileChannel file, Path path) {
        this.format = format;
        this.out = out;
        this.file = file;
        this.path = path;
    }

    /** A sink writing to {@code out} (standard output); it is flushed but never closed. */
    public static StreamSink of(Format format, OutputStream out) {
        return new StreamSink(format, new BufferedOutputStream(out, 1 << 16), null, null);
    }

    /**
     * A sink writing to a file, truncated to {@code keepBytes}: 0 for a new replay, the checkpoint's size when
     * resuming.
     */
    public static StreamSink file(Format format, Path path, long keepBytes) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        if (channel.size() < keepBytes) {
            channel.close();
            throw new IOException(path + " has " + channel.size() + " bytes but the checkpoint says " + keepBytes
                    + " were written: the file was changed since; start the replay again without the checkpoint");
        }
        channel.truncate(keepBytes);
        channel.position(keepBytes);
        return new StreamSink(format, new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16), channel,
                path);
    }

    @Override
    public boolean write(ReplayRecord r) throws IOException {
        line.setLength(0);
        if (format == Format.TEXT) {
            if (r.sample().getKind() != SampleKind.VALUE) {
                return false;
            }
            text(r);
        } else {
            json(r);
        }
        out.write(line.toString().getBytes(StandardCharsets.UTF_8));
        return true;
    }

    private void text(ReplayRecord r) {
        SeriesKey key = r.key();
        line.append(key.name());
        Labels labels = key.labels();
        boolean tenant = !key.tenant().equals(Naming.DEFAULT_TENANT);
        if (labels.size() > 0 || tenant) {
            line.append('{');
            boolean tenantWritten = !tenant;
            for (int i = 0; i < labels.size(); i++) {
                if (!tenantWritten && labels.name(i).compareTo(TENANT_LABEL) > 0) {
                    label(TENANT_LABEL, key.tenant());
                    tenantWritten = true;
                }
                label(labels.name(i), labels.value(i));
            }
            if (!tenantWritten) {
                label(TENANT_LABEL, key.tenant());
            }
            line.setCharAt(line.length() - 1, '}');
        }
        line.append(' ').append(Numbers.formatSample(r.sample().getValue())).append(' ')
                .append(r.sample().getTimestampMs()).append('\n');
    }

    private void label(String name, String value) {
        line.append(name).append("=\"");
        SeriesKey.escape(line, value);
        line.append("\",");
    }

    private void json(ReplayRecord r) {
        Sample s = r.sample();
        SeriesKey key = r.key();
        double v = s.getValue();
        line.append("{\"partition\":").append(r.partition())
                .append(",\"offset\":").append(r.offset())
                .append(",\"accepted\":\"").append(Instant.ofEpochMilli(r.acceptedMs())).append('"')
                .append(",\"tenant\":").append(Json.quote(key.tenant()))
                .append(",\"series\":").append(Json.quote(key.toString().substring(key.tenant().length() + 1)))
                .append(",\"name\":").append(Json.quote(key.name()))
                .append(",\"labels\":{");
        Labels labels = key.labels();
        for (int i = 0; i < labels.size(); i++) {
            line.append(i == 0 ? "" : ",").append(Json.quote(labels.name(i))).append(':')
                    .append(Json.quote(labels.value(i)));
        }
        line.append("},\"timestamp_ms\":").append(s.getTimestampMs()).append(",\"value\":");
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            line.append('"').append(Numbers.formatSample(v)).append('"');
        } else {
            line.append(Numbers.formatSample(v));
        }
        if (Numbers.isStaleMarker(v)) {
            line.append(",\"stale\":true");
        }
        line.append(",\"type\":\"").append(s.getMetricType().name().toLowerCase(Locale.ROOT))
                .append("\",\"kind\":\"").append(s.getKind().name().toLowerCase(Locale.ROOT))
                .append("\",\"protocol\":").append(Json.quote(s.getOrigin().getProtocol().toString()))
                .append(",\"gateway\":").append(Json.quote(s.getOrigin().getGateway().toString()))
                .append(",\"received_ms\":").append(s.getOrigin().getReceivedMs())
                .append("}\n");
    }

    @Override
    public void flush() throws IOException {
        out.flush();
        if (file != null) {
            file.force(false);
        }
    }

    @Override
    public long deliveredBytes() {
        try {
            return file == null ? -1 : file.position();
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public String describe() {
        return (path == null ? "stdout" : "file " + path) + " (" + format.name().toLowerCase(Locale.ROOT) + ")";
    }

    @Override
    public void close() throws IOException {
        flush();
        if (file != null) {
            out.close();
        }
    }
}
