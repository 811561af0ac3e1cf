package io.caiman.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caiman.core.http.HttpError;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The grouping key read from a push path as it came, before Jetty or a test client could normalise it. */
class PushgatewayPathTest {

    @Test
    void shouldDecodeEachSegmentOnceAsAPath() {
        assertThat(PushgatewayDecoder.groupingKey("/metrics/job/a+b/dir/%2Fa%2Fb/pct/%2541/sp/a%20b"))
                .isEqualTo(Map.of("job", "a+b", "dir", "/a/b", "pct", "%41", "sp", "a b"));
        assertThat(PushgatewayDecoder.groupingKey("/metrics/job@base64/L3Zhci90bXA%3D%3D/e@base64/="))
                .isEqualTo(Map.of("job", "/var/tmp", "e", ""));
    }

    @Test
    void shouldRefuseBadEscapesNamingThem() {
        for (String path : new String[] {"/metrics/job/x/v/a%G1", "/metrics/job/x/v/a%4", "/metrics/job/x/v/%"}) {
            assertThatThrownBy(() -> PushgatewayDecoder.groupingKey(path)).isInstanceOf(HttpError.class)
                    .hasMessageContaining("the value of v has a '%' not followed by two hex digits")
                    .satisfies(e -> assertThat(((HttpError) e).status()).isEqualTo(400));
        }
        assertThatThrownBy(() -> PushgatewayDecoder.groupingKey("/metrics/job/x/v/%C3%28"))
                .hasMessageEndingWith("the value of v is not valid UTF-8: 0xC3 (its byte 0)");
    }
}
