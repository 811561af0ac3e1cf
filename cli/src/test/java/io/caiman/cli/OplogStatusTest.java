package io.caiman.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.cli.CommandLineTest.Run;
import io.caiman.core.config.ConfigLoader;
import io.caiman.gateway.GatewayService;
import io.caiman.processor.ProcessorService;
import io.caiman.testing.TestConfigs;
import io.caiman.testing.Timing;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code caiman oplog status} against a real broker, a real gateway and a real processor. */
class OplogStatusTest {

    @Test
    void shouldShowOffsetsTimesBytesRetentionAndLag(@TempDir Path dir) throws Exception {
        String name = TestConfigs.uniqueName("status");
        String yaml = TestConfigs.oplog(name, 2, dir.resolve("state").toString()).replace("    replica_factor: 1\n",
                "    replica_factor: 1\n    size: 1000\n    record_bytes: 200\n    retention_time: 2d\n    latest_retention_time: 1d\n");
        Path config = dir.resolve("caiman.yaml");
        Files.writeString(config, yaml);
        try (GatewayService gateway = new GatewayService(ConfigLoader.parse(yaml, "caiman.yaml"))) {
            gateway.start();
            long before = System.currentTimeMillis();
            post(gateway, 20, "a");
            Run r = CommandLineTest.run("oplog", "status", "-c", config.toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("oplog " + name + ".oplog at ", "2 partitions, replication factor 1",
                    "cleanup.policy=compact,delete", "min.compaction.lag.ms=172800000 (2d)", "retention.ms=259200000 (3d)", "retention.bytes=100000 per partition",
                    "message.timestamp.type=LogAppendTime",
                    "size 1000 samples -> ceil(1000 / 2 partitions) = 500 samples x record_bytes 200 = 100000 bytes per partition",
                    "have committed no offsets");
            List<long[]> rows = rows(r.out());
            assertThat(rows).hasSize(2);
            assertThat(rows.stream().mapToLong(row -> row[2] - row[1]).sum()).isEqualTo(20);
            assertThat(r.out()).containsPattern("\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z");
            assertThat(r.out()).doesNotContain("1970-");

            // a replay checkpoint shows how far behind it is
            Path checkpoint = dir.resolve("backfill.ckpt");
            assertThat(CommandLineTest.run("replay", "-c", config.toString(), "--discard", "--checkpoint",
                    checkpoint.toString(), "--progress", "none").code()).isZero();
            post(gateway, 7, "b");
            Run withCheckpoint = CommandLineTest.run("oplog", "status", "-c", config.toString(), "--checkpoint",
                    checkpoint.toString());
            assertThat(withCheckpoint.out()).contains("backfill.ckpt lag");
            assertThat(rows(withCheckpoint.out()).stream().mapToLong(row -> row[row.length - 1]).sum()).isEqualTo(7);

            // processors: their committed offsets against the end
            try (ProcessorService processor = new ProcessorService(ConfigLoader.parse(yaml, "caiman.yaml"))) {
                processor.start();
                Awaitility.await().atMost(Timing.seconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                        assertThat(CommandLineTest.run("oplog", "status", "-c", config.toString()).out())
                                .contains("processors (group " + name + "-processor) 0 records behind"));
            }
            assertThat(before).isPositive();
        }
    }

    static void post(GatewayService gateway, int n, String prefix) throws Exception {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < n; i++) {
            body.append("status_").append(prefix).append("{i=\"").append(i).append("\"} 1\n");
        }
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + gateway.ports().get(0) + "/api/v1/import/prometheus")).POST(HttpRequest.BodyPublishers.ofString(
                body.toString())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(204);
    }

    /** The numeric columns of each partition row: partition, earliest, latest, then the lags that are numbers. */
    static List<long[]> rows(String out) {
        Pattern row = Pattern.compile("^(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+\\S+\\s+\\S+\\s+[0-9.]+ (?:B|KiB|MiB)\\s+(\\S+)(?:\\s+(\\d+))?$",
                Pattern.MULTILINE);
        Matcher m = row.matcher(out);
        List<long[]> rows = new java.util.ArrayList<>();
        while (m.find()) {
            long lastLag = m.group(5) != null ? Long.parseLong(m.group(5)) : -1;
            rows.add(new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)), lastLag});
        }
        return rows;
    }
}
