package io.caiman.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.config.ConfigDocs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandLineTest {

    record Run(int code, String out, String err) {}

    static synchronized Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.commandLine().execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void shouldListTheCommands() {
        Run r = run("--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("dev", "gateway", "processor", "config");
    }

    @Test
    void shouldReadDurationOptionsAsTheConfigurationWritesThem() {
        assertThat(new DurationConverter().convert("1m30s")).isEqualTo(java.time.Duration.ofSeconds(90));
        assertThat(new DurationConverter().convert("PT2S")).as("ISO-8601, as before").isEqualTo(java.time.Duration.ofSeconds(2));
        Run r = run("replay", "--timeout", "soon", "--progress", "none");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Invalid value for option '--timeout'", "must be a duration such as 30s");
    }

    @Test
    void shouldCheckAConfigPrintingEveryProblemAndExitingOne(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("caiman.yaml");
        Files.writeString(bad, "clusters:\n  - name: repl\n    type: oplog\n    servers: [k:9092]\n    replica_factor: 0\n"
                + "    partitons: 3\n");
        Run r = run("config", "check", bad.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).isEqualTo(bad + ":5: clusters[0].replica_factor was 0 but must be from 1 to 32767\n"
                + bad + ":6: clusters[0].partitons is not a known setting; did you mean partitions?\n"
                + "2 problems\n");

        Path good = dir.resolve("good.yaml");
        Files.writeString(good, "clusters:\n  - name: repl\n    type: oplog\n    servers: [k:9092]\n");
        Run ok = run("config", "check", good.toString());
        assertThat(ok.code()).isZero();
        assertThat(ok.out()).isEqualTo(good + ": OK\n");
        assertThat(run("config", "check", good.toString(), "--set", "clusters[0].size=0").code()).isEqualTo(1);
    }

    @Test
    void shouldConvertAnAlligatorConfig(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("alligator.conf");
        Files.writeString(conf, "cluster { name repl; type oplog; servers a:9092 b:9092; size 10000; sharding_key __name__; "
                + "replica_factor 2; }\n");
        Run r = run("config", "convert", conf.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("clusters:\n- name: repl\n  type: oplog\n").contains("  size: 10000\n");
        Path yaml = dir.resolve("converted.yaml");
        Files.writeString(yaml, r.out());
        assertThat(run("config", "check", yaml.toString()).code()).isZero();
    }

    @Test
    void shouldAcceptTheShippedExamples() {
        Path root = Path.of(System.getProperty("caiman.repo.root", ".."));
        Run yaml = run("config", "check", root.resolve("examples/caiman.yaml").toString());
        assertThat(yaml.code()).as(yaml.out()).isZero();
        Run alligator = run("config", "check", root.resolve("examples/alligator.conf").toString());
        assertThat(alligator.code()).as(alligator.out()).isZero();
        assertThat(run("config", "convert", root.resolve("examples/alligator.conf").toString()).out())
                .contains("  servers:\n  - srv1.example.com:1111\n");
    }

    @Test
    void shouldPrintTheConfigReference() {
        assertThat(run("config", "docs").out()).isEqualTo(ConfigDocs.markdown());
    }

    @Test
    void shouldRefuseToStartAGatewayWithABadConfigListingTheProblems(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("caiman.yaml");
        Files.writeString(bad, "entrypoints:\n  - protocol: http\n    listen: 127.0.0.1:0\n    cluster: nowhere\n");
        Run r = run("gateway", "--config", bad.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("caiman gateway: the configuration has 1 problem:")
                .contains(":4: entrypoints[0].cluster was nowhere but must name a cluster defined under clusters (none is)");
    }
}
