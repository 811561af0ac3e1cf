package io.caiman.cli.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BoundTest {

    static final long NOW = Instant.parse("2026-11-23T12:00:00Z").toEpochMilli();

    @Test
    void shouldReadEveryForm() {
        assertThat(Bound.parse("earliest", NOW)).isEqualTo(new Bound.Edge(false));
        assertThat(Bound.parse("latest", NOW)).isEqualTo(new Bound.Edge(true));
        assertThat(Bound.parse("now", NOW)).isEqualTo(new Bound.Edge(true));
        assertThat(Bound.parse("2026-11-23T10:00:00Z", NOW))
                .isEqualTo(new Bound.Time(Instant.parse("2026-11-23T10:00:00Z").toEpochMilli()));
        assertThat(Bound.parse("2026-11-23T11:00:00.250+01:00", NOW))
                .isEqualTo(new Bound.Time(Instant.parse("2026-11-23T10:00:00.250Z").toEpochMilli()));
        assertThat(Bound.parse("2h", NOW)).isEqualTo(new Bound.Time(NOW - 7_200_000));
        assertThat(Bound.parse("1h30m", NOW)).isEqualTo(new Bound.Time(NOW - 5_400_000));
        assertThat(Bound.parse("90s", NOW)).isEqualTo(new Bound.Time(NOW - 90_000));
        assertThat(Bound.parse("1d", NOW)).isEqualTo(new Bound.Time(NOW - 86_400_000));
        assertThat(Bound.parse("500ms", NOW)).isEqualTo(new Bound.Time(NOW - 500));
        assertThat(Bound.parse("offset:1200", NOW)).isEqualTo(new Bound.Offsets(1200, Map.of()));
        Bound.Offsets per = (Bound.Offsets) Bound.parse("offset:0=1200,3=17", NOW);
        assertThat(per.of(0)).isEqualTo(1200);
        assertThat(per.of(3)).isEqualTo(17);
        assertThat(per.of(1)).isNull();
        assertThat(per).hasToString("offset:0=1200,3=17");
    }

    @Test
    void shouldRefuseWhatIsNotABoundSayingWhatIs() {
        assertThatThrownBy(() -> Bound.parse("yesterday", NOW)).hasMessageContaining("'yesterday' is not a time")
                .hasMessageContaining("RFC 3339");
        assertThatThrownBy(() -> Bound.parse("2h30", NOW)).hasMessageContaining("'2h30' is not a duration");
        assertThatThrownBy(() -> Bound.parse("offset:-1", NOW)).hasMessageContaining("is not a list of offsets");
        assertThatThrownBy(() -> Bound.parse("offset:0=1,0=2", NOW)).hasMessageContaining("each partition once");
        assertThatThrownBy(() -> Bound.parse("offset:a=1", NOW)).hasMessageContaining("is not a list of offsets");
    }
}
