package io.caiman.coordinator.crawl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caiman.core.config.AggregateConfig;
import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSdTest {

    private static final AggregateConfig TEMPLATE = new AggregateConfig("prometheus", null, "locks", null,
            Duration.ofSeconds(15), Duration.ofSeconds(5), "node", Map.of("dc", "eu-1"), Map.of("Authorization", "Bearer t"),
            "default", List.of("targets.json"),
            io.caiman.core.config.ClientTls.DEFAULT);

    @Test
    void shouldReadTargetsAndLabelsAsPrometheusFileSdDoes() {
        List<CrawlTarget> targets = FileSd.parse("""
                [{"targets": ["node-1:9100", "node-2:9100"], "labels": {"env": "prod", "dc": "us-2"}},
                 {"targets": ["db-1:9187"], "labels": {"job": "postgres", "__scheme__": "https",
                   "__metrics_path__": "/probe", "__param_module": "pg stats", "__meta_x": "dropped"}}]
                """, "targets.json", TEMPLATE);
        assertThat(targets).hasSize(3);
        CrawlTarget first = targets.get(0);
        assertThat(first.url()).hasToString("http://node-1:9100/metrics");
        assertThat(first.labels()).containsExactlyInAnyOrderEntriesOf(Map.of("job", "node", "instance", "node-1:9100",
                "env", "prod", "dc", "us-2"));
        assertThat(first.headers()).containsEntry("Authorization", "Bearer t");
        assertThat(first.interval()).isEqualTo(Duration.ofSeconds(15));
        CrawlTarget db = targets.get(2);
        assertThat(db.url()).hasToString("https://db-1:9187/probe?module=pg+stats");
        assertThat(db.labels()).containsExactlyInAnyOrderEntriesOf(Map.of("job", "postgres", "instance", "db-1:9187",
                "dc", "eu-1"));
        assertThat(FileSd.parse("- targets: ['node-3:9100']\n  labels: {env: dev}\n", "t.yml", TEMPLATE))
                .singleElement().satisfies(t -> assertThat(t.labels()).containsEntry("env", "dev"));
        assertThat(FileSd.parse("", "empty.yaml", TEMPLATE)).isEmpty();
    }

    @Test
    void shouldNameWhatIsWrongInAFile() {
        assertThatThrownBy(() -> FileSd.parse("[{\"targets\": [\"a:1\"],}]", "t.json", TEMPLATE))
                .hasMessageContaining("not valid JSON").hasMessageContaining("line 1");
        assertThatThrownBy(() -> FileSd.parse("{\"targets\": []}", "t.json", TEMPLATE))
                .hasMessageContaining("must be a list of groups");
        assertThatThrownBy(() -> FileSd.parse("[{\"targets\": [\"a:1\"]}, {\"targets\": [\"http://b:2/x\"]}]", "t.json",
                TEMPLATE)).hasMessageContaining("group 2: target http://b:2/x is not host:port");
        assertThatThrownBy(() -> FileSd.parse("[{\"targets\": [\"a:1\"], \"labels\": {\"bad-name\": \"x\"}}]", "t.json",
                TEMPLATE)).hasMessageContaining("group 1: label name 'bad-name'");
        assertThatThrownBy(() -> FileSd.parse("[{\"target\": [\"a:1\"]}]", "t.json", TEMPLATE))
                .hasMessageContaining("group 1: unknown field target");
        assertThatThrownBy(() -> FileSd.parse("[]", "t.txt", TEMPLATE)).hasMessageContaining(".json, .yml or .yaml");
    }

    @Test
    void shouldRereadChangedFilesKeepTheLastGoodTargetsOfABrokenOneAndForgetRemovedOnes(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.json");
        Path b = dir.resolve("b.yaml");
        Files.writeString(a, "[{\"targets\": [\"a-1:9100\", \"a-2:9100\"]}]");
        Files.writeString(b, "- targets: [b-1:9100]\n");
        CaimanConfig config = ConfigLoader.parse(String.join("\n",
                "clusters:",
                "  - {name: m, type: oplog, servers: ['127.0.0.1:9092']}",
                "  - {name: locks, type: sharedlock, servers: ['127.0.0.1:2181'], oplog: m}",
                "aggregate:",
                "  - {kind: prometheus, cluster: locks, file_sd: ['" + dir + "/*.json', '" + b + "']}",
                ""), "c.yaml");
        FileSd sd = new FileSd(config, "locks");
        assertThat(sd.refresh()).isEmpty();
        assertThat(sd.targets()).extracting(t -> t.labels().get("instance"))
                .containsExactly("a-1:9100", "a-2:9100", "b-1:9100");

        Files.writeString(a, "[{\"targets\": [\"a-1:9100\"]"); // broken, mid-write
        touch(a, 10);
        assertThat(sd.refresh()).singleElement().asString().contains("a.json", "not valid JSON",
                "keeping its 2 targets from before");
        assertThat(sd.refresh()).as("reported once").isEmpty();
        assertThat(sd.targets()).hasSize(3);

        Files.writeString(a, "[{\"targets\": [\"a-3:9100\"]}]");
        touch(a, 20);
        Files.delete(b);
        assertThat(sd.refresh()).singleElement().asString().contains(b.toString(), "does not exist");
        assertThat(sd.targets()).extracting(t -> t.labels().get("instance")).containsExactly("a-3:9100");
    }

    @Test
    void shouldLeaveOutADiscoveredTargetThatIsAlreadyConfigured() {
        CrawlTarget configured = CrawlTarget.of(TEMPLATE.withUrl(java.net.URI.create("http://n:9100/metrics"), "node",
                Map.of("dc", "eu-1")));
        List<CrawlTarget> discovered = FileSd.parse("[{\"targets\": [\"n:9100\", \"m:9100\"]}]", "t.json", TEMPLATE);
        List<String> problems = new java.util.ArrayList<>();
        assertThat(CrawlTarget.withDiscovered(List.of(configured), discovered, problems))
                .extracting(t -> t.labels().get("instance")).containsExactly("n:9100", "m:9100");
        assertThat(problems).singleElement().asString().contains("n:9100", "already a target");
        problems.clear();
        CrawlTarget other = CrawlTarget.of(TEMPLATE.withUrl(java.net.URI.create("http://n:9100/other"), "node",
                Map.of("dc", "eu-1")));
        assertThat(CrawlTarget.withDiscovered(List.of(other), discovered, problems)).hasSize(2);
        assertThat(problems).singleElement().asString().contains("left out", "same series");
    }

    private static void touch(Path file, int seconds) throws Exception {
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(seconds)));
    }
}
