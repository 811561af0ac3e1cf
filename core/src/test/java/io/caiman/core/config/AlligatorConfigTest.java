package io.caiman.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Alligator's syntax, on the examples of Alligator's cluster documentation (doc/cluster.md). */
class AlligatorConfigTest {

    // the three snippets as the documentation (and the issue) gives them
    static final String CLUSTER_ONE_LINE =
            "cluster { name repl; type oplog; servers a:9092 b:9092; size 10000; sharding_key __name__; replica_factor 2; }\n";
    static final String ENTRYPOINT = "entrypoint {\n    tcp 1111;\n    cluster repl;\n    instance srv1.example.com:1111;\n}\n";
    static final String AGGREGATE =
            "aggregate {\n    elasticsearch http://localhost:9200/ cluster=repl instance=srv1.example.com:1111;\n}\n";
    // the "Example" section of doc/cluster.md
    static final String CLUSTER_EXAMPLE = String.join("\n",
            "cluster {",
            "    name repl;",
            "    size 10000;",
            "    sharding_key __name__;",
            "    replica_factor 2;",
            "    type oplog;",
            "    servers  srv1.example.com:1111 srv2.example.com:1111 srv3.example.com:1111;",
            "}",
            "");

    @Test
    void shouldConvertTheClusterBlock() {
        assertThat(ConfigLoader.convertAlligator(CLUSTER_ONE_LINE, "alligator.conf")).isEqualTo(String.join("\n",
                "# Converted from alligator.conf by caiman config convert.",
                "# Alligator's servers listed its peer nodes; in Caiman they are the Kafka bootstrap servers",
                "# (type oplog) or the ZooKeeper ensemble (type sharedlock): check them.",
                "clusters:",
                "- name: repl",
                "  type: oplog",
                "  servers:",
                "  - a:9092",
                "  - b:9092",
                "  size: 10000",
                "  sharding_key:",
                "  - __name__",
                "  replica_factor: 2",
                ""));
    }

    @Test
    void shouldLoadTheDocumentationExampleAsTheSameConfigAsItsConversion() {
        CaimanConfig direct = ConfigLoader.parse(CLUSTER_EXAMPLE, "alligator.conf");
        CaimanConfig converted = ConfigLoader.parse(ConfigLoader.convertAlligator(CLUSTER_EXAMPLE, "alligator.conf"), "c.yaml");
        assertThat(direct).isEqualTo(converted);
        ClusterConfig repl = direct.requireCluster("repl");
        assertThat(repl.size()).isEqualTo(10000);
        assertThat(repl.replicaFactor()).isEqualTo(2);
        assertThat(repl.minInsyncReplicas()).isEqualTo(1);
        assertThat(repl.servers()).containsExactly(new HostPort("srv1.example.com", 1111),
                new HostPort("srv2.example.com", 1111), new HostPort("srv3.example.com", 1111));
    }

    @Test
    void shouldConvertTheEntrypointBlock() {
        CaimanConfig config = ConfigLoader.parse(CLUSTER_ONE_LINE + ENTRYPOINT, "alligator.conf");
        assertThat(config.entrypoints()).containsExactly(new EntrypointConfig("tcp", "auto", new HostPort("0.0.0.0", 1111), "repl",
                new HostPort("srv1.example.com", 1111)));
        assertThat(ConfigLoader.convertAlligator(ENTRYPOINT, "a.conf")).endsWith(String.join("\n",
                "entrypoints:",
                "- protocol: tcp",
                "  listen: 1111",
                "  cluster: repl",
                "  instance: srv1.example.com:1111",
                ""));
    }

