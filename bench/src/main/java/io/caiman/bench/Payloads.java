package io.caiman.bench;

import io.caiman.core.model.Labels;
import io.caiman.core.wire.remotewrite.RemoteWriteEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Realistic payloads: node_exporter-like series (cpu, filesystem, network families with their usual labels),
 * the same series as Prometheus text and as a remote-write 1.0 body.
 */
final class Payloads {

    static final int SERIES = 1000;

    private Payloads() {}

    static List<RemoteWriteEncoder.Series> series(int count, long seed) {
        Random random = new Random(seed);
        String[] modes = {"idle", "user", "system", "iowait", "irq", "softirq", "steal", "nice"};
        List<RemoteWriteEncoder.Series> out = new ArrayList<>(count);
        for (int i = 0; out.size() < count; i++) {
            String instance = "10.0." + (i / 50 % 256) + "." + (i % 50) + ":9100";
            for (int cpu = 0; cpu < 2 && out.size() < count; cpu++) {
                for (String mode : modes) {
                    if (out.size() < count) {
                        out.add(one("node_cpu_seconds_total", random, "job", "node", "instance", instance, "cpu",
                                Integer.toString(cpu), "mode", mode));
                    }
                }
            }
            if (out.size() < count) {
                out.add(one("node_filesystem_avail_bytes", random, "job", "node", "instance", instance, "device",
                        "/dev/nvme0n1p2", "fstype", "ext4", "mountpoint", "/"));
            }
            if (out.size() < count) {
                out.add(one("node_network_receive_bytes_total", random, "job", "node", "instance", instance, "device", "eth0"));
            }
        }
        return out;
    }

    private static RemoteWriteEncoder.Series one(String name, Random random, String... labels) {
        return new RemoteWriteEncoder.Series(name, Labels.of(labels), new double[] {random.nextDouble() * 1e6},
                new long[] {1_700_000_000_000L + random.nextInt(15_000)});
    }

    static byte[] text(List<RemoteWriteEncoder.Series> series) {
        StringBuilder sb = new StringBuilder(series.size() * 120);
        for (RemoteWriteEncoder.Series s : series) {
            sb.append(s.name()).append(s.labels()).append(' ').append(s.values()[0]).append(' ')
                    .append(s.timestamps()[0]).append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** OpenMetrics: the same series grouped by family (as the format requires), timestamps in seconds. */
    static byte[] openMetrics(List<RemoteWriteEncoder.Series> series) {
        List<RemoteWriteEncoder.Series> byFamily = new ArrayList<>(series);
        byFamily.sort(java.util.Comparator.comparing(RemoteWriteEncoder.Series::name));
        StringBuilder sb = new StringBuilder(series.size() * 120);
        for (RemoteWriteEncoder.Series s : byFamily) {
            long ms = s.timestamps()[0];
            sb.append(s.name()).append(s.labels()).append(' ').append(s.values()[0]).append(' ')
                    .append(ms / 1000).append('.').append(String.format("%03d", ms % 1000)).append('\n');
        }
        return sb.append("# EOF\n").toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Influx line protocol: the same series, the name as measurement and one field, timestamps in ns. */
    static byte[] influx(List<RemoteWriteEncoder.Series> series) {
        StringBuilder sb = new StringBuilder(series.size() * 120);
        for (RemoteWriteEncoder.Series s : series) {
            sb.append(s.name());
            s.labels().forEach((k, v) -> sb.append(',').append(k).append('=').append(v.replace(" ", "\\ ")));
            sb.append(" value=").append(s.values()[0]).append(' ').append(s.timestamps()[0]).append("000000\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Graphite plaintext: the same series as dotted paths with the labels as tags, timestamps in seconds. */
    static byte[] graphite(List<RemoteWriteEncoder.Series> series) {
        StringBuilder sb = new StringBuilder(series.size() * 120);
        for (RemoteWriteEncoder.Series s : series) {
            sb.append(s.name().replace('_', '.'));
            s.labels().forEach((k, v) -> sb.append(';').append(k).append('=').append(v));
            sb.append(' ').append(s.values()[0]).append(' ').append(s.timestamps()[0] / 1000).append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] remoteWrite(List<RemoteWriteEncoder.Series> series) {
        return RemoteWriteEncoder.body(series, Map.of());
    }
}
