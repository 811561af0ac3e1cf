package io.caiman.core.wire.influx;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.caiman.core.wire.influx.LineProtocolDecoder.Entry;
import io.caiman.core.wire.influx.LineProtocolDecoder.Field;
import io.caiman.core.wire.influx.LineProtocolDecoder.FieldKind;
import io.caiman.core.wire.influx.LineProtocolDecoder.Point;
import io.caiman.core.wire.influx.LineProtocolDecoder.Precision;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The line-protocol cases of ../shared/testdata/influx-line-protocol, from InfluxData's reference decoder
 * and InfluxDB: {@code decoder-tests.jsonl} (every entry: its point, or its error with the same line, column
 * and message) and {@code corpus-decode-curated.jsonl} (the verdict, and every point of the accepted ones;
 * cases marked divergent, where InfluxDB versions disagree, are not scored).
 */
class LineProtocolConformanceTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static Path suite() {
        return Path.of(System.getProperty("caiman.repo.root", "..")).resolve("../shared/testdata/influx-line-protocol")
                .normalize();
    }

    @TestFactory
    Stream<DynamicTest> decoderTests() throws Exception {
        List<JsonNode> cases = read("decoder-tests.jsonl");
        assertThat(cases).hasSize(32);
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> {
            byte[] input = Base64.getDecoder().decode(c.get("input_b64").asText());
            List<JsonNode> expected = new ArrayList<>();
            c.get("points").forEach(expected::add);
            Precision precision = expected.isEmpty() || !expected.get(0).has("precision") ? Precision.NANOSECONDS
                    : precisionOf(expected.get(0).get("precision").asText());
            long defaultTime = expected.isEmpty() || !expected.get(0).has("default_time_ns") ? 0
                    : expected.get(0).get("default_time_ns").asLong();
            List<Entry> entries = LineProtocolDecoder.decode(input, precision, defaultTime);
            assertThat(entries).as("entries of %s", c.get("input").asText()).hasSize(expected.size());
            for (int i = 0; i < expected.size(); i++) {
                JsonNode want = expected.get(i);
                Entry got = entries.get(i);
                if (want.get("ok").asBoolean()) {
                    assertThat(got.error()).as("entry %d", i).isNull();
                    assertPoint(got.point(), want, i, false);
                } else {
                    assertThat(got.ok()).as("entry %d should fail", i).isFalse();
                    assertThat("at line " + got.error().line() + ":" + got.error().column() + ": " + got.error().reason())
                            .as("entry %d", i).isEqualTo(errorOf(want));
                }
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> curatedCorpus() throws Exception {
        List<JsonNode> cases = read("corpus-decode-curated.jsonl");
        assertThat(cases).hasSize(240);
        return cases.stream().filter(c -> !c.has("divergent")).map(c -> DynamicTest.dynamicTest(
                c.get("id").asText() + " " + abbreviate(c.get("input").asText()), () -> {
            byte[] input = Base64.getDecoder().decode(c.get("input_b64").asText());
            List<Entry> entries = LineProtocolDecoder.decode(input, precisionOf(c.get("precision").asText()),
                    c.get("default_time_ns").asLong());
            if (c.get("expect").asText().equals("error")) {
                assertThat(entries).as("should be refused (%s)", c.get("reference_error")).anyMatch(e -> !e.ok());
                return;
            }
            assertThat(entries).as("errors").allMatch(Entry::ok);
            assertThat(entries).hasSize(c.get("points").size());
            for (int i = 0; i < entries.size(); i++) {
                // InfluxDB's models sort tags by key; the order in the input is kept by the decoder
                assertPoint(entries.get(i).point(), c.get("points").get(i), i, true);
            }
        }));
    }

    private static void assertPoint(Point got, JsonNode want, int i, boolean sortTags) {
        assertThat(got.measurement()).as("measurement of entry %d", i).isEqualTo(want.get("measurement").asText());
        List<List<String>> tags = new ArrayList<>();
        want.get("tags").forEach(t -> tags.add(List.of(t.get(0).asText(), t.get(1).asText())));
        List<List<String>> gotTags = new ArrayList<>(got.tags().stream().map(t -> List.of(t.key(), t.value())).toList());
        if (sortTags) {
            gotTags.sort(java.util.Comparator.comparing((List<String> t) -> t.get(0)));
        }
        assertThat(gotTags).as("tags of entry %d", i).isEqualTo(tags);
        assertThat(got.fields()).as("fields of entry %d", i).hasSize(want.get("fields").size());
        for (int f = 0; f < got.fields().size(); f++) {
            JsonNode wf = want.get("fields").get(f);
            Field field = got.fields().get(f);
            assertThat(field.key()).isEqualTo(wf.get(0).asText());
            JsonNode value = wf.get(1);
            FieldKind kind = FieldKind.valueOf(value.get("type").asText().toUpperCase(java.util.Locale.ROOT));
            assertThat(field.kind()).as("kind of field %s", field.key()).isEqualTo(kind);
            switch (kind) {
                case FLOAT -> assertThat((Double) field.value()).isEqualTo(value.get("value").asDouble());
                case INT -> assertThat((Long) field.value()).isEqualTo(value.get("value").asLong());
                case UINT -> assertThat(Long.toUnsignedString((Long) field.value())).isEqualTo(value.get("value").asText());
                case BOOL -> assertThat((Boolean) field.value()).isEqualTo(value.get("value").asBoolean());
                case STRING -> assertThat((String) field.value()).isEqualTo(value.get("value").asText());
            }
        }
        assertThat(got.timeNs()).as("time of entry %d", i).isEqualTo(want.get("time_ns").asLong());
    }

    /** The first error the reference decoder reports for an entry: measurement, a tag, a field, or the time. */
    private static String errorOf(JsonNode point) {
        if (point.has("measurement_error")) {
            return point.get("measurement_error").asText();
        }
        for (String part : List.of("tags", "fields")) {
            for (JsonNode item : point.get(part)) {
                if (item.isObject() && item.has("error")) {
                    return item.get("error").asText();
                }
            }
        }
        return point.get("time_error").asText();
    }

    private static Precision precisionOf(String name) {
        return Precision.parse(name);
    }

    private static List<JsonNode> read(String file) throws Exception {
        Path path = suite().resolve(file);
        Assumptions.assumeTrue(Files.isRegularFile(path), "the line-protocol suite is not at " + path);
        List<JsonNode> cases = new ArrayList<>();
        for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                cases.add(JSON.readTree(line));
            }
        }
        return cases;
    }

    private static String abbreviate(String s) {
        String one = s.replace("\n", "\\n");
        return one.length() > 40 ? one.substring(0, 40) + "…" : one;
    }
}