    @Test
    void shouldConvertTheAggregateBlockAndRequireASharedlockCluster() {
        String yaml = ConfigLoader.convertAlligator(AGGREGATE, "a.conf");
        assertThat(yaml).endsWith(String.join("\n",
                "aggregate:",
                "- kind: elasticsearch",
                "  url: http://localhost:9200/",
                "  cluster: repl",
                "  instance: srv1.example.com:1111",
                ""));
        // the documentation points the aggregate at the oplog cluster 'repl'; Caiman's crawls need a sharedlock one
        assertThatThrownBy(() -> ConfigLoader.parse(CLUSTER_ONE_LINE + ENTRYPOINT + AGGREGATE, "alligator.conf"))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).map(ConfigProblem::toString).containsExactly(
                        "alligator.conf:8: aggregate[0].cluster was repl but must name a sharedlock cluster (clusters[0] is oplog)"));
        String withLocks = CLUSTER_ONE_LINE + "cluster { name locks; type sharedlock; servers z1:2181 z2:2181; }\n"
                + ENTRYPOINT + AGGREGATE.replace("cluster=repl", "cluster=locks");
        CaimanConfig config = ConfigLoader.parse(withLocks, "alligator.conf");
        assertThat(config.aggregates()).singleElement().satisfies(a -> {
            assertThat(a.kind()).isEqualTo("elasticsearch");
            assertThat(a.url().toString()).isEqualTo("http://localhost:9200/");
            assertThat(a.cluster()).isEqualTo("locks");
        });
        assertThat(config.requireCluster("locks").oplog()).isEqualTo("repl");
    }

    @Test
    void shouldListBlocksItDoesNotConvertAndRefuseThemWhenLoading() {
        String text = "log_level 0;\nx509 { name ca; }\n" + CLUSTER_ONE_LINE;
        assertThat(ConfigLoader.convertAlligator(text, "a.conf"))
                .contains("# not converted (Caiman has no equivalent): a.conf:1: log_level")
                .contains("# not converted (Caiman has no equivalent): a.conf:2: x509");
        assertThatThrownBy(() -> ConfigLoader.parse(text, "a.conf"))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).map(ConfigProblem::toString).containsExactly(
                        "a.conf:1: log_level is not a known setting; Caiman reads Alligator's cluster, entrypoint and aggregate blocks (caiman config convert lists what it leaves out)",
                        "a.conf:2: x509 is not a known setting; Caiman reads Alligator's cluster, entrypoint and aggregate blocks (caiman config convert lists what it leaves out)"));
    }

    @Test
    void shouldReportSyntaxProblemsWithLines() {
        assertThatThrownBy(() -> ConfigLoader.convertAlligator("cluster {\n name repl\n}\n", "a.conf"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("a.conf:2: name is missing its ';' before '}'");
        assertThatThrownBy(() -> ConfigLoader.convertAlligator("cluster {\n name repl;\n", "a.conf"))
                .hasMessageContaining("a.conf:2: a block is not closed");
        List<String> problems = ((ConfigException) org.assertj.core.api.Assertions.catchThrowable(() ->
                ConfigLoader.parse("cluster { name repl; type oplog; servers a:1; replica_factor 0; colour red; }", "a.conf")))
                .problems().stream().map(ConfigProblem::toString).toList();
        assertThat(problems).containsExactlyInAnyOrder(
                "a.conf:1: clusters[0].replica_factor was 0 but must be from 1 to 32767",
                "a.conf:1: clusters[0].colour is not a known setting; known here: name, type, servers, size, partitions, sharding_key, replica_factor, retention_time, latest_retention_time, retention_bytes, record_bytes, oplog");
    }

    @Test
    void shouldTellTheFormatsApart() {
        assertThat(AlligatorConfigReader.looksLikeAlligator("# comment\ncluster {")).isTrue();
        assertThat(AlligatorConfigReader.looksLikeAlligator("log_level 0;\n")).isTrue();
        assertThat(AlligatorConfigReader.looksLikeAlligator("clusters:\n  - name: x")).isFalse();
        assertThat(AlligatorConfigReader.looksLikeAlligator("{clusters: []}")).isFalse();
    }
}
