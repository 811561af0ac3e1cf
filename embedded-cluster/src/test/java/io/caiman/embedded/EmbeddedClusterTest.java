package io.caiman.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("integration")
class EmbeddedClusterTest {

    static KafkaProducer<String, String> producer(String bootstrap) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 20_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000),
                new StringSerializer(), new StringSerializer());
    }

    @Test
    void shouldRunThreeBrokersAndSurviveOneStoppingAndComingBack() throws Exception {
        long t0 = System.nanoTime();
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().nodes(3).build().start()) {
            System.out.printf("3-broker start: %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            assertThat(kafka.bootstrapServers().split(",")).hasSize(3).allMatch(s -> s.startsWith("127.0.0.1:"));
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("t", 3, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                        .all().get(30, TimeUnit.SECONDS);
                kafka.stopNode(3);
                assertThat(kafka.isRunning(3)).isFalse();
                try (KafkaProducer<String, String> p = producer(kafka.bootstrapServers())) {
                    for (int i = 0; i < 20; i++) {
                        p.send(new ProducerRecord<>("t", "k" + i, "v")).get(30, TimeUnit.SECONDS);
                    }
                }
                kafka.startNode(3);
                assertThat(kafka.isRunning(3)).isTrue();
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (admin.describeCluster().nodes().get().size() < 3 && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                assertThat(admin.describeCluster().nodes().get()).hasSize(3);
            }
        }
    }

    @Test
    void shouldBindOnlyLoopback() throws Exception {
        long t0 = System.nanoTime();
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().nodes(1).build().start()) {
            System.out.printf("1-broker start: %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            int port = Integer.parseInt(kafka.bootstrapServers().split(":")[1]);
            String listening;
            try {
                listening = new String(new ProcessBuilder("ss", "-ltnH").start().getInputStream().readAllBytes(),
                        StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                org.junit.jupiter.api.Assumptions.abort("ss (iproute2) is not installed; .ci/run installs it");
                return;
            }
            List<String> ours = listening.lines().filter(l -> l.contains(":" + port + " ")).toList();
            // IPv4 sockets show as 127.0.0.1:port or, mapped, [::ffff:127.0.0.1]:port: loopback either way
            assertThat(ours).isNotEmpty().allMatch(l -> l.contains("127.0.0.1:" + port) || l.contains("127.0.0.1]:" + port));
        }
    }

    @Test
    void shouldRunAThreeNodeZooKeeperEnsembleThatLosesAndRegainsAMember() throws Exception {
        long t0 = System.nanoTime();
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(3, null, 0)) {
            System.out.printf("3-node ZooKeeper start: %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            assertThat(zk.connectString().split(",")).hasSize(3).allMatch(s -> s.startsWith("127.0.0.1:"));
            zk.stopNode(1);
            String second = zk.connectString().split(",")[1];
            assertThat(fourLetter(second, "ruok")).isEqualTo("imok");
            zk.startNode(1);
            String first = zk.connectString().split(",")[0];
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            String mode = "";
            while (System.nanoTime() < deadline && !(mode.contains("Mode: follower") || mode.contains("Mode: leader"))) {
                Thread.sleep(200);
                mode = fourLetter(first, "srvr");
            }
            assertThat(mode).containsAnyOf("Mode: follower", "Mode: leader");
        }
    }

    @Test
    void shouldStartASingleZooKeeperOnLoopbackOnly() throws Exception {
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(1, null, 0)) {
            assertThat(zk.connectString()).startsWith("127.0.0.1:");
            assertThat(fourLetter(zk.connectString(), "ruok")).isEqualTo("imok");
            zk.stopNode(1);
            zk.startNode(1);
            assertThat(fourLetter(zk.connectString(), "ruok")).isEqualTo("imok");
        }
        assertThat(Set.of()).isEmpty();
    }

    static String fourLetter(String hostPort, String word) {
        String[] hp = hostPort.split(":");
        try (Socket s = new Socket(hp[0], Integer.parseInt(hp[1]))) {
            s.getOutputStream().write(word.getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        } catch (Exception e) {
            return "error: " + e;
        }
    }
}
