package io.caiman.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.config.ConfigLoader;
import io.caiman.embedded.EmbeddedKafka;
import io.caiman.testing.SharedCluster;
import io.caiman.testing.TestConfigs;
import io.caiman.testing.Timing;
import io.caiman.testing.TopicReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Graphite lines sent over TCP while Kafka is down are held (the socket left unread, the chunk retried),
 * not dropped: once the broker is back, every line of the connection is on the oplog.
 */
@Tag("integration")
class LineListenerOutageTest {

    @Test
    void shouldHoldTcpLinesWhileKafkaIsDownAndWriteEveryOneWhenItIsBack() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().nodes(1).build().start()) {
            String own = TestConfigs.uniqueName("lines-down");
            String yaml = TestConfigs.oplog(own, 2, "unused")
                    .replace(SharedCluster.kafka().bootstrapServers(), kafka.bootstrapServers())
                    .replace("processor:", "  - protocol: tcp\n    format: graphite\n    listen: 127.0.0.1:0\n    cluster: "
                            + own + "\nprocessor:")
                    + "gateway:\n  ack_timeout: 3s\nkafka:\n  producer:\n    max.block.ms: 2000\n"
                    + "    request.timeout.ms: 1500\n    delivery.timeout.ms: 2500\n    linger.ms: 0\n";
            try (GatewayService gateway = new GatewayService(ConfigLoader.parse(yaml, "t.yaml"));
                    Socket socket = start(gateway)) {
                OutputStream out = socket.getOutputStream();
                out.write("outage.before 1 1700000000\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                Awaitility.await().atMost(Timing.seconds(30)).until(() -> keys(kafka, own).contains("default/outage_before"));

                kafka.stopNode(1);
                for (int i = 0; i < 200; i++) {
                    out.write(("outage.during." + i + " " + i + " 1700000000\n").getBytes(StandardCharsets.UTF_8));
                }
                out.flush();
                Thread.sleep(4000); // past ack_timeout: the gateway is retrying, holding the lines
                kafka.startNode(1);
                out.write("outage.after 3 1700000000\n".getBytes(StandardCharsets.UTF_8));
                out.flush();

                Set<String> expected = IntStream.range(0, 200).mapToObj(i -> "default/outage_during_" + i)
                        .collect(Collectors.toSet());
                expected.add("default/outage_after");
                Awaitility.await().atMost(Timing.seconds(90)).pollInterval(java.time.Duration.ofMillis(500))
                        .untilAsserted(() -> assertThat(keys(kafka, own)).containsAll(expected));
            }
        }
    }

    private static Socket start(GatewayService gateway) throws Exception {
        gateway.start();
        return new Socket("127.0.0.1", gateway.ports().get(1));
    }

    private static Set<String> keys(EmbeddedKafka kafka, String name) {
        return TopicReader.readAll(kafka.bootstrapServers(), name + ".oplog").stream()
                .map(r -> new String(r.key(), StandardCharsets.UTF_8)).collect(Collectors.toSet());
    }
}
