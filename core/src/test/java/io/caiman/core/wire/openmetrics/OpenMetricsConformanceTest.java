package io.caiman.core.wire.openmetrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.wire.ParseResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The OpenMetrics parser suite (../shared/testdata/openmetrics, from OpenObservability/OpenMetrics): every
 * case that should parse is accepted with one sample per sample line, every other is refused with an error
 * naming a line.
 */
class OpenMetricsConformanceTest {

    static Path suite() {
        return Path.of(System.getProperty("caiman.repo.root", "..")).resolve("../shared/testdata/openmetrics").normalize();
    }

    @TestFactory
    Stream<DynamicTest> shouldAgreeWithEveryCaseOfTheSuite() throws Exception {
        Path suite = suite();
        Assumptions.assumeTrue(Files.isDirectory(suite), "the conformance suite is not at " + suite);
        List<Path> cases;
        try (Stream<Path> dirs = Files.list(suite)) {
            cases = dirs.filter(Files::isDirectory).sorted().toList();
        }
        assertThat(cases).hasSize(211);
        OpenMetricsParser parser = new OpenMetricsParser();
        return cases.stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> {
            String json = Files.readString(dir.resolve("test.json"));
            boolean shouldParse = json.replace(" ", "").contains("\"shouldParse\":true");
            byte[] input = Files.readAllBytes(dir.resolve("metrics"));
            ParseResult result = parser.parse(input);
            if (shouldParse) {
                assertThat(result.errors()).as("errors for %s:%n%s", dir.getFileName(), new String(input, StandardCharsets.UTF_8))
                        .isEmpty();
                long sampleLines = new String(input, StandardCharsets.UTF_8).lines().filter(l -> !l.startsWith("#")).count();
                if (!dir.getFileName().toString().startsWith("duplicate_timestamps")) {
                    assertThat(result.samples()).hasSize((int) sampleLines);
                }
            } else {
                assertThat(result.errors()).as("%s should be refused:%n%s", dir.getFileName(),
                        new String(input, StandardCharsets.UTF_8)).isNotEmpty();
                assertThat(result.errors().get(0).line()).isPositive();
                assertThat(result.samples()).isEmpty();
            }
        }));
    }
}
