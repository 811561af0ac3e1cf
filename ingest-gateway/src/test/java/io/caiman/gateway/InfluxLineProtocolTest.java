package io.caiman.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.influxdb.client.InfluxDBClient;
import com.influxdb.client.InfluxDBClientFactory;
import com.influxdb.client.domain.WritePrecision;
import com.influxdb.exceptions.BadRequestException;
import io.caiman.schemas.oplog.Sample;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.influxdb.InfluxDB;
import org.influxdb.InfluxDBFactory;
import org.influxdb.dto.Point;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Line protocol through the gateway from the InfluxDB clients themselves (the 2.x client on
 * {@code /api/v2/write}, the 1.x client on {@code /write}) and from plain HTTP: naming, precisions, gzip, and
 * partial writes whose good lines are in the oplog and whose bad lines are named in the 400.
 */
@Tag("integration")
class InfluxLineProtocolTest {

    static TestGateway gateway;
    static String base;

    @BeforeAll
    static void start() {
        gateway = TestGateway.start("influx");
        base = gateway.base;
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    static Map<String, List<Sample>> oplog() {
        return gateway.oplog();
    }

    static HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        return gateway.send("POST", path, body, headers);
    }

    @Test
    void shouldTakeWritesFromTheInfluxDb2ClientNamedAsTelegrafsPrometheusOutputNamesThem() {
        try (InfluxDBClient client = InfluxDBClientFactory.create(base, "a-token".toCharArray(), "my-org", "my-bucket")) {
            client.getWriteApiBlocking().writeRecord(WritePrecision.MS,
                    "v2cpu,host=web-1,cpu=cpu0 usage_idle=97.5,procs=12i,online=true,state=\"ok\" 1700000000123");
            Map<String, List<Sample>> oplog = oplog();
            assertThat(oplog.get("default/v2cpu_usage_idle{cpu=\"cpu0\",host=\"web-1\"}")).singleElement().satisfies(s -> {
                assertThat(s.getValue()).isEqualTo(97.5);
                assertThat(s.getTimestampMs()).isEqualTo(1700000000123L);
                assertThat(s.getOrigin().getProtocol()).isEqualTo("influx");
            });
            assertThat(oplog.get("default/v2cpu_procs{cpu=\"cpu0\",host=\"web-1\"}").get(0).getValue()).isEqualTo(12.0);
            assertThat(oplog.get("default/v2cpu_online{cpu=\"cpu0\",host=\"web-1\"}").get(0).getValue()).isEqualTo(1.0);
            assertThat(oplog.keySet()).noneMatch(k -> k.contains("v2cpu_state")); // string fields are not samples

            // a bad line among good ones: the client sees InfluxDB's partial-write 400, the good line is written
            assertThatThrownBy(() -> client.getWriteApiBlocking().writeRecords(WritePrecision.S,
                    List.of("v2partial,k=a x=1 1700000000", "v2partial,k=b x=oops 1700000000", "v2partial,k=c x=3 1700000000")))
                    .isInstanceOf(BadRequestException.class)
                    .hasMessageContaining("partial write")
                    .hasMessageContaining("line 2, column 17: value for field \"x\" (\"oops\") has unrecognized type");
            oplog = oplog();
            assertThat(oplog).containsKeys("default/v2partial_x{k=\"a\"}", "default/v2partial_x{k=\"c\"}")
                    .doesNotContainKey("default/v2partial_x{k=\"b\"}");
            assertThat(oplog.get("default/v2partial_x{k=\"c\"}").get(0).getTimestampMs()).isEqualTo(1700000000000L);
        }
    }

    @Test
    void shouldTakeWritesFromTheInfluxDb1Client() {
        try (InfluxDB influx = InfluxDBFactory.connect(base, "user", "secret")) {
            assertThat(influx.ping().isGood()).isTrue();
            influx.write("telegraf", "autogen", Point.measurement("v1disk").tag("path", "/var").tag("fs type", "ext4")
                    .addField("used_percent", 41.5).time(1700000001L, TimeUnit.SECONDS).build());
            Sample s = oplog().get("default/v1disk_used_percent{fs_type=\"ext4\",path=\"/var\"}").get(0);
            assertThat(s.getValue()).isEqualTo(41.5);
            assertThat(s.getTimestampMs()).isEqualTo(1700000001000L);
        }
    }

    @Test
    void shouldAnswerEachApiInItsOwnWordsAndPrecisions() throws Exception {
        // 1.x: minutes, gzip; the measurement "prometheus" adds nothing to the name (Telegraf's metric_version 2)
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write("prometheus,job=node node_load1=0.5 28333334\n".getBytes(StandardCharsets.UTF_8));
        }
        HttpResponse<String> ok = TestGateway.HTTP.send(HttpRequest.newBuilder(URI.create(base + "/write?db=x&precision=m"))
                .header("Content-Encoding", "gzip").POST(HttpRequest.BodyPublishers.ofByteArray(gz.toByteArray())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(204);
        assertThat(ok.headers().firstValue("X-Influxdb-Version")).isPresent();
        assertThat(oplog().get("default/node_load1{job=\"node\"}").get(0).getTimestampMs()).isEqualTo(28333334L * 60_000);

        // every line bad: 400, nothing written; 1.x errors are {"error": …}
        HttpResponse<String> bad = post("/write?db=x", "v1bad x=\n");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        assertThat(bad.body()).startsWith("{\"error\":\"1 error in the line-protocol body; nothing of this request was written:"
                + "\\nline 1, column 9: value for field \\\"x\\\" (\\\"\\\") has unrecognized type");

        // 2.x errors are {"code": …, "message": …}; 2.x has no minute precision
        HttpResponse<String> precision = post("/api/v2/write?org=o&bucket=b&precision=m", "a x=1\n");
        assertThat(precision.statusCode()).isEqualTo(400);
        assertThat(precision.body()).isEqualTo("{\"code\":\"invalid\",\"message\":\"precision m is not one of ns, us, ms, s\"}");

        // a line whose tags would become one label is refused on its line, not merged
        HttpResponse<String> clash = post("/api/v2/write", "v2clash,a-b=1,a.b=2 x=1\nv2fine x=2\n");
        assertThat(clash.statusCode()).isEqualTo(400);
        assertThat(clash.body()).contains("partial write").contains("line 1, column 1: tags \\\"a-b\\\" and \\\"a.b\\\" both become label a_b");
        assertThat(oplog()).containsKey("default/v2fine_x");

        // Telegraf's database creation is answered; InfluxQL is not served
        assertThat(post("/query?q=CREATE+DATABASE+%22telegraf%22", "").statusCode()).isEqualTo(200);
        assertThat(post("/query", "q=SELECT+1", "Content-Type", "application/x-www-form-urlencoded").statusCode()).isEqualTo(501);
    }
}
